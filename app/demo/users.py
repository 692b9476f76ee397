"""Demo users: one per staff role and one municipal contact per stored municipality,
who is also the municipality's contact on the portal."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.db.models import Municipality, User
from app.demo.context import COORDINATOR_LOGIN, DEMO_PASSWORD, DemoContext
from app.demo.organizations import PARTNER_ORGANIZATION
from app.domain.access import Role
from app.services.auth import hash_password

# (role, login, full name, works for the partner organisation)
STAFF: tuple[tuple[Role, str, str, bool], ...] = (
    (Role.ADMIN, "admin", "Ylläpitäjä Demo", False),
    (Role.COORDINATOR, COORDINATOR_LOGIN, "Kaisa Koordinaattori", False),
    (Role.FORUM_VIEWER, "foorumi", "Foorumi Katselija", False),
    (Role.PARTNER, "kumppani", "Paula Partner", True),
)


def stored_municipalities(ctx: DemoContext) -> list[Municipality]:
    return list(ctx.db.scalars(select(Municipality).order_by(Municipality.code)))


def municipal_login(municipality: Municipality) -> str:
    """A municipal contact logs in as <municipality slug>@<demo domain>."""
    return municipality.slug


def load(ctx: DemoContext) -> None:
    partner = ctx.organization(PARTNER_ORGANIZATION)
    # (role, e-mail, full name, municipality, organisation)
    wanted: list[tuple[Role, str, str, str | None, uuid.UUID | None]] = [
        (role, ctx.email(login), name, None, partner.id if of_partner else None)
        for role, login, name, of_partner in STAFF
    ]
    wanted += [
        (
            Role.MUNICIPAL_CONTACT,
            ctx.email(municipal_login(m)),
            f"{m.name_fi} yhteyshenkilö",
            m.code,
            None,
        )
        for m in stored_municipalities(ctx)
    ]
    password_hash = hash_password(DEMO_PASSWORD)
    for role, email, name, municipality, org_id in wanted:
        if ctx.db.scalar(select(User.id).where(User.email == email)) is None:
            ctx.db.add(
                User(
                    email=email,
                    full_name=name,
                    role=role.value,
                    password_hash=password_hash,
                    municipality_code=municipality,
                    organization_id=org_id,
                )
            )
            ctx.report.count("users")
        ctx.report.logins.append(
            (role.value if not municipality else f"{role.value} {municipality}", email)
        )
    ctx.db.flush()


def load_municipal_contacts(ctx: DemoContext) -> None:
    """Each municipality's portal contact: its demo contact person, with a title and a
    made-up phone number."""
    for municipality in stored_municipalities(ctx):
        person = ctx.user(municipal_login(municipality))
        if municipality.contact_name or person is None:
            continue
        municipality.contact_name = person.full_name
        municipality.contact_title_fi = "Elinkeinoasiamies"
        municipality.contact_title_en = "Business development manager"
        municipality.contact_email = person.email
        municipality.contact_phone = f"+358 40 012 0{municipality.code}"

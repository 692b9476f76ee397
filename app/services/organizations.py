"""Organisations and contact persons: the coordinator's CRM register.

Investor identities are confidential, so the register is for admins and the
coordinator; municipalities and partners see an investor only on a lead shared with
them (`services/leads.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import (
    Activity,
    Contact,
    Industry,
    Lead,
    Organization,
)
from app.domain.access import Actor, require_staff_wide
from app.domain.activities import ActivityKind
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.organizations import (
    ContactKey,
    DuplicateCandidate,
    MatchRule,
    OrgKey,
    clean_contact_fields,
    clean_organization_fields,
    find_contact_duplicates,
    find_duplicates,
    normalise_org_name,
)
from app.i18n import N_, register_field_errors, register_labels
from app.services.merging import move_references

register_field_errors(
    {
        ("required", "name"): N_("Give the organisation's name."),
        ("ambiguous", "organization_id"): N_(
            "Several organisations have this name; give the organisation's id."
        ),
        ("invalid_choice", "type"): N_("Choose the type of organisation."),
        ("required", "business_id"): N_("Give the business ID."),
        "invalid_format": N_(
            "A business ID is seven digits, a hyphen and a check digit, e.g. 0116297-6."
        ),
        "invalid_checksum": N_("The check digit does not match; check the business ID for typos."),
        ("duplicate", "business_id"): N_("%(name)s already has this business ID; merge instead."),
        "possible_duplicate": N_("Possible duplicate of %(name)s. Confirm to create anyway."),
        ("not_allowed", "foreign_registry_id"): N_(
            "A Finnish organisation is identified by its business ID."
        ),
        ("unknown", "industry_code"): N_("Unknown key industry."),
        ("invalid", "nace_code"): N_("Give a NACE/TOL code such as 16 or 16.10."),
        ("invalid_choice", "nace_version"): N_("Choose TOL2008 or TOL2025."),
        "invalid_url": N_("Give an address starting with https://."),
        ("required", "full_name"): N_("Give the person's name."),
        ("invalid", "phone"): N_("Give a phone number, e.g. +358 40 123 4567."),
        ("invalid_choice", "language"): N_("Choose a language."),
        ("required", "lawful_basis"): N_(
            "Choose the lawful basis: legitimate interest, consent or public task."
        ),
        ("invalid_choice", "lawful_basis"): N_(
            "Choose the lawful basis: legitimate interest, consent or public task."
        ),
        ("required", "source"): N_("Say where the person's data came from."),
        ("required", "consent_text_version"): N_("Record which consent text was agreed."),
        ("required", "consent_given_at"): N_("Record when consent was given."),
        ("in_the_past", "retention_until"): N_("The retention date has passed."),
        ("same", "merge_id"): N_("Choose two different records."),
        ("unknown", "merge_id"): N_("No such record."),
        ("invalid", "merge_id"): N_("Give the id of another record."),
        ("required", "merge_id"): N_("Choose the duplicate to merge."),
    }
)
register_labels(
    "organization_type",
    {
        "company": N_("Company"),
        "investor": N_("Investor or fund"),
        "public_funder": N_("Public funder"),
        "partner_agency": N_("Partner agency"),
        "research_education": N_("Research or education"),
        "municipality": N_("Municipality"),
    },
)
register_labels(
    "contact_match",
    {
        "email": N_("Same e-mail address"),
        "name": N_("Same name in the same organisation"),
    },
)
register_labels(
    "lawful_basis",
    {
        "legitimate_interest": N_("Legitimate interest"),
        "consent": N_("Consent"),
        "public_task": N_("Public task"),
    },
)


def _today() -> date:
    return datetime.now(UTC).date()


def industry_codes(db: Session) -> set[str]:
    return set(db.scalars(select(Industry.code)))


# ---------------------------------------------------------------- organisations


def list_organizations(
    db: Session,
    actor: Actor,
    *,
    q: str | None = None,
    type: str | None = None,
    country: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Organization], int]:
    require_staff_wide(actor)
    query = select(Organization)
    if q and q.strip():
        text = q.strip()
        query = query.where(
            or_(
                Organization.name.ilike(f"%{text}%"),
                Organization.name_key.contains(normalise_org_name(text)),
                Organization.business_id == text,
            )
        )
    if type:
        query = query.where(Organization.type == type)
    if country:
        query = query.where(Organization.country == country.upper())
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Organization.name, Organization.id).limit(limit).offset(offset)
    )
    return list(rows), total


def get_organization(db: Session, actor: Actor, org_id: uuid.UUID) -> Organization:
    require_staff_wide(actor)
    org = db.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organisation.")
    return org


def find_for_binding(db: Session, reference: str) -> Organization:
    """The organisation a new partner account is bound to, by id or by name (compared
    as the duplicate check compares names); a name shared by several is refused."""
    try:
        found = db.get(Organization, uuid.UUID(reference))
    except ValueError:
        named = list(
            db.scalars(
                select(Organization)
                .where(Organization.name_key == normalise_org_name(reference))
                .limit(2)
            )
        )
        if len(named) > 1:
            raise ValidationFailed.single(
                "organization_id",
                f"several organisations are named {reference!r}: give the id",
                "ambiguous",
            ) from None
        found = named[0] if named else None
    if found is None:
        raise NotFound(f"No organisation {reference!r}.")
    return found


def organization_duplicates(
    db: Session, name: str, business_id: str | None, exclude: uuid.UUID | None = None
) -> list[tuple[Organization, MatchRule]]:
    """Stored organisations with the same business ID or the same normalised name."""
    key = normalise_org_name(name) if name else ""
    conditions = [Organization.name_key == key] if key else []
    if business_id:
        conditions.append(Organization.business_id == business_id)
    if not conditions:
        return []
    stored = {o.id: o for o in db.scalars(select(Organization).where(or_(*conditions)))}
    matches = find_duplicates(
        DuplicateCandidate(name=name, business_id=business_id, id=exclude),
        [OrgKey(o.id, o.name, o.business_id) for o in stored.values()],
    )
    return [(stored[m.id], m.rule) for m in matches]


def duplicate_errors(
    matches: list[tuple[Organization, MatchRule]], *, confirmed: bool
) -> list[FieldError]:
    """A business ID is one legal entity: always refused. A same-looking name is a
    warning the user may confirm past."""
    errors = []
    for org, rule in matches:
        if rule is MatchRule.BUSINESS_ID:
            errors.append(
                FieldError(
                    "business_id",
                    f"{org.name} ({org.id}) already has this business ID; merge instead.",
                    "duplicate",
                    {"name": org.name},
                )
            )
        elif not confirmed:
            errors.append(
                FieldError(
                    "name",
                    f"Possible duplicate of {org.name} ({org.id}). Confirm to create anyway.",
                    "possible_duplicate",
                    {"name": org.name},
                )
            )
    return errors


def validate_organization(
    db: Session, values: dict[str, Any], *, confirm_duplicate: bool
) -> dict[str, Any]:
    cleaned = clean_organization_fields(values, industry_codes(db), creating=True)
    errors = duplicate_errors(
        organization_duplicates(db, cleaned["name"], cleaned.get("business_id")),
        confirmed=confirm_duplicate,
    )
    if errors:
        raise ValidationFailed(errors=errors, detail="The organisation may already exist.")
    return cleaned


def create_organization(
    db: Session, actor: Actor, values: dict[str, Any], *, confirm_duplicate: bool = False
) -> Organization:
    require_staff_wide(actor)
    cleaned = validate_organization(db, values, confirm_duplicate=confirm_duplicate)
    bind_actor(db, actor)
    org = Organization(**cleaned)
    db.add(org)
    db.commit()
    return org


def update_organization(
    db: Session,
    actor: Actor,
    org_id: uuid.UUID,
    values: dict[str, Any],
    *,
    confirm_duplicate: bool = False,
) -> Organization:
    org = get_organization(db, actor, org_id)
    cleaned = clean_organization_fields(values, industry_codes(db), creating=False)
    if "name" in cleaned or "business_id" in cleaned:
        errors = duplicate_errors(
            organization_duplicates(
                db,
                cleaned.get("name", org.name),
                cleaned.get("business_id", org.business_id),
                exclude=org.id,
            ),
            confirmed=confirm_duplicate or "name" not in cleaned,
        )
        if errors:
            raise ValidationFailed(errors=errors, detail="The organisation may already exist.")
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(org, name, value)
    db.commit()
    return org


MERGE_FILL_FIELDS = (
    "country",
    "business_id",
    "foreign_registry_id",
    "industry_code",
    "nace_code",
    "nace_version",
    "website",
)


def merge_organizations(
    db: Session, actor: Actor, keep_id: uuid.UUID, merge_id: uuid.UUID
) -> Organization:
    """Move every record of `merge_id` onto `keep_id` and delete it. Each move is an
    audited change, so the trail shows where every record came from (see
    `services/merging.py`)."""
    require_staff_wide(actor)
    if keep_id == merge_id:
        raise ValidationFailed.single("merge_id", "Choose two different organisations.", "same")
    keep = get_organization(db, actor, keep_id)
    merged = db.get(Organization, merge_id)
    if merged is None:
        raise ValidationFailed.single("merge_id", "No such organisation.", "unknown")
    bind_actor(db, actor)
    # Every reference, found from the foreign keys: leads, contacts, activities, shares,
    # partner users, cluster memberships, leadership and agreement parties, and any table
    # added later. Each move is audited.
    moves = move_references(db, Organization, merged.id, keep.id)
    filled = {name: getattr(merged, name) for name in MERGE_FILL_FIELDS}
    notes = merged.notes
    merged_name, merged_business_id = merged.name, merged.business_id
    db.delete(merged)
    db.flush()  # the unique business ID is free only once the merged row is gone
    for name, value in filled.items():
        if getattr(keep, name) is None and value is not None:
            setattr(keep, name, value)
    if notes:
        keep.notes = f"{keep.notes}\n\n{notes}" if keep.notes else notes
    db.add(
        Activity(
            kind=ActivityKind.NOTE.value,
            subject=f"Merged {merged_name} into this organisation",
            body=(
                f"Former id {merge_id}; business ID {merged_business_id or '–'}. {moves.summary()}"
            ),
            organization_id=keep.id,
            created_by_id=actor.user_id,
            origin_type="merge",
            origin_id=str(merge_id),
        )
    )
    db.commit()
    return keep


# ---------------------------------------------------------------- contacts


def list_contacts(
    db: Session,
    actor: Actor,
    *,
    q: str | None = None,
    organization_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Contact], int]:
    require_staff_wide(actor)
    query = select(Contact).where(Contact.erased_at.is_(None))
    if q and q.strip():
        text = f"%{q.strip()}%"
        query = query.where(or_(Contact.full_name.ilike(text), Contact.email.ilike(text)))
    if organization_id:
        query = query.where(Contact.organization_id == organization_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(Contact.full_name, Contact.id).limit(limit).offset(offset))
    return list(rows), total


def get_contact(db: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    require_staff_wide(actor)
    contact = db.get(Contact, contact_id)
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def contact_duplicates(
    db: Session,
    email: str | None,
    full_name: str | None,
    organization_id: uuid.UUID | None,
    exclude: uuid.UUID | None = None,
) -> list[tuple[Contact, MatchRule]]:
    """Same e-mail anywhere, or the same name in the same organisation."""
    found: list[tuple[Contact, MatchRule]] = []
    if email:
        stored = {
            c.id: c
            for c in db.scalars(select(Contact).where(func.lower(Contact.email) == email.lower()))
        }
        found += [
            (stored[m.id], m.rule)
            for m in find_contact_duplicates(
                email, [ContactKey(c.id, c.email) for c in stored.values()], exclude_id=exclude
            )
        ]
    if full_name and organization_id:
        seen = {c.id for c, _ in found}
        for contact in db.scalars(
            select(Contact).where(
                func.lower(Contact.full_name) == full_name.lower(),
                Contact.organization_id == organization_id,
            )
        ):
            if contact.id != exclude and contact.id not in seen:
                found.append((contact, MatchRule.NAME))
    return found


def contact_duplicate_errors(
    matches: list[tuple[Contact, MatchRule]], *, confirmed: bool
) -> list[FieldError]:
    if confirmed:
        return []
    return [
        FieldError(
            "email" if rule is MatchRule.EMAIL else "full_name",
            f"Possible duplicate of {c.full_name} ({c.id}). Confirm to create anyway.",
            "possible_duplicate",
            {"name": c.full_name},
        )
        for c, rule in matches
    ]


def validate_contact(
    db: Session,
    values: dict[str, Any],
    organization_id: uuid.UUID | None,
    *,
    confirm_duplicate: bool,
) -> dict[str, Any]:
    errors: list[FieldError] = []
    try:
        cleaned = clean_contact_fields(values, creating=True, today=_today())
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if organization_id and db.get(Organization, organization_id) is None:
        errors.append(FieldError("organization_id", "No such organisation.", "unknown"))
    if not errors:
        errors = contact_duplicate_errors(
            contact_duplicates(db, cleaned.get("email"), cleaned["full_name"], organization_id),
            confirmed=confirm_duplicate,
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The contact is not valid.")
    return cleaned


def create_contact(
    db: Session,
    actor: Actor,
    values: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
    confirm_duplicate: bool = False,
) -> Contact:
    require_staff_wide(actor)
    cleaned = validate_contact(db, values, organization_id, confirm_duplicate=confirm_duplicate)
    bind_actor(db, actor)
    contact = Contact(**cleaned, organization_id=organization_id)
    db.add(contact)
    db.commit()
    return contact


def update_contact(
    db: Session,
    actor: Actor,
    contact_id: uuid.UUID,
    values: dict[str, Any],
    *,
    organization_id: uuid.UUID | None = None,
    confirm_duplicate: bool = False,
) -> Contact:
    contact = get_contact(db, actor, contact_id)
    errors: list[FieldError] = []
    try:
        cleaned = clean_contact_fields(values, creating=False, today=_today())
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    if organization_id and db.get(Organization, organization_id) is None:
        errors.append(FieldError("organization_id", "No such organisation.", "unknown"))
    if not errors and cleaned.get("email") and cleaned["email"] != contact.email:
        errors = contact_duplicate_errors(
            contact_duplicates(db, cleaned["email"], None, None, exclude=contact.id),
            confirmed=confirm_duplicate,
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The contact is not valid.")
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(contact, name, value)
    if organization_id:
        contact.organization_id = organization_id
    db.commit()
    return contact


def duplicates_of_contact(
    db: Session, actor: Actor, contact_id: uuid.UUID
) -> list[tuple[Contact, MatchRule]]:
    """The stored contacts that look like the same person: the merge page's warnings."""
    contact = get_contact(db, actor, contact_id)
    return [
        (c, rule)
        for c, rule in contact_duplicates(
            db, contact.email, contact.full_name, contact.organization_id, exclude=contact.id
        )
        if c.erased_at is None
    ]


def merge_contacts(db: Session, actor: Actor, keep_id: uuid.UUID, merge_id: uuid.UUID) -> Contact:
    """Move every reference to `merge_id` onto `keep_id` and delete it (audited)."""
    require_staff_wide(actor)
    if keep_id == merge_id:
        raise ValidationFailed.single("merge_id", "Choose two different contacts.", "same")
    keep = get_contact(db, actor, keep_id)
    merged = db.get(Contact, merge_id)
    if merged is None:
        raise ValidationFailed.single("merge_id", "No such contact.", "unknown")
    bind_actor(db, actor)
    # Every reference, found from the foreign keys: leads, activities, cluster leadership,
    # event participation, meeting attendance, and any table added later.
    moves = move_references(db, Contact, merged.id, keep.id)
    for name in ("email", "phone", "role_title", "language", "organization_id"):
        if getattr(keep, name) is None and getattr(merged, name) is not None:
            setattr(keep, name, getattr(merged, name))
    if merged.retention_until and (
        keep.retention_until is None or merged.retention_until > keep.retention_until
    ):
        keep.retention_until = merged.retention_until
    merged_name = merged.full_name
    db.flush()
    db.delete(merged)
    db.add(
        Activity(
            kind=ActivityKind.NOTE.value,
            subject=f"Merged contact {merged_name} into this contact",
            body=f"Former id {merge_id}. {moves.summary()}",
            contact_id=keep.id,
            created_by_id=actor.user_id,
            origin_type="merge",
            origin_id=str(merge_id),
        )
    )
    db.commit()
    return keep


def organization_leads(db: Session, actor: Actor, org_id: uuid.UUID) -> list[Lead]:
    require_staff_wide(actor)
    return list(
        db.scalars(
            select(Lead).where(Lead.organization_id == org_id).order_by(Lead.updated_at.desc())
        )
    )


def organization_choices(
    db: Session, *, types: Collection[str] | None = None, limit: int | None = None
) -> list[Organization]:
    """Organisations for a staff form's picker, by name."""
    query = select(Organization).order_by(Organization.name)
    if types is not None:
        query = query.where(Organization.type.in_(types))
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))

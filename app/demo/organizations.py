"""Demo organisations: the national partner agency, the region's named companies, twelve
invented investors and a contact person at the first of them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from stdnum.fi import ytunnus

from app.db.models import Contact, Organization
from app.demo.context import DemoContext
from app.domain.organizations import normalise_org_name

# The partner user's organisation, the same in every region.
PARTNER_ORGANIZATION = "Business Finland"
INVESTOR_COUNTRIES = ("DE", "SE", "NO", "US", "JP", "NL", "FR", "KR", "GB", "FI", "DK", "CA")


def investor_name(number: int) -> str:
    return f"Demo Investor {number}"


def _business_id(seed: int) -> str:
    """A checksum-valid business ID in a range kept for demo organisations."""
    base = 9_100_000 + seed * 10
    while True:  # some bases have no valid check digit (remainder 1); take the next
        for digit in range(10):
            if ytunnus.is_valid(f"{base:07d}{digit}"):
                return f"{base:07d}-{digit}"
        base += 1


def _organization(ctx: DemoContext, name: str, **values: object) -> Organization:
    key = normalise_org_name(name)
    org = ctx.db.scalar(select(Organization).where(Organization.name_key == key))
    if org is None:
        org = Organization(name=name, name_key=key, **values)
        ctx.db.add(org)
        ctx.db.flush()
        ctx.report.count("organisations")
    return org


def load(ctx: DemoContext) -> None:
    _organization(ctx, PARTNER_ORGANIZATION, type="partner_agency", country="FI")
    for named in ctx.data.organizations:
        _organization(
            ctx,
            named.name,
            type=named.type,
            country=named.country,
            industry_code=named.industry,
            website=named.website,
        )
    for number, country in enumerate(INVESTOR_COUNTRIES, start=1):
        _organization(
            ctx,
            investor_name(number),
            type="investor" if number % 3 == 0 else "company",
            country=country,
            business_id=_business_id(number) if country == "FI" else None,
            foreign_registry_id=None if country == "FI" else f"DEMO-{country}-{number:04d}",
        )


def load_contact(ctx: DemoContext) -> None:
    """A contact person at the first demo investor."""
    email = ctx.email("anna.esimerkki")
    if ctx.db.scalar(select(Contact.id).where(Contact.email == email)) is not None:
        return
    ctx.db.add(
        Contact(
            organization_id=ctx.organization(investor_name(1)).id,
            full_name="Anna Esimerkki",
            email=email,
            role_title="Head of Expansion",
            language="en",
            lawful_basis="legitimate_interest",
            source="Demo data",
            retention_until=date(2030, 12, 31),
        )
    )
    ctx.report.count("contacts")

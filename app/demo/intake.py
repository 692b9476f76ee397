"""Screening rules, and portal inquiries whose response clocks show each state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.db.models import Municipality, ScreeningRule
from app.demo.context import DemoContext
from app.demo.users import municipal_login
from app.domain.organizations import COUNTRY_CODES
from app.domain.portal import clean_inquiry
from app.services import portal

# (hours since the inquiry came, organisation, country, investment in euros)
INQUIRIES = (
    (100, "Fjord Metals AS", "NO", "80 000 000"),
    (20, "Baltic Foods OÜ", "EE", "4 000 000"),
    (1, "Rhein Compute GmbH", "DE", "150 000 000"),
)


def _rules(ctx: DemoContext) -> list[ScreeningRule]:
    coordinator = ctx.coordinator()
    rules = [
        ScreeningRule(
            name="Large industrial projects",
            position=1,
            capex_min_eur=50_000_000,
            industrial_only=True,
            priority="high",
            owner_id=coordinator.id if coordinator else None,
            owner_action="assign",
        )
    ]
    for position, demo in enumerate(ctx.data.screening_rules, start=2):
        municipality = ctx.db.get(Municipality, demo.owner_municipality)
        owner = ctx.user(municipal_login(municipality)) if municipality else None
        rules.append(
            ScreeningRule(
                name=demo.name,
                position=position,
                industry_codes=demo.industries,
                municipality_codes=demo.municipalities,
                owner_id=owner.id if owner else None,
                owner_action=demo.owner_action,
            )
        )
    return rules


def load(ctx: DemoContext) -> None:
    """Skipped when any screening rule exists."""
    db = ctx.db
    if db.scalar(select(ScreeningRule.id).limit(1)) is not None:
        return
    rules = _rules(ctx)
    db.add_all(rules)
    db.flush()
    ctx.report.count("screening rules", len(rules))
    now = datetime.now(UTC)
    message = (
        f"We are looking for a site in {ctx.region.display_name('en')} and would like to talk."
    )
    for hours, name, country, capex in INQUIRIES:
        inquiry = clean_inquiry(
            {
                "full_name": "Demo Investor",
                "organization": name,
                "country": country,
                "email": ctx.email(f"inquiry.{country.lower()}"),
                "message": message,
                "capex_eur": capex,
                "consent": "yes",
            },
            COUNTRY_CODES,
            "en",
        )
        portal.submit_inquiry(db, ctx.settings, inquiry, now=now - timedelta(hours=hours))
        ctx.report.count("leads")

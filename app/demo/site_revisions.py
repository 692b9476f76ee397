"""A demo site revision: the municipality's contact proposes a change to a published
site, so the review queue shows a diff."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import select

from app.db.models import Site, User
from app.demo.context import DemoContext
from app.services import sites
from app.services.auth import actor_for
from app.services.site_revisions import propose, site_revision


def load(ctx: DemoContext) -> None:
    """Skipped when the site already has a revision."""
    if ctx.data.revised_site is None:
        return
    db = ctx.db
    site = db.scalar(select(Site).where(Site.external_ref == ctx.data.revised_site))
    contact = db.scalar(select(User).where(User.email == site.contact_email)) if site else None
    if site is None or contact is None:
        return
    actor = actor_for(contact)
    if site_revision(db, actor, site) is not None:
        return
    published = sites.draft_of(site, sites.industry_codes_of(db, [site.id])[site.id])
    proposed = replace(
        published,
        available_power_mw=(published.available_power_mw or Decimal(0)) + Decimal(20),
        price_eur=450_000,
        description_fi=(published.description_fi or "") + " Uusi 110 kV:n liittymä valmistuu.",
    )
    if propose(db, actor, site, proposed) is not None:
        ctx.report.count("site revisions")

"""Matching a lead's requirement profile against the site offering."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, Site
from app.domain.access import Actor
from app.domain.errors import NotFound
from app.domain.matching import MatchResult, RequirementProfile, rank_sites
from app.domain.sites import SiteStatus, ZoningStatus
from app.services.scope import leads_with_need_to_know, sites_visible_to
from app.services.sites import draft_of, industry_codes_of, valid_codes

# Sites still on offer: what is being prepared, reviewed or already public.
_MATCHED_STATUSES = (
    SiteStatus.DRAFT.value,
    SiteStatus.SUBMITTED.value,
    SiteStatus.RETURNED.value,
    SiteStatus.PUBLISHED.value,
)


@dataclass(frozen=True)
class SiteMatch:
    site: Site
    result: MatchResult


@dataclass(frozen=True)
class Matching:
    lead: Lead
    profile: RequirementProfile
    ignored: list[str]  # requirement keys whose values could not be read
    matches: list[SiteMatch]


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        raise ValueError(value)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite() or number < 0:
        raise ValueError(value)
    return number


def profile_from_requirements(
    requirements: dict[str, Any], industry_code: str | None
) -> tuple[RequirementProfile, list[str]]:
    """The profile of a lead: its requirements (the keys the pipeline validates and
    stores, `app.domain.leads.REQUIREMENT_KEYS`) and its own key industry. Values that
    cannot be read are left out and named."""
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for key in ("min_area_ha", "max_area_ha", "min_power_mw"):
        if requirements.get(key) is not None:
            try:
                values[key] = _decimal(requirements[key])
            except ValueError:
                ignored.append(key)
    water = requirements.get("water_m3_per_day")
    if water is True:
        values["needs_water"] = True
    elif water is not None and water is not False:
        try:
            values["needs_water"] = _decimal(water)
        except ValueError:
            ignored.append("water_m3_per_day")
    rail = requirements.get("needs_rail")
    if isinstance(rail, bool):
        values["needs_rail"] = rail
    elif rail is not None:
        ignored.append("needs_rail")
    zoning = requirements.get("zoning_statuses")
    if zoning:
        try:
            values["zoning"] = frozenset(ZoningStatus(z) for z in zoning)
        except (TypeError, ValueError):
            ignored.append("zoning_statuses")
    if industry_code:
        values["industry_code"] = industry_code
    preferred = requirements.get("municipality_codes")
    if isinstance(preferred, list) and all(isinstance(c, str) for c in preferred):
        if preferred:
            values["preferred_municipality_codes"] = frozenset(preferred)
    elif preferred:
        ignored.append("municipality_codes")
    return RequirementProfile(**values), ignored


def matching_sites(db: Session, actor: Actor, lead_id: uuid.UUID, limit: int = 50) -> Matching:
    """The actor's sites on offer ranked for the lead's requirements, best first."""
    lead = db.scalar(select(Lead).where(Lead.id == lead_id, leads_with_need_to_know(actor)))
    if lead is None:
        raise NotFound("No such lead.")
    profile, ignored = profile_from_requirements(lead.requirements or {}, lead.industry_code)
    sites = list(
        db.scalars(select(Site).where(sites_visible_to(actor), Site.status.in_(_MATCHED_STATUSES)))
    )
    codes = industry_codes_of(db, [s.id for s in sites])
    by_id = {site.id: site for site in sites}
    names = valid_codes(db)[0]
    ranked = rank_sites(
        profile, ((site.id, draft_of(site, codes[site.id])) for site in sites), names
    )
    matches = [SiteMatch(by_id[key], result) for key, _draft, result in ranked[:limit]]
    return Matching(lead, profile, ignored, matches)

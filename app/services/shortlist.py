"""The portal's comparison of shortlisted sites: what the sites of a comparison link
are, side by side. Anonymous: only sites on the portal are ever read (the sites
service's public functions), and a link naming any other site answers as if that
site did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.domain.shortlist import FACTS, Row, Shortlist, compare
from app.services import sites as site_service
from app.services.portal import Region
from app.settings import Settings


@dataclass(frozen=True)
class ComparePage:
    region: Region
    # The link's sites that are on the portal, in the link's order.
    shortlist: Shortlist
    sites: list[site_service.PublicSite]
    rows: list[Row]
    # Sites the link names that are not on the portal (unknown, withdrawn or never
    # public, alike), plus the parts of the link that cannot name a site.
    left_out: int
    over_limit: int


# Facts the portal computes from the reference points (app/services/geography.py): the
# geodesic distance to the nearest place of the kind, as on the site page and the fact
# sheet; the typed figure only where the site has no location.
COMPUTED: dict[str, str] = {"airport_km": "airport", "substation_110kv_km": "substation_110kv"}


def _facts(item: site_service.PublicSite) -> dict[str, Any]:
    values = {fact.attribute: getattr(item.site, fact.attribute, None) for fact in FACTS}
    values["industry_codes"] = item.industry_codes
    metres = {kind: distance for kind, _code, distance in item.distances}
    for attribute, kind in COMPUTED.items():
        if kind in metres:
            values[attribute] = round(Decimal(metres[kind]) / 1000, 1)
    return values


def compare_page(
    db: Session, settings: Settings, reg: Region, shortlist: Shortlist, today: date
) -> ComparePage:
    found = site_service.public_sites_by_slug(db, settings, shortlist.slugs, today=today)
    shown = Shortlist(tuple(item.site.slug for item in found))
    return ComparePage(
        region=reg,
        shortlist=shown,
        sites=found,
        rows=compare([_facts(item) for item in found]),
        left_out=len(shortlist.slugs) - len(found) + shortlist.unreadable,
        over_limit=shortlist.over_limit,
    )

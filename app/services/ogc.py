"""Open site data (OGC API – Features): what the service reads, all of it public.

Only what the portal shows: published sites verified recently enough
(`sites_public`), through the sites service's public query, as the site documents the
feeds send (`syndication.documents_of`). A page costs a fixed number of statements
however many sites it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Site
from app.domain.errors import NotFound
from app.domain.ogc import ItemsQuery
from app.services import syndication
from app.services.portal import content_version
from app.services.scope import sites_public
from app.services.sites import (
    PublicSite,
    PublicSiteFilters,
    public_cutoff,
    public_site,
    public_sites,
)
from app.settings import Settings


@dataclass(frozen=True)
class Extent:
    # West, south, east, north of the located sites; None while no site has a location.
    bbox: tuple[float, float, float, float] | None
    # The first and the last public change of the sites shown.
    first_change: datetime | None
    last_change: datetime | None


def extent(db: Session, settings: Settings, *, today: date | None = None) -> Extent:
    """Where and when the published sites lie: one statement."""
    row = db.execute(
        select(
            func.min(Site.longitude),
            func.min(Site.latitude),
            func.max(Site.longitude),
            func.max(Site.latitude),
            func.min(Site.public_changed_at),
            func.max(Site.public_changed_at),
        ).where(sites_public(public_cutoff(settings, today)))
    ).one()
    west, south, east, north, first, last = row
    bbox = None
    if west is not None and south is not None and east is not None and north is not None:
        bbox = (float(west), float(south), float(east), float(north))
    return Extent(bbox, first, last)


@dataclass(frozen=True)
class SiteFeature:
    document: dict[str, Any]  # the site document the feeds send
    point: tuple[float, float] | None  # longitude, latitude


def _features(db: Session, rows: list[PublicSite]) -> list[SiteFeature]:
    documents = syndication.documents_of(db, rows)
    return [
        SiteFeature(
            document,
            (row.site.longitude, row.site.latitude)
            if row.site.longitude is not None and row.site.latitude is not None
            else None,
        )
        for row, document in zip(rows, documents, strict=True)
    ]


def items(
    db: Session, settings: Settings, query: ItemsQuery, *, today: date | None = None
) -> tuple[list[SiteFeature], int]:
    """One page of the sites matching the query, newest first (the id breaks ties, so
    pages never overlap), and how many match in all."""
    rows, total = public_sites(
        db,
        settings,
        PublicSiteFilters(
            bbox=query.bbox,
            changed_from=query.changed_from,
            changed_until=query.changed_until,
            limit=query.limit,
            offset=query.offset,
        ),
        today=today,
    )
    return _features(db, rows), total


def item(
    db: Session, settings: Settings, feature_id: str, *, today: date | None = None
) -> SiteFeature:
    """One published site by its feature id (the portal slug); NotFound otherwise."""
    try:
        row = public_site(db, settings, feature_id, today=today)
    except NotFound:
        raise NotFound("No such feature.") from None
    return _features(db, [row])[0]


@dataclass(frozen=True)
class Freshness:
    """What the service's cache validators are built from."""

    version: str
    last_modified: datetime | None


def freshness(db: Session, settings: Settings) -> Freshness:
    """The portal's content version (any public change of a site, a municipality or an
    industry) and when the published sites last changed, withdrawals and expiries
    included (as the feeds count it)."""
    return Freshness(
        content_version(db), syndication.feed_changed_at(db, settings, municipality_code=None)
    )

"""Reference points, the sites' computed distances to them, and the municipalities' key
facts: recomputing, reading for pages, and the coordinator's edits (the region file
seeds them: app/services/region.py).

Distances are stored (`site_distances`), never computed per request: a site's row set is
rewritten whenever its location changes (`sites.write_draft` calls `refresh_site`), and
every located site's whenever a reference point changes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Municipality, MunicipalityFacts, ReferencePoint, Site, SiteDistance
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.geography import (
    Place,
    PointKind,
    clean_municipality_facts,
    clean_point_code,
    clean_reference_point,
    geodesic_m,
    nearest_by_kind,
)
from app.i18n import N_, register_field_errors, register_labels

if TYPE_CHECKING:
    from app.services.portal import Region  # both build on this module
    from app.services.sites import PublicSite

register_labels(
    "point_kind",
    {
        PointKind.AIRPORT: N_("Airport"),
        PointKind.RAILWAY_STATION: N_("Railway station"),
        PointKind.PORT: N_("Port"),
        PointKind.ROAD_JUNCTION: N_("Main road junction"),
        PointKind.TOWN_CENTRE: N_("Town centre"),
        PointKind.SUBSTATION_400KV: N_("400 kV substation"),
        PointKind.SUBSTATION_110KV: N_("110 kV substation"),
    },
)

register_field_errors(
    {
        "unknown_point_kind": N_("Choose a kind of place."),
        "not_a_coordinate": N_("Give a number in decimal degrees."),
        "point_outside_finland": N_("The place is not in Finland."),
        "point_municipality_unknown": N_("Unknown municipality."),
        "invalid_point_code": N_("Letters a–z, digits and hyphens, at most 60."),
        "point_code_taken": N_("A reference point has this code."),
        "not_a_count": N_("Give a whole number up to %(max)s."),
        "not_a_year": N_("Give a year."),
        "workforce_too_large": N_("The workforce cannot exceed the population."),
    }
)

# The order distances are listed in on pages and in fact sheets.
KIND_ORDER: tuple[str, ...] = tuple(k.value for k in PointKind)


# --- computing ------------------------------------------------------------------------


def places(db: Session) -> list[Place]:
    rows = db.execute(
        select(
            ReferencePoint.code,
            ReferencePoint.kind,
            ReferencePoint.latitude,
            ReferencePoint.longitude,
        ).where(ReferencePoint.active)
    )
    return [Place(code, kind, float(lat), float(lon)) for code, kind, lat, lon in rows]


def insert_distances(db: Session, sites: Iterable[Site], known: Sequence[Place]) -> None:
    """Insert the distances of located sites that have none stored (just inserted, or
    just cleared), in one statement rather than an object per distance."""
    rows = [
        {
            "site_id": site.id,
            "kind": nearest.kind,
            "point_code": nearest.code,
            "distance_m": nearest.distance_m,
        }
        for site in sites
        if site.latitude is not None and site.longitude is not None
        for nearest in nearest_by_kind(site.latitude, site.longitude, known)
    ]
    if rows:
        db.execute(insert(SiteDistance), rows)


def refresh_site(db: Session, site: Site, known: Sequence[Place] | None = None) -> None:
    """Rewrite a stored site's distances from its current location (none without one).
    Nothing is flushed first: the site's changed fields follow with the next flush."""
    with db.no_autoflush:
        db.execute(delete(SiteDistance).where(SiteDistance.site_id == site.id))
        insert_distances(db, [site], places(db) if known is None else known)


def refresh_all(db: Session) -> int:
    """Recompute every located site's distances (a reference point changed)."""
    known = places(db)
    sites = list(db.scalars(select(Site).where(Site.latitude.is_not(None))))
    db.execute(delete(SiteDistance))
    insert_distances(db, sites, known)
    return len(sites)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class Distance:
    kind: str
    point: ReferencePoint
    distance_m: int

    @property
    def km(self) -> float:
        return self.distance_m / 1000


def site_geography(public: PublicSite, reg: Region) -> dict[str, Any]:
    """What the site page and its fact sheet show of where the site lies: its stored
    distances (read in the site's row) named by the region's points, its municipality's
    key facts and its boundary (GeoJSON geometry or None)."""
    distances = [
        Distance(kind, reg.points_by_code[code], metres)
        for kind, code, metres in public.distances
        if code in reg.points_by_code
    ]
    distances.sort(key=lambda d: KIND_ORDER.index(d.kind) if d.kind in KIND_ORDER else 99)
    return {
        "distances": distances,
        "facts": reg.facts_by_municipality.get(public.site.municipality_code),
        "boundary": public.site.polygon,
    }


def active_points(db: Session) -> list[ReferencePoint]:
    return list(
        db.scalars(
            select(ReferencePoint).where(ReferencePoint.active).order_by(ReferencePoint.name_fi)
        )
    )


def all_facts(db: Session) -> list[MunicipalityFacts]:
    return list(db.scalars(select(MunicipalityFacts)))


def within(
    rows: Sequence[tuple[uuid.UUID, float, float]], lat: float, lon: float, radius_km: float
) -> dict[uuid.UUID, int]:
    """Of (site id, latitude, longitude) rows, those within `radius_km` of the centre,
    with their geodesic distance in metres."""
    found: dict[uuid.UUID, int] = {}
    for site_id, site_lat, site_lon in rows:
        metres = geodesic_m(lat, lon, site_lat, site_lon)
        if metres <= radius_km * 1000:
            found[site_id] = round(metres)
    return found


# --- the coordinator's edits -------------------------------------------------------------


def list_points(db: Session, actor: Actor) -> list[ReferencePoint]:
    require_staff_wide(actor)
    return list(
        db.scalars(select(ReferencePoint).order_by(ReferencePoint.kind, ReferencePoint.name_fi))
    )


def get_point(db: Session, actor: Actor, code: str) -> ReferencePoint:
    require_staff_wide(actor)
    point = db.get(ReferencePoint, code)
    if point is None:
        raise NotFound("No such reference point.")
    return point


def get_facts(
    db: Session, actor: Actor, code: str
) -> tuple[Municipality, MunicipalityFacts | None]:
    """A municipality and its key facts (none yet for a municipality never described)."""
    require_staff_wide(actor)
    municipality = db.get(Municipality, code)
    if municipality is None:
        raise NotFound("No such municipality.")
    return municipality, db.get(MunicipalityFacts, code)


def _municipality_codes(db: Session) -> list[str]:
    return list(db.scalars(select(Municipality.code)))


def save_point(
    db: Session, actor: Actor, code: str | None, values: Mapping[str, object]
) -> ReferencePoint:
    """Change a reference point (or add one when `code` is None, under the code given in
    `values`), then recompute every site's distances in the same transaction."""
    require_staff_wide(actor)
    point = None if code is None else get_point(db, actor, code)
    # A new point's code is checked with the other fields, so a form names every error.
    errors: list[FieldError] = []
    new_code = ""
    if point is None:
        try:
            new_code = clean_point_code(values.get("code"))
        except ValidationFailed as failed:
            errors += failed.errors
        else:
            if db.get(ReferencePoint, new_code) is not None:
                errors.append(
                    FieldError("code", "A reference point has this code.", "point_code_taken")
                )
    try:
        edit = clean_reference_point(values, _municipality_codes(db))
    except ValidationFailed as failed:
        raise ValidationFailed(errors=errors + failed.errors, detail=failed.detail) from None
    if errors:
        raise ValidationFailed(errors=errors, detail="The reference point is not valid.")
    bind_actor(db, actor)
    if point is None:
        point = ReferencePoint(code=new_code)
        db.add(point)
    point.kind = edit.kind.value
    point.name_fi = edit.name_fi
    point.name_en = edit.name_en
    point.latitude = edit.latitude
    point.longitude = edit.longitude
    point.municipality_code = edit.municipality_code
    point.source = edit.source
    point.active = edit.active
    db.flush()
    refresh_all(db)
    db.commit()
    return point


def save_facts(
    db: Session, actor: Actor, municipality_code: str, values: Mapping[str, object]
) -> MunicipalityFacts:
    require_staff_wide(actor)
    if municipality_code not in _municipality_codes(db):
        raise NotFound("No such municipality.")
    edit = clean_municipality_facts(values)
    bind_actor(db, actor)
    facts = db.get(MunicipalityFacts, municipality_code)
    if facts is None:
        facts = MunicipalityFacts(municipality_code=municipality_code)
        db.add(facts)
    facts.population = edit.population
    facts.workforce = edit.workforce
    facts.year = edit.year
    facts.source = edit.source
    facts.main_employers_fi = edit.main_employers_fi
    facts.main_employers_en = edit.main_employers_en
    db.commit()
    return facts

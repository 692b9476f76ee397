"""Distances and shapes: the reference points of the region, geodesic distances from a
site to the nearest point of each kind, checks of a site's boundary, and the key facts of
the municipalities. Plain Python; the places and facts themselves come from the region
file and are edited by the coordinator once stored."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from pyproj import Geod
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import control_character

# Geodesic distances and areas on the WGS84 ellipsoid (pyproj.Geod is thread-safe).
GEOD: Final = Geod(ellps="WGS84")


class PointKind(StrEnum):
    AIRPORT = "airport"
    RAILWAY_STATION = "railway_station"
    PORT = "port"
    ROAD_JUNCTION = "road_junction"
    TOWN_CENTRE = "town_centre"
    SUBSTATION_400KV = "substation_400kv"
    SUBSTATION_110KV = "substation_110kv"


# --- distances ----------------------------------------------------------------------


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The geodesic distance in metres between two WGS84 points."""
    _forward, _back, metres = GEOD.inv(lon1, lat1, lon2, lat2)
    return float(metres)


@dataclass(frozen=True)
class Place:
    code: str
    kind: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Nearest:
    kind: str
    code: str
    distance_m: int


def nearest_by_kind(lat: float, lon: float, places: Iterable[Place]) -> list[Nearest]:
    """For each kind among `places`, the nearest one to (lat, lon); ties go to the code
    that sorts first, so recomputing never flips between equals."""
    best: dict[str, tuple[float, str]] = {}
    for place in places:
        metres = geodesic_m(lat, lon, place.latitude, place.longitude)
        known = best.get(place.kind)
        if known is None or (metres, place.code) < known:
            best[place.kind] = (metres, place.code)
    return [Nearest(kind, code, round(metres)) for kind, (metres, code) in sorted(best.items())]


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) holding every point within `radius_km`: a
    cheap prefilter for the database before the exact geodesic check."""
    dlat = radius_km / 110.5 + 0.01
    dlon = radius_km / (111.3 * max(math.cos(math.radians(abs(lat) + dlat)), 0.01)) + 0.01
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


# --- boundaries ---------------------------------------------------------------------

Ring = Sequence[tuple[float, float]]  # (longitude, latitude), closed

# A boundary may differ from the stated area by this factor before it is refused: plans
# and registers round, but a boundary three times the site is a wrong file.
AREA_FACTOR: Final = Decimal(3)
# Below this (hectares) the difference is left alone: small plots are drawn roughly.
AREA_SLACK_HA: Final = Decimal(1)
# With no stated area, a boundary larger than this is not a site (the largest mine
# sites of the region are a few thousand hectares).
MAX_BOUNDARY_HA: Final = Decimal(20_000)


def boundary_area_ha(rings: Sequence[Ring]) -> Decimal:
    """The geodesic area of a polygon (outer ring less its holes), in hectares."""
    total = 0.0
    for index, ring in enumerate(rings):
        lons = [lon for lon, _lat in ring]
        lats = [lat for _lon, lat in ring]
        area, _perimeter = GEOD.polygon_area_perimeter(lons, lats)
        total += abs(area) if index == 0 else -abs(area)
    return Decimal(round(max(total, 0.0) / 10_000, 2))


def boundary_problem(
    rings: Sequence[Ring], stated_area_ha: Decimal | None
) -> tuple[str, dict[str, str]] | None:
    """Why a boundary whose rings are closed and within the region cannot be stored, as
    a site error code and its parameters: a ring that crosses itself or a hole outside
    the outer ring (shapely's validity), or an area far from the stated one."""
    polygon = Polygon(rings[0], list(rings[1:]))
    if not polygon.is_valid:
        return "polygon_not_valid", {"reason": explain_validity(polygon)}
    area = boundary_area_ha(rings)
    if stated_area_ha is None:
        if area > MAX_BOUNDARY_HA:
            return "polygon_too_large", {"area": _plain(area), "max": _plain(MAX_BOUNDARY_HA)}
        return None
    low, high = stated_area_ha / AREA_FACTOR, stated_area_ha * AREA_FACTOR
    if abs(area - stated_area_ha) > AREA_SLACK_HA and not low <= area <= high:
        return "polygon_area_mismatch", {"area": _plain(area), "stated": _plain(stated_area_ha)}
    return None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- the coordinator's edits ----------------------------------------------------------

NAME_MAX: Final = 120
SOURCE_MAX: Final = 300
EMPLOYERS_MAX: Final = 2000


@dataclass(frozen=True)
class PointEdit:
    kind: PointKind
    name_fi: str
    name_en: str
    latitude: float
    longitude: float
    municipality_code: str | None
    source: str | None
    active: bool


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def _checked_text(
    values: Mapping[str, object],
    name: str,
    limit: int,
    errors: list[FieldError],
    *,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    text = _text(values, name)
    if not text:
        if required:
            errors.append(FieldError(name, "This field is required.", "required"))
        return None
    if len(text) > limit:
        errors.append(
            FieldError(name, f"At most {limit} characters.", "too_long", {"limit": limit})
        )
    elif control_character(text, multiline=multiline) is not None:
        errors.append(FieldError(name, "The text holds a character it cannot have.", "invalid"))
    return text


def _coordinate(values: Mapping[str, object], name: str, errors: list[FieldError]) -> float:
    raw = values.get(name)
    text = raw.strip().replace(",", ".") if isinstance(raw, str) else raw
    if text in (None, ""):
        errors.append(FieldError(name, "This field is required.", "required"))
        return 0.0
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        errors.append(FieldError(name, "Give a number in decimal degrees.", "not_a_coordinate"))
        return 0.0
    return round(value, 6)


# Reference points may lie outside the region (a neighbour's airport or port), not
# outside Finland.
_FINLAND: Final = (59.5, 70.2, 19.0, 31.7)


def clean_reference_point(
    values: Mapping[str, object], municipality_codes: Iterable[str]
) -> PointEdit:
    """A reference point as the coordinator entered it; `ValidationFailed` names every
    field that is wrong."""
    errors: list[FieldError] = []
    kind_text = _text(values, "kind")
    if kind_text not in {k.value for k in PointKind}:
        errors.append(FieldError("kind", "Choose a kind of place.", "unknown_point_kind"))
    name_fi = _checked_text(values, "name_fi", NAME_MAX, errors, required=True)
    name_en = _checked_text(values, "name_en", NAME_MAX, errors, required=True)
    lat = _coordinate(values, "latitude", errors)
    lon = _coordinate(values, "longitude", errors)
    if not any(e.field in ("latitude", "longitude") for e in errors):
        min_lat, max_lat, min_lon, max_lon = _FINLAND
        if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
            errors.append(
                FieldError("latitude", "The place is not in Finland.", "point_outside_finland")
            )
    municipality = _text(values, "municipality_code") or None
    if municipality is not None and municipality not in set(municipality_codes):
        errors.append(
            FieldError("municipality_code", "Unknown municipality.", "point_municipality_unknown")
        )
    source = _checked_text(values, "source", SOURCE_MAX, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The reference point is not valid.")
    return PointEdit(
        kind=PointKind(kind_text),
        name_fi=name_fi or "",
        name_en=name_en or "",
        latitude=lat,
        longitude=lon,
        municipality_code=municipality,
        source=source,
        active=values.get("active") in (True, "yes", "true", "on", "1"),
    )


def clean_point_code(raw: object) -> str:
    """A new reference point's code: lower-case letters a–z, digits and hyphens."""
    text = raw.strip().lower() if isinstance(raw, str) else ""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,59}", text):
        raise ValidationFailed.single(
            "code", "Letters a–z, digits and hyphens, at most 60.", "invalid_point_code"
        )
    return text


@dataclass(frozen=True)
class FactsEdit:
    population: int | None
    workforce: int | None
    year: int | None
    source: str | None
    main_employers_fi: str | None
    main_employers_en: str | None


def _count(
    values: Mapping[str, object], name: str, errors: list[FieldError], upper: int
) -> int | None:
    text = _text(values, name).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if not text.isdigit() or int(text) > upper:
        errors.append(
            FieldError(name, f"Give a whole number up to {upper}.", "not_a_count", {"max": upper})
        )
        return None
    return int(text)


def clean_municipality_facts(values: Mapping[str, object]) -> FactsEdit:
    errors: list[FieldError] = []
    population = _count(values, "population", errors, 10_000_000)
    workforce = _count(values, "workforce", errors, 10_000_000)
    year = _count(values, "year", errors, 2999)
    if year is not None and year < 1900:
        errors.append(FieldError("year", "Give a year.", "not_a_year"))
    if population is not None and workforce is not None and workforce > population:
        errors.append(
            FieldError(
                "workforce", "The workforce cannot exceed the population.", "workforce_too_large"
            )
        )
    source = _checked_text(values, "source", SOURCE_MAX, errors)
    employers_fi = _checked_text(values, "main_employers_fi", EMPLOYERS_MAX, errors, multiline=True)
    employers_en = _checked_text(values, "main_employers_en", EMPLOYERS_MAX, errors, multiline=True)
    if errors:
        raise ValidationFailed(errors=errors, detail="The key facts are not valid.")
    return FactsEdit(population, workforce, year, source, employers_fi, employers_en)

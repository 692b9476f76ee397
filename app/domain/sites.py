"""Business rules of site offerings (no framework, no database)."""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal
from zoneinfo import ZoneInfo

from app.domain.errors import FieldError, PermissionDenied, ValidationFailed
from app.domain.geography import boundary_problem
from app.domain.region import RegionArea, RegionDefinition


class SiteKind(StrEnum):
    INDUSTRIAL_PLOT = "industrial_plot"
    PREMISES = "premises"
    DATA_CENTRE = "data_centre"
    ENERGY = "energy"
    TOURISM = "tourism"
    OTHER = "other"


class ZoningStatus(StrEnum):
    DETAILED_PLAN = "detailed_plan"
    DETAILED_PLAN_IN_PREPARATION = "detailed_plan_in_preparation"
    MASTER_PLAN = "master_plan"
    NONE = "none"


class Ownership(StrEnum):
    MUNICIPAL = "municipal"
    PRIVATE = "private"
    STATE = "state"


class Tenure(StrEnum):
    SALE = "sale"
    LEASE = "lease"
    SALE_OR_LEASE = "sale_or_lease"


class PermitStatus(StrEnum):
    NOT_NEEDED = "not_needed"
    NOT_STARTED = "not_started"
    PENDING = "pending"
    GRANTED = "granted"


class SiteStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"


class Freshness(StrEnum):
    FRESH = "fresh"
    STALE = "stale"  # flagged to the municipality for re-verification
    EXPIRED = "expired"  # kept off the public portal until verified again


Lang = Literal["fi", "en"]

# Display labels (Finnish, English) of every enum value the uploader or investor sees.
LABELS: Final[Mapping[StrEnum, tuple[str, str]]] = {
    SiteKind.INDUSTRIAL_PLOT: ("Teollisuustontti", "Industrial plot"),
    SiteKind.PREMISES: ("Toimitila", "Premises"),
    SiteKind.DATA_CENTRE: ("Datakeskusalue", "Data-centre site"),
    SiteKind.ENERGY: ("Energia-alue", "Energy site"),
    SiteKind.TOURISM: ("Matkailukohde", "Tourism site"),
    SiteKind.OTHER: ("Muu", "Other"),
    ZoningStatus.DETAILED_PLAN: ("Asemakaava voimassa", "Detailed plan in force"),
    ZoningStatus.DETAILED_PLAN_IN_PREPARATION: (
        "Asemakaava valmisteilla",
        "Detailed plan in preparation",
    ),
    ZoningStatus.MASTER_PLAN: ("Yleiskaava", "Master plan"),
    ZoningStatus.NONE: ("Ei kaavaa", "No plan"),
    Ownership.MUNICIPAL: ("Kunta", "Municipal"),
    Ownership.PRIVATE: ("Yksityinen", "Private"),
    Ownership.STATE: ("Valtio", "State"),
    Tenure.SALE: ("Myynti", "Sale"),
    Tenure.LEASE: ("Vuokraus", "Lease"),
    Tenure.SALE_OR_LEASE: ("Myynti tai vuokraus", "Sale or lease"),
    PermitStatus.NOT_NEEDED: ("Ei tarvita", "Not needed"),
    PermitStatus.NOT_STARTED: ("Ei haettu", "Not applied for"),
    PermitStatus.PENDING: ("Vireillä", "Pending"),
    PermitStatus.GRANTED: ("Myönnetty", "Granted"),
    SiteStatus.DRAFT: ("Luonnos", "Draft"),
    SiteStatus.SUBMITTED: ("Lähetetty tarkastettavaksi", "Submitted for review"),
    SiteStatus.PUBLISHED: ("Julkaistu", "Published"),
    SiteStatus.RETURNED: ("Palautettu korjattavaksi", "Returned for changes"),
    SiteStatus.WITHDRAWN: ("Poistettu julkaisusta", "Withdrawn"),
    SiteStatus.ARCHIVED: ("Arkistoitu", "Archived"),
}

# English reasons of the site rules by stable error code, with %-placeholders filled
# from `FieldError.params`. People read the messages app/services/sites.py registers
# for the same codes, in their own language; these reasons are the fallback.
SITE_REASONS: Final[Mapping[str, str]] = {
    "required": "This field is required.",
    "too_long": "At most %(limit)s characters (now %(length)s).",
    "invalid_text": "The text contains control characters, which are not allowed.",
    "unknown_municipality": "Unknown or not permitted municipality %(value)s. "
    "Allowed: %(allowed)s.",
    "unknown_industry": "Unknown industry code %(value)s.",
    "out_of_range": "The value %(value)s must be at least %(min)s and below %(max)s %(unit)s.",
    "area_mismatch": "The areas do not match: %(ha)s ha is %(expected)s m², "
    "but %(m2)s m² was given.",
    "invalid_email": "The e-mail address %(value)s is not valid.",
    "invalid_phone": "The phone number %(value)s is not valid (digits, spaces, + and -).",
    "incomplete_location": "One of the two coordinates of the location is missing.",
    "outside_region": "The location %(lat)s, %(lon)s (WGS84) is not in %(region)s.",
    "coordinates_swapped": "The location %(lat)s, %(lon)s is not in %(region)s; latitude and "
    "longitude appear to be swapped.",
    "invalid_polygon": "Every ring of the boundary must be closed and have at least 4 points.",
    "polygon_outside_region": "The boundary point %(lat)s, %(lon)s is not in %(region)s.",
    "polygon_not_valid": "The boundary is not a valid polygon: %(reason)s.",
    "polygon_area_mismatch": "The boundary encloses %(area)s ha, far from the stated "
    "area of %(stated)s ha.",
    "polygon_too_large": "The boundary encloses %(area)s ha; a site is at most %(max)s ha.",
    "in_future": "The date %(value)s is in the future.",
    "unknown_action": "Unknown action %(value)s.",
    # The params are codes, shown through the labels of their kinds (app.i18n).
    "invalid_transition": "A site in status %(site_status)s cannot %(site_transition)s.",
}
COORDINATOR_ONLY: Final = "Only the Regional Council's coordinator can do this."


def site_error(field_name: str, code: str, **params: str | int) -> FieldError:
    """A FieldError of a site rule, with its English reason."""
    return FieldError(field_name, SITE_REASONS[code] % params, code, params)


def _refused(error: FieldError) -> ValidationFailed:
    return ValidationFailed(errors=[error], detail=error.reason)


def normalise_lang(lang: str) -> Lang:
    """The uploader's language; anything not Finnish gets English."""
    return "fi" if lang.lower().startswith("fi") else "en"


def label(value: StrEnum, lang: str) -> str:
    fi, en = LABELS[value]
    return fi if normalise_lang(lang) == "fi" else en


def shown(value: object, limit: int = 60) -> str:
    """A user's value quoted for a message, cut so one bad cell cannot flood a report."""
    text = str(value)
    return f"”{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def format_number(value: Decimal | float | int, lang: str) -> str:
    """Plain number for messages: decimal comma in Finnish, no exponent."""
    text = format(Decimal(str(value)).normalize(), "f")
    return text.replace(".", ",") if normalise_lang(lang) == "fi" else text


Ring = tuple[tuple[float, float], ...]
"""(longitude, latitude) pairs in WGS84, first pair repeated last."""


# Slots: a package holds one draft per row, thousands at a time.
@dataclass(frozen=True, kw_only=True, slots=True)
class SiteDraft:
    """Every public and editable field of a site offering, as entered or imported.

    Amounts of money are whole euros; areas, power, capacities and distances are
    Decimals in the unit their name ends with; coordinates are WGS84 degrees.
    """

    kind: SiteKind
    name_fi: str
    municipality_code: str
    name_en: str | None = None  # the portal falls back to name_fi
    description_fi: str | None = None
    description_en: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    polygon: tuple[Ring, ...] | None = None  # outer ring first, then holes
    area_ha: Decimal | None = None
    area_m2: Decimal | None = None
    floor_area_m2: Decimal | None = None
    zoning_status: ZoningStatus | None = None
    permitted_use: str | None = None
    ownership: Ownership | None = None
    price_eur: int | None = None
    price_terms: str | None = None
    tenure: Tenure | None = None
    available_from: date | None = None
    grid_connection: bool | None = None
    available_power_mw: Decimal | None = None
    substation_110kv_km: Decimal | None = None
    substation_400kv_km: Decimal | None = None
    water_m3_per_day: Decimal | None = None
    wastewater_m3_per_day: Decimal | None = None
    district_heat: bool | None = None
    gas: bool | None = None
    rail_siding: bool | None = None
    road_km: Decimal | None = None  # to the nearest main road
    airport_km: Decimal | None = None
    port_km: Decimal | None = None
    fibre: bool | None = None
    environmental_permit: PermitStatus | None = None
    industry_codes: tuple[str, ...] = ()
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    external_ref: str | None = None
    last_verified_on: date | None = None

    def display_name(self, lang: str) -> str:
        if normalise_lang(lang) == "en" and self.name_en:
            return self.name_en
        return self.name_fi


def polygon_geojson(polygon: tuple[Ring, ...]) -> dict[str, object]:
    """The boundary as a GeoJSON Polygon geometry, the form the database keeps."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat] for lon, lat in ring] for ring in polygon],
    }


# Longest accepted texts, per field.
MAX_LENGTHS: Final[Mapping[str, int]] = {
    "name_fi": 200,
    "name_en": 200,
    "description_fi": 10_000,
    "description_en": 10_000,
    "address": 300,
    "permitted_use": 300,
    "price_terms": 300,
    "contact_name": 200,
    "contact_email": 254,
    "contact_phone": 40,
    "external_ref": 80,
}

MULTILINE_FIELDS: Final = frozenset({"description_fi", "description_en", "price_terms"})

# Accepted range [min, max) and unit of every numeric field.
RANGES: Final[Mapping[str, tuple[Decimal, Decimal, str]]] = {
    "area_ha": (Decimal(0), Decimal(100_000), "ha"),
    "area_m2": (Decimal(0), Decimal(1_000_000_000), "m²"),
    "floor_area_m2": (Decimal(0), Decimal(10_000_000), "m²"),
    "available_power_mw": (Decimal(0), Decimal(2_000), "MW"),
    "substation_110kv_km": (Decimal(0), Decimal(1_000), "km"),
    "substation_400kv_km": (Decimal(0), Decimal(1_000), "km"),
    "water_m3_per_day": (Decimal(0), Decimal(1_000_000), "m³/d"),
    "wastewater_m3_per_day": (Decimal(0), Decimal(1_000_000), "m³/d"),
    "road_km": (Decimal(0), Decimal(1_000), "km"),
    "airport_km": (Decimal(0), Decimal(1_000), "km"),
    "port_km": (Decimal(0), Decimal(1_000), "km"),
    "price_eur": (Decimal(0), Decimal(100_000_000_000), "€"),
}

M2_PER_HA: Final = Decimal(10_000)
AREA_TOLERANCE: Final = Decimal("0.01")  # rounding in municipal registers

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{4,38}[0-9]")
# Control characters other than tab and newlines (see MULTILINE_FIELDS).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"[\r\n]")
_HELSINKI = ZoneInfo("Europe/Helsinki")


def municipality_list(codes: Collection[str], names: Mapping[str, str] | None = None) -> str:
    """Codes with names, for messages: "905 Vaasa, 499 Mustasaari". The names are
    `names`, else `codes` itself when it maps codes to names; else codes alone."""
    known = names if names is not None else codes if isinstance(codes, Mapping) else {}
    return ", ".join(f"{code} {known[code]}" if code in known else code for code in sorted(codes))


def validate_site(
    draft: SiteDraft,
    valid_municipality_codes: Collection[str],
    valid_industry_codes: Collection[str],
    *,
    region: SiteRegion,
    today: date | None = None,
) -> list[FieldError]:
    """Every reason `draft` cannot be stored, each on its field (empty when valid).

    `valid_municipality_codes` may map the codes to names (messages list them);
    `region` is where the site must lie. `today` defaults to the current date in Finland.
    """
    today = today or datetime.now(_HELSINKI).date()
    errors: list[FieldError] = []

    def add(field_name: str, code: str, **params: str | int) -> None:
        errors.append(site_error(field_name, code, **params))

    if not draft.name_fi.strip():
        add("name_fi", "required")
    for field_name, max_length in MAX_LENGTHS.items():
        text = getattr(draft, field_name)
        if text is None:
            continue
        if len(text) > max_length:
            add(field_name, "too_long", limit=max_length, length=len(text))
        elif _CONTROL.search(text) or (
            field_name not in MULTILINE_FIELDS and _NEWLINE.search(text)
        ):
            add(field_name, "invalid_text")

    if not draft.municipality_code:
        add("municipality_code", "required")
    elif draft.municipality_code not in valid_municipality_codes:
        add(
            "municipality_code",
            "unknown_municipality",
            value=shown(draft.municipality_code),
            allowed=municipality_list(valid_municipality_codes),
        )
    for code in draft.industry_codes:
        if code not in valid_industry_codes:
            add("industry_codes", "unknown_industry", value=shown(code))

    for field_name, (low, high, unit) in RANGES.items():
        value = getattr(draft, field_name)
        if value is not None and not low <= value < high:
            add(
                field_name,
                "out_of_range",
                value=format_number(value, "en"),
                min=format_number(low, "en"),
                max=format_number(high, "en"),
                unit=unit,
            )
    if draft.area_ha is not None and draft.area_m2 is not None:
        expected = draft.area_ha * M2_PER_HA
        if abs(expected - draft.area_m2) > AREA_TOLERANCE * max(expected, draft.area_m2):
            add(
                "area_m2",
                "area_mismatch",
                ha=format_number(draft.area_ha, "en"),
                expected=format_number(expected, "en"),
                m2=format_number(draft.area_m2, "en"),
            )

    if draft.contact_email is not None and not _EMAIL.fullmatch(draft.contact_email):
        add("contact_email", "invalid_email", value=shown(draft.contact_email))
    if draft.contact_phone is not None and not _PHONE.fullmatch(draft.contact_phone):
        add("contact_phone", "invalid_phone", value=shown(draft.contact_phone))

    # The boundary is compared with the stated area only when that area is itself
    # valid: a bad area is one error, on its own field.
    stated_area_ha = None if any(e.field == "area_ha" for e in errors) else draft.area_ha
    errors.extend(_location_errors(draft, stated_area_ha, region))
    if draft.last_verified_on is not None and draft.last_verified_on > today:
        add("last_verified_on", "in_future", value=draft.last_verified_on.isoformat())
    return errors


@dataclass(frozen=True)
class SiteRegion:
    """Where a site must lie: the region's area, and its name for messages."""

    name: str
    area: RegionArea

    @classmethod
    def of(cls, region: RegionDefinition) -> SiteRegion:
        return cls(region.display_name(region.default_language), region.area)


def _location_errors(
    draft: SiteDraft, stated_area_ha: Decimal | None, region: SiteRegion
) -> list[FieldError]:
    lat, lon = draft.latitude, draft.longitude
    if (lat is None) != (lon is None):
        return [site_error("latitude" if lat is None else "longitude", "incomplete_location")]
    errors: list[FieldError] = []
    inside = region.area.contains
    if lat is not None and lon is not None and not inside(lat, lon):
        code = "coordinates_swapped" if inside(lon, lat) else "outside_region"
        errors.append(site_error("latitude", code, lat=str(lat), lon=str(lon), region=region.name))
    for ring in draft.polygon or ():
        if len(ring) < 4 or ring[0] != ring[-1]:
            errors.append(site_error("polygon", "invalid_polygon"))
            break
        outside = next(((x, y) for x, y in ring if not inside(y, x)), None)
        if outside is not None:
            lat_text, lon_text = str(outside[1]), str(outside[0])
            errors.append(
                site_error(
                    "polygon",
                    "polygon_outside_region",
                    lat=lat_text,
                    lon=lon_text,
                    region=region.name,
                )
            )
            break
    if draft.polygon and not any(e.field == "polygon" for e in errors):
        problem = boundary_problem(draft.polygon, stated_area_ha)
        if problem is not None:
            errors.append(site_error("polygon", problem[0], **problem[1]))
    return errors


# Workflow: action -> {from status: to status}.
SITE_TRANSITIONS: Final[Mapping[str, Mapping[SiteStatus, SiteStatus]]] = {
    "submit": {
        SiteStatus.DRAFT: SiteStatus.SUBMITTED,
        SiteStatus.RETURNED: SiteStatus.SUBMITTED,
    },
    # The coordinator may publish their own draft without a review round.
    "publish": {
        SiteStatus.SUBMITTED: SiteStatus.PUBLISHED,
        SiteStatus.DRAFT: SiteStatus.PUBLISHED,
    },
    "return": {SiteStatus.SUBMITTED: SiteStatus.RETURNED},
    "withdraw": {SiteStatus.PUBLISHED: SiteStatus.WITHDRAWN},
    "archive": {
        status: SiteStatus.ARCHIVED for status in SiteStatus if status != SiteStatus.ARCHIVED
    },
    "reopen": {SiteStatus.WITHDRAWN: SiteStatus.DRAFT},
}
COORDINATOR_ONLY_ACTIONS: Final = frozenset({"publish", "return"})


def next_status(
    current: SiteStatus,
    action: str,
    actor_is_coordinator: bool,
    *,
    comment: str | None = None,
) -> SiteStatus:
    """The status after `action`, or why it is not allowed.

    Raises ValidationFailed (field "action" for an unknown action, "status" with code
    "invalid_transition", "comment" when returning without one) or PermissionDenied.
    """
    transitions = SITE_TRANSITIONS.get(action)
    if transitions is None:
        raise _refused(site_error("action", "unknown_action", value=shown(action)))
    if action in COORDINATOR_ONLY_ACTIONS and not actor_is_coordinator:
        raise PermissionDenied(COORDINATOR_ONLY)
    target = transitions.get(current)
    if target is None:
        raise _refused(
            site_error(
                "status", "invalid_transition", site_status=current.value, site_transition=action
            )
        )
    if action == "return" and not (comment or "").strip():
        raise _refused(site_error("comment", "required"))
    return target


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def freshness(
    last_verified: date | None, today: date, flag_after_months: int, hide_after_months: int
) -> Freshness:
    """How current a site's data is. Both periods count from the last verification;
    a site never verified is expired, so nothing unchecked reaches the portal."""
    if not 0 < flag_after_months <= hide_after_months:
        raise ValueError("need 0 < flag_after_months <= hide_after_months")
    if last_verified is None or today >= add_months(last_verified, hide_after_months):
        return Freshness.EXPIRED
    if today >= add_months(last_verified, flag_after_months):
        return Freshness.STALE
    return Freshness.FRESH

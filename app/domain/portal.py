"""Rules of the public portal: the site search's parameters, the inquiry form's checks,
the signed form-start time and the privacy notice versions. Plain Python."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlencode

from app.domain.errors import FieldError, ValidationFailed
from app.domain.sites import SiteKind, ZoningStatus
from app.i18n import N_

# The privacy notice an inquiry consents to. A new text gets a new version (and a new
# template), old versions stay readable, and each contact records the one it accepted.
PRIVACY_NOTICE_VERSIONS: Final = ("2026-01",)
PRIVACY_NOTICE_VERSION: Final = PRIVACY_NOTICE_VERSIONS[-1]


def inquiry_source(portal_name: str) -> str:
    """What an inquiry's contact data is recorded as coming from (Contact.source)."""
    return f"{portal_name} portal inquiry"


PAGE_SIZE: Final = 12
MAX_PAGE: Final = 1000
SORTS: Final = ("newest", "name", "area_desc", "area_asc", "power_desc", "distance")
# A search centred on a place without a radius reaches this far (all of Finland).
MAX_RADIUS_KM: Final = Decimal(1000)
DEFAULT_SORT: Final = "newest"


@dataclass(frozen=True)
class SiteSearch:
    """The site search as the query string states it; invalid values are dropped, so
    any shared or hand-edited URL still shows a page."""

    municipality: str | None = None
    kind: str | None = None
    industry: str | None = None
    min_area_ha: Decimal | None = None
    max_area_ha: Decimal | None = None
    min_power_mw: Decimal | None = None
    rail: bool = False
    zoning: str | None = None
    q: str | None = None
    available: bool = False  # available now (no date, or a date not after today)
    # The centre of a distance search: a town (reference point or municipality code)
    # or a WGS84 point; `radius_km` limits it.
    near: str | None = None
    lat: Decimal | None = None
    lon: Decimal | None = None
    radius_km: Decimal | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    @property
    def is_filtered(self) -> bool:
        return self != SiteSearch(sort=self.sort, page=self.page)

    def query_items(self) -> list[tuple[str, str]]:
        """The canonical query string items, in a fixed order (shareable, cacheable)."""
        items: list[tuple[str, str]] = []
        for name in ("municipality", "kind", "industry", "zoning", "q", "near"):
            value = getattr(self, name)
            if value:
                items.append((name, value))
        for name in ("min_area_ha", "max_area_ha", "min_power_mw", "lat", "lon", "radius_km"):
            value = getattr(self, name)
            if value is not None:
                items.append((name, format(value.normalize(), "f")))
        if self.rail:
            items.append(("rail", "1"))
        if self.available:
            items.append(("available", "1"))
        if self.sort != DEFAULT_SORT:
            items.append(("sort", self.sort))
        if self.page != 1:
            items.append(("page", str(self.page)))
        return items

    def query(self, **changes: Any) -> str:
        """The query string of this search with `changes` (e.g. page=2), '' when empty."""
        items = replace(self, **changes).query_items() if changes else self.query_items()
        return "?" + urlencode(items) if items else ""


def _decimal(raw: str | None, upper: Decimal) -> Decimal | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(raw.strip().replace(",", ".").replace("\u00a0", "").replace(" ", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > upper:
        return None
    return value


def parse_search(
    query: Mapping[str, str],
    municipality_codes: Collection[str],
    industry_codes: Collection[str],
    town_codes: Collection[str] = (),
) -> SiteSearch:
    """The search of a query string; `town_codes` are the codes `near` may name (town
    centres and municipalities). A point needs both coordinates; sorting by distance
    needs a centre."""

    def choice(name: str, allowed: Collection[str]) -> str | None:
        value = (query.get(name) or "").strip()
        return value if value in allowed else None

    try:
        page = int(query.get("page") or 1)
    except ValueError:
        page = 1
    q = " ".join((query.get("q") or "").split())[:100] or None
    near = choice("near", town_codes)
    lat = _signed_decimal(query.get("lat"), Decimal(90))
    lon = _signed_decimal(query.get("lon"), Decimal(180))
    if lat is None or lon is None or near:
        lat = lon = None
    centred = bool(near) or lat is not None
    radius = _decimal(query.get("radius_km"), MAX_RADIUS_KM) if centred else None
    sort = choice("sort", SORTS) or DEFAULT_SORT
    if sort == "distance" and not centred:
        sort = DEFAULT_SORT
    return SiteSearch(
        municipality=choice("municipality", municipality_codes),
        kind=choice("kind", [k.value for k in SiteKind]),
        industry=choice("industry", industry_codes),
        min_area_ha=_decimal(query.get("min_area_ha"), Decimal(1_000_000)),
        max_area_ha=_decimal(query.get("max_area_ha"), Decimal(1_000_000)),
        min_power_mw=_decimal(query.get("min_power_mw"), Decimal(100_000)),
        rail=(query.get("rail") or "") in ("1", "on", "true"),
        zoning=choice("zoning", [z.value for z in ZoningStatus]),
        q=q,
        available=(query.get("available") or "") in ("1", "on", "true"),
        near=near,
        lat=lat,
        lon=lon,
        radius_km=radius if radius else None,
        sort=sort,
        page=min(max(page, 1), MAX_PAGE),
    )


def _signed_decimal(raw: str | None, bound: Decimal) -> Decimal | None:
    """A coordinate in decimal degrees within ±bound, rounded to 6 places."""
    text = (raw or "").strip()
    negative = text.startswith("-")
    value = _decimal(text.removeprefix("-"), bound)
    if value is None:
        return None
    return round(-value if negative else value, 6)


# --- the inquiry -----------------------------------------------------------------------

TIMELINES: Final = ("within_6_months", "6_to_12_months", "1_to_2_years", "later", "open")
MESSAGE_MAX: Final = 5000
CAPEX_MAX: Final = 100_000_000_000
JOBS_MAX: Final = 100_000
_EMAIL: Final = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Inquiry:
    full_name: str
    organization: str
    country: str
    email: str
    message: str
    capex_eur: int | None
    jobs: int | None
    timeline: str | None
    language: str


def _whole(
    values: Mapping[str, str], name: str, upper: int, errors: list[FieldError]
) -> int | None:
    raw = (values.get(name) or "").replace(" ", "").replace("\u00a0", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > upper:
        errors.append(FieldError(name, N_("Give a whole number (or leave it empty)."), "invalid"))
        return None
    return int(raw)


def clean_inquiry(
    values: Mapping[str, str], country_codes: Collection[str], language: str
) -> Inquiry:
    """Check an inquiry (every error at once) and return it cleaned."""
    errors: list[FieldError] = []

    def text(name: str, limit: int, reason: str) -> str:
        value = (values.get(name) or "").strip()
        if not value:
            errors.append(FieldError(name, reason, "required"))
        elif len(value) > limit:
            errors.append(FieldError(name, N_("The text is too long."), "too_long"))
        return value

    full_name = text("full_name", 200, N_("Give your name."))
    organization = text("organization", 200, N_("Give your organisation's name."))
    message = text("message", MESSAGE_MAX, N_("Tell us briefly what you are planning."))
    email = (values.get("email") or "").strip()
    if not email:
        errors.append(FieldError("email", N_("Give your e-mail address."), "required"))
    elif len(email) > 254 or not _EMAIL.match(email):
        errors.append(
            FieldError(
                "email", N_("Give a valid e-mail address, e.g. name@company.com."), "invalid_email"
            )
        )
    country = (values.get("country") or "").strip().upper()
    if country not in country_codes:
        errors.append(FieldError("country", N_("Choose your country."), "unknown_country"))
    capex = _whole(values, "capex_eur", CAPEX_MAX, errors)
    jobs = _whole(values, "jobs", JOBS_MAX, errors)
    timeline = (values.get("timeline") or "").strip() or None
    if timeline is not None and timeline not in TIMELINES:
        errors.append(FieldError("timeline", N_("Choose a timeline."), "invalid_choice"))
    if values.get("consent") != "yes":
        errors.append(
            FieldError(
                "consent",
                N_("We can answer only if you accept the privacy notice."),
                "consent_required",
            )
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The inquiry is not valid.")
    return Inquiry(
        full_name=full_name,
        organization=organization,
        country=country,
        email=email.lower(),
        message=message,
        capex_eur=capex,
        jobs=jobs,
        timeline=timeline,
        language=language,
    )


# --- the signed form-start time -----------------------------------------------------------


def sign_started(key: bytes, started_at: int) -> str:
    """A form's start time (Unix seconds) with an HMAC, so a bot cannot backdate it."""
    mac = hmac.new(key, f"inquiry-start:{started_at}".encode(), hashlib.sha256).hexdigest()
    return f"{started_at}.{mac[:32]}"


def seconds_since_start(key: bytes, token: str | None, now: int) -> int | None:
    """Seconds since the signed start time, or None when the token is missing, forged
    or from the future."""
    stamp, _, _mac = (token or "").partition(".")
    if not stamp.isdigit() or not hmac.compare_digest(sign_started(key, int(stamp)), token or ""):
        return None
    elapsed = now - int(stamp)
    return elapsed if elapsed >= 0 else None


class Verdict(StrEnum):
    """How a submitted form looks: sent by a person, or by a bot."""

    HUMAN = "human"
    BOT = "bot"  # the honeypot was filled in, or the start time is missing or forged
    TOO_FAST = "too_fast"
    EXPIRED = "expired"


def judge_submission(
    honeypot: str | None, elapsed: int | None, *, min_seconds: int, max_seconds: int
) -> Verdict:
    if (honeypot or "").strip() or elapsed is None:
        return Verdict.BOT
    if elapsed < min_seconds:
        return Verdict.TOO_FAST
    if elapsed > max_seconds:
        return Verdict.EXPIRED
    return Verdict.HUMAN


# What stands in a lead's description for a name the inquiry's sender wrote.
NAME_WITHHELD = "[name withheld]"
# The origin of the note that keeps an inquiry's own words on its sender (origin_id is
# the lead's id), so retention can tell it from the person's other history.
INQUIRY_MESSAGE_ORIGIN = "portal_inquiry"
# The outbox reference of the investor's confirmation of an inquiry (the coordinator's
# notice is "inquiry:<lead id>"): both go when the inquiry is purged (retention).
CONFIRMATION_REFERENCE = "inquiry-confirmation:{lead_id}"


def inquiry_lead_title(industry: str | None, municipality: str | None) -> str:
    """A neutral title for the lead an inquiry becomes: what and where, never who — the
    investor's and the sender's names live only in the linked organisation and contact."""
    parts = [part for part in (industry, municipality) if part]
    return f"Portal inquiry: {', '.join(parts) if parts else 'general'}"[:200]

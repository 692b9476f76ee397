"""Open site data as OGC API – Features (Part 1: Core, GeoJSON and HTML): the classes
the service conforms to, its query parameters, and the choice between GeoJSON and HTML.

Plain Python: the routes (`app/web/ogc.py`) hand the query string and headers in and get
values or a `ValidationFailed` naming each refused parameter (answered with 400, as the
standard asks).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal, TypeVar

from app.domain.errors import FieldError, ValidationFailed

CONFORMANCE: Final = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
CRS84: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN: Final = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
COLLECTION_ID: Final = "sites"

DEFAULT_LIMIT: Final = 10
MAX_LIMIT: Final = 1000
# Far beyond any number of sites; keeps the value inside a database integer.
MAX_OFFSET: Final = 1_000_000_000

# What each kind of resource accepts; anything else is refused, as Part 1 requires.
PAGE_PARAMETERS: Final = frozenset({"f", "lang"})
ITEMS_PARAMETERS: Final = PAGE_PARAMETERS | {"bbox", "limit", "offset", "datetime"}

T = TypeVar("T")
Format = Literal["json", "html"]
JSON_TYPES: Final = ("application/json", "application/geo+json")


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    # West, south, east, north in WGS84 degrees (CRS84 order: longitude first).
    bbox: tuple[float, float, float, float] | None = None
    # Both ends inclusive; None is open.
    changed_from: datetime | None = None
    changed_until: datetime | None = None


def check_parameters(names: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise ValidationFailed(
            errors=[
                FieldError(name, "This query parameter is not supported.", "unknown_parameter")
                for name in unknown
            ],
            detail="Unsupported query parameters: " + ", ".join(unknown) + ".",
        )


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """`minLon,minLat,maxLon,maxLat` or with heights, `minLon,minLat,minH,maxLon,maxLat,maxH`
    (heights are ignored: sites have none). West may exceed east across the antimeridian."""
    parts = text.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise _refused("bbox", "Give four or six comma-separated numbers.", "invalid_bbox")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180):
        raise _refused("bbox", "Longitudes lie between -180 and 180.", "bbox_longitude")
    if not (-90 <= south <= 90 and -90 <= north <= 90):
        raise _refused("bbox", "Latitudes lie between -90 and 90.", "bbox_latitude")
    if south > north:
        raise _refused("bbox", "The southern edge lies north of the northern one.", "bbox_order")
    return west, south, east, north


def parse_integer(name: str, text: str, minimum: int, maximum: int | None = None) -> int:
    if not re.fullmatch(r"[0-9]{1,12}", text.strip()):
        raise _refused(name, f"Give a whole number of at least {minimum}.", f"invalid_{name}")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        raise _refused(name, f"Give a whole number of at least {minimum}.", f"invalid_{name}")
    return value


_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_OPEN = ("", "..")


def _moment(text: str, *, end: bool) -> datetime:
    """An RFC 3339 date-time, or a date standing for its whole day (UTC)."""
    value = text.upper()
    try:
        if _DATE_TIME.fullmatch(value):
            return datetime.fromisoformat(value).astimezone(UTC)
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(), tzinfo=UTC)
            return start + timedelta(days=1, microseconds=-1) if end else start
    except (ValueError, OverflowError):
        pass
    raise _refused(
        "datetime",
        "Give an RFC 3339 date-time (2026-05-01T12:00:00Z) or date, or an interval of "
        "them separated by '/', open ends as '..'.",
        "invalid_datetime",
    )


def parse_datetime(text: str) -> tuple[datetime | None, datetime | None]:
    """An instant (`2026-05-01T12:00:00Z`, or a date: that whole day) or an interval
    (`start/end`, either end open as `..` or empty), as inclusive bounds."""
    if "/" not in text:
        return _moment(text, end=False), _moment(text, end=True)
    first, _, second = text.partition("/")
    start = None if first in _OPEN else _moment(first, end=False)
    end = None if second in _OPEN else _moment(second, end=True)
    if start is not None and end is not None and start > end:
        raise _refused("datetime", "The interval ends before it starts.", "datetime_order")
    return start, end


def parse_items_query(params: Mapping[str, str]) -> ItemsQuery:
    """The items request's filters and page; every bad parameter is named at once."""
    errors: list[FieldError] = []

    def read(name: str, parse: Callable[[str], T], default: T) -> T:
        if name not in params:
            return default
        try:
            return parse(params[name])
        except ValidationFailed as refused:
            errors.extend(refused.errors)
            return default

    limit = read("limit", lambda t: min(parse_integer("limit", t, 1), MAX_LIMIT), DEFAULT_LIMIT)
    offset = read("offset", lambda t: parse_integer("offset", t, 0, MAX_OFFSET), 0)
    bbox = read("bbox", parse_bbox, None)
    open_window: tuple[datetime | None, datetime | None] = (None, None)
    changed_from, changed_until = read("datetime", parse_datetime, open_window)
    if errors:
        raise ValidationFailed(errors=errors, detail=" ".join(e.reason for e in errors))
    return ItemsQuery(limit, offset, bbox, changed_from, changed_until)


def _quality(accept: str, media_type: str) -> tuple[int, float]:
    """(specificity, q) of the most specific media range of `accept` that covers
    `media_type`; (-1, 0) when none does."""
    kind, _, _sub = media_type.partition("/")
    best = (-1, 0.0)
    for part in accept.split(","):
        range_, *params = (p.strip() for p in part.split(";"))
        range_ = range_.lower()
        if range_ == media_type:
            specificity = 2
        elif range_ == f"{kind}/*":
            specificity = 1
        elif range_ == "*/*":
            specificity = 0
        else:
            continue
        q = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if specificity > best[0]:
            best = (specificity, q)
    return best


def choose_format(f: str | None, accept: str | None) -> Format:
    """`f` when given, else what the Accept header prefers; JSON unless HTML is
    preferred (clients that accept anything get GeoJSON)."""
    if f is not None:
        if f.lower() in ("json", "geojson"):
            return "json"
        if f.lower() == "html":
            return "html"
        raise _refused("f", "Give f=json or f=html.", "invalid_format")
    if not accept:
        return "json"
    html = _quality(accept, "text/html")[1]
    json = max(_quality(accept, media_type)[1] for media_type in JSON_TYPES)
    return "html" if html > json else "json"


def _refused(name: str, reason: str, code: str) -> ValidationFailed:
    return ValidationFailed.single(name, reason, code)

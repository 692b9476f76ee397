"""One cell or manifest value read as what its column holds: text, a number in Finnish
or English notation, yes/no, a date, a choice by code or label, a municipality or key
industry by code or name, a coordinate system, a boundary, attachment references.
A value that cannot be read raises `Invalid` with the reason's code."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final, NoReturn

from app.domain.geo import TM35FIN, WGS84, Crs
from app.domain.inputs import parse_date
from app.domain.packages.columns import COLUMNS, normalise_key
from app.domain.packages.context import Invalid
from app.domain.packages.report import AttachmentKind
from app.domain.sites import (
    LABELS,
    Ownership,
    PermitStatus,
    SiteKind,
    Tenure,
    ZoningStatus,
    label,
    municipality_list,
    shown,
)


def reject_constant(name: str) -> NoReturn:
    raise ValueError(name)  # NaN and Infinity are not numbers of a site


# Extra spellings of choice values beyond their codes and their fi/en labels.
_CHOICE_ALIASES: Final[Mapping[str, StrEnum]] = {
    "tontti": SiteKind.INDUSTRIAL_PLOT,
    "teollisuus": SiteKind.INDUSTRIAL_PLOT,
    "teollisuusalue": SiteKind.INDUSTRIAL_PLOT,
    "rakennus": SiteKind.PREMISES,
    "toimitilat": SiteKind.PREMISES,
    "datakeskus": SiteKind.DATA_CENTRE,
    "data_center": SiteKind.DATA_CENTRE,
    "energia": SiteKind.ENERGY,
    "uusiutuva_energia": SiteKind.ENERGY,
    "matkailu": SiteKind.TOURISM,
    "asemakaava": ZoningStatus.DETAILED_PLAN,
    "asemakaava_vireilla": ZoningStatus.DETAILED_PLAN_IN_PREPARATION,
    "ei": ZoningStatus.NONE,
    "kaupunki": Ownership.MUNICIPAL,
    "kunnan": Ownership.MUNICIPAL,
    "kaupungin": Ownership.MUNICIPAL,
    "valtion": Ownership.STATE,
    "vuokra": Tenure.LEASE,
    "myynti_vuokra": Tenure.SALE_OR_LEASE,
    "haettu": PermitStatus.PENDING,
}


def _choice_table(enum: type[StrEnum]) -> dict[str, StrEnum]:
    table: dict[str, StrEnum] = {}
    for member in enum:
        fi, en = LABELS[member]
        for key in (member.value, fi, en):
            table[normalise_key(key)] = member
    for key, member in _CHOICE_ALIASES.items():
        if isinstance(member, enum):
            table[key] = member
    return table


_CHOICES: Final[Mapping[type[StrEnum], Mapping[str, StrEnum]]] = {
    column.choices: _choice_table(column.choices) for column in COLUMNS if column.choices
}
_BOOLEANS: Final = {
    **dict.fromkeys(("yes", "kylla", "k", "ja", "true", "tosi", "1", "x"), True),
    **dict.fromkeys(("no", "ei", "e", "nej", "false", "epatosi", "0"), False),
}
_CRS_KEYS: Final[Mapping[str, Crs]] = {
    **dict.fromkeys(("epsg_4326", "4326", "wgs84", "wgs_84"), WGS84),
    **dict.fromkeys(
        ("epsg_3067", "3067", "etrs_tm35fin", "tm35fin", "etrs89_tm35fin", "euref_fin_tm35fin"),
        TM35FIN,
    ),
}
_ATTACHMENT_KINDS: Final = {
    **dict.fromkeys(("photo", "kuva", "valokuva", "foto", "bild"), AttachmentKind.PHOTO),
    **dict.fromkeys(("document", "asiakirja", "dokumentti", "dokument"), AttachmentKind.DOCUMENT),
    **dict.fromkeys(("map", "kartta", "karta"), AttachmentKind.MAP),
}

_MAX_POLYGON_POINTS: Final = 10_000
_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_FI_DATE: Final = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE: Final = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?")
_LIST_SEPARATORS: Final = re.compile(r"[;\n|]")


def text_value(raw: object) -> str | None:
    if isinstance(raw, bool | list | dict):
        raise Invalid("invalid_value", value=shown(raw))
    if isinstance(raw, float | Decimal):
        # A spreadsheet stores 12345 typed into a text column as the number 12345.0.
        value = decimal_value(raw)
        raw = int(value) if value == value.to_integral_value() else value
    if isinstance(raw, date):
        raw = raw.isoformat()
    return str(raw).strip() or None


def decimal_value(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise Invalid("invalid_number", value=shown(raw))
    if isinstance(raw, str):
        # Finnish style: decimal comma, spaces (also no-break ones) between thousands.
        text = re.sub(r"[\s\u00a0\u202f]", "", raw).replace("\u2212", "-")
        if "," in text and "." in text:
            raise Invalid("invalid_number", value=shown(raw))
        text = text.replace(",", ".")
        if not _NUMBER.fullmatch(text):
            raise Invalid("invalid_number", value=shown(raw))
        value = Decimal(text)
    else:
        value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    # Finite and of a sane size: NaN, infinities and 1e300 are no site's numbers.
    if not value.is_finite() or abs(value.adjusted()) > 15:
        raise Invalid("invalid_number", value=shown(raw))
    return value


def integer_value(raw: object) -> int:
    value = decimal_value(raw)
    if value != value.to_integral_value():
        raise Invalid("invalid_integer", value=shown(raw))
    return int(value)


def boolean_value(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    key = None
    if isinstance(raw, str):
        key = normalise_key(raw)
    elif isinstance(raw, int | float | Decimal):
        key = str(raw).removesuffix(".0")
    if key not in _BOOLEANS:
        raise Invalid("invalid_boolean", value=shown(raw))
    return _BOOLEANS[key]


def date_value(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        finnish, iso = _FI_DATE.fullmatch(text), _ISO_DATE.fullmatch(text)
        try:
            if finnish:
                day, month, year = (int(part) for part in finnish.groups())
                return parse_date(date(year, month, day).isoformat())
            if iso:
                return parse_date(iso.group(1))
        except ValueError:
            pass
    raise Invalid("invalid_date", value=shown(raw))


def choice_value(raw: object, enum: type[StrEnum], lang: str) -> StrEnum:
    member = _CHOICES[enum].get(normalise_key(str(raw))) if isinstance(raw, str) else None
    if member is None:
        allowed = ", ".join(f"{m.value} ({label(m, lang)})" for m in enum)
        raise Invalid("invalid_choice", value=shown(raw), allowed=allowed)
    return member


def _name_keys(valid: Collection[str]) -> dict[str, str]:
    """Codes by their normalised names, where `valid` maps the region's codes to names."""
    if not isinstance(valid, Mapping):
        return {}
    return {normalise_key(name): code for code, name in valid.items()}


def municipality_value(
    raw: object, valid: Collection[str], aliases: Mapping[str, str] | None = None
) -> str:
    """A municipality's code from its code or any of its names (`aliases`: normalised
    slug and fi/sv/en names of every stored municipality; else the names `valid` maps
    to). Whether the uploader may use it is the site rules' question."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        raw = text_value(raw)  # 205 or 205.0 from a spreadsheet
    if isinstance(raw, str):
        text = raw.strip()
        if text.isdigit():
            return text.zfill(3)
        key = normalise_key(text)
        code = (aliases or {}).get(key) or _name_keys(valid).get(key)
        if code is not None:
            return code
    raise Invalid("unknown_municipality", value=shown(raw), allowed=municipality_list(valid))


def codes_value(
    raw: object, valid: Collection[str], aliases: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Key-industry codes from codes or names (`aliases`: normalised fi/sv/en names of
    every industry; else the names `valid` maps to)."""
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(str(raw))
    codes: list[str] = []
    for item in items:
        text = text_value(item)
        if text is None:
            continue
        key = normalise_key(text)
        code = (aliases or {}).get(key) or _name_keys(valid).get(key, text)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def crs_value(raw: object) -> Crs:
    crs = _CRS_KEYS.get(normalise_key(str(raw))) if isinstance(raw, str | int) else None
    if crs is None:
        raise Invalid("invalid_crs", value=shown(raw))
    return crs


def polygon_points(raw: object) -> list[list[tuple[float, float]]]:
    """Rings of (x, y) in the source CRS from GeoJSON (object, array or text) or WKT."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in "[{":
            try:
                raw = json.loads(text, parse_constant=reject_constant)
            except (ValueError, RecursionError):
                raise Invalid("invalid_polygon_format") from None
        else:
            match = re.fullmatch(r"(?i)POLYGON\s*\((.*)\)", text, flags=re.DOTALL)
            if not match:
                raise Invalid("invalid_polygon_format")
            raw = [
                [pair.split() for pair in ring.split(",")]
                for ring in re.findall(r"\(([^()]*)\)", match.group(1))
            ]
    if isinstance(raw, dict):
        if raw.get("type") != "Polygon":
            raise Invalid("invalid_polygon_format")
        raw = raw.get("coordinates")
    if not isinstance(raw, list) or not raw:
        raise Invalid("invalid_polygon_format")
    rings: list[list[tuple[float, float]]] = []
    for ring in raw:
        if not isinstance(ring, list):
            raise Invalid("invalid_polygon_format")
        points: list[tuple[float, float]] = []
        for point in ring:
            if not isinstance(point, list | tuple) or len(point) != 2:
                raise Invalid("invalid_polygon_format")
            try:
                x, y = (float(decimal_value(value)) for value in point)
            except Invalid:
                raise Invalid("invalid_polygon_format") from None
            points.append((x, y))
        rings.append(points)
    count = sum(map(len, rings))
    if count > _MAX_POLYGON_POINTS:
        raise Invalid("polygon_too_complex", count=count, max=_MAX_POLYGON_POINTS)
    return rings


@dataclass(frozen=True)
class AttachmentRef:
    path: str
    kind: AttachmentKind | None
    title: str | None


def attachment_refs(raw: object) -> list[AttachmentRef]:
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(str(raw))
    refs: list[AttachmentRef] = []
    for item in items:
        if isinstance(item, dict):
            path = item.get("file", item.get("path", item.get("tiedosto")))
            kind_raw = item.get("kind", item.get("tyyppi"))
            title = item.get("title", item.get("otsikko"))
            kind = _ATTACHMENT_KINDS.get(normalise_key(str(kind_raw))) if kind_raw else None
            if not isinstance(path, str) or (kind_raw and kind is None):
                raise Invalid("invalid_attachment_ref", value=shown(item))
            refs.append(AttachmentRef(path, kind, text_value(title) if title is not None else None))
        elif isinstance(item, str):
            prefix, _, rest = item.partition(":")
            kind = _ATTACHMENT_KINDS.get(normalise_key(prefix)) if rest else None
            path = (rest if kind else item).strip()
            if path:
                refs.append(AttachmentRef(path, kind, None))
        else:
            raise Invalid("invalid_attachment_ref", value=shown(item))
    return refs


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate metres between two WGS84 (lat, lon) points a few km apart at most."""
    north = (a[0] - b[0]) * 111_320
    east = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)

"""The region an installation serves, as data: the council, its name in every offered
language, the UI languages, the public domain, the branding, the area sites must lie
in and figures about it (`RegionDefinition`, one row of `regions`); and, in the file
only, the reference data the file seeds: municipalities, the key-industry taxonomy,
investment targets and reference points (`RegionFile`, stored in their own tables).

A region is defined in a YAML file (`app/regions/<slug>/region.yaml`, loaded by
`invest-kainuu init-region FILE`), so another regional council runs the same release
with its own file. Nothing region-specific belongs in code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from shapely.geometry import Point, Polygon

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import control_character

# Every UI language the release has catalogs for; a region offers a subset of them.
SUPPORTED_LANGUAGES = ("fi", "sv", "en")
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class FrozenModel(BaseModel):
    """Region data as read from a file: no unknown keys, never changed once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def text_in(value: Mapping[str, str], lang: str) -> str:
    """The text in `lang`, else English, else Finnish: a region need not translate
    everything into every language it does not offer."""
    for candidate in (lang, "en", "fi"):
        if value.get(candidate):
            return value[candidate]
    return next(iter(value.values()), "")


class Branding(FrozenModel):
    # "Invest in <region>": the portal's and the e-mails' name.
    portal_name: dict[str, str]
    # Who runs the service: the regional council ("Pohjanmaan liitto").
    council_name: dict[str, str]
    primary_colour: str = Field(default="#00558c", pattern=HEX_COLOUR)
    accent_colour: str = Field(default="#f2a900", pattern=HEX_COLOUR)
    # A path under the static files, or an absolute https URL.
    logo: str | None = None


class Contact(FrozenModel):
    """A municipality's business contact for investors on the portal."""

    name: str | None = None
    title: dict[str, str] = Field(default_factory=dict)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()\-]{5,40}$")


class KeyFacts(FrozenModel):
    """A municipality's key facts for investors (rounded public figures)."""

    population: int | None = Field(default=None, ge=0)
    workforce: int | None = Field(default=None, ge=0)
    year: int | None = Field(default=None, ge=1900, le=2999)
    source: str | None = None
    # The main employers, one name per entry, in each language.
    employers: dict[str, list[str]] = Field(default_factory=dict)


class MunicipalityDefinition(FrozenModel):
    # Statistics Finland municipality code, e.g. "905" for Vaasa.
    code: str = Field(pattern=r"^[0-9]{3}$")
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: dict[str, str]
    website: str | None = Field(default=None, pattern=r"^https://\S+$")
    contact: Contact | None = None
    facts: KeyFacts | None = None

    @field_validator("name")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        return _require_languages(value, ("fi", "sv", "en"))


class IndustryDefinition(FrozenModel):
    """A key industry of the region's strategy: a two-level tree with stable codes."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    parent: str | None = None
    name: dict[str, str]
    # NACE Rev. 2 / TOL 2008 divisions, e.g. ["05", "07", "20"].
    nace: tuple[str, ...] = ()
    # Whether leads of this industry count toward "industrial" investment targets.
    counts_as_industrial: bool = True

    @field_validator("name")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        return _require_languages(value, ("fi", "en"))

    @field_validator("nace")
    @classmethod
    def _divisions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(len(code) != 2 or not code.isdigit() for code in value):
            raise ValueError("NACE divisions are two digits, e.g. '05'")
        return value


class TargetDefinition(FrozenModel):
    """An investment target of the region's strategy; a period identifies it."""

    name: str = Field(min_length=1, max_length=200)
    amount_eur: int | None = Field(default=None, gt=0)
    amount_jobs: int | None = Field(default=None, gt=0)
    period_start: date
    period_end: date
    scope: Literal["industrial", "all"] = "industrial"

    @model_validator(mode="after")
    def _consistent(self) -> TargetDefinition:
        if self.amount_eur is None and self.amount_jobs is None:
            raise ValueError("give amount_eur, amount_jobs or both")
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


PointKindName = Literal[
    "airport",
    "railway_station",
    "port",
    "road_junction",
    "town_centre",
    "substation_400kv",
    "substation_110kv",
]


class ReferencePointDefinition(FrozenModel):
    """A public place distances are measured to (WGS84 degrees)."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")
    kind: PointKindName
    name: dict[str, str]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    municipality: str | None = None
    source: str | None = Field(default=None, max_length=300)

    @field_validator("name")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        return _require_languages(value, ("fi", "en"))


class BoundingBox(FrozenModel):
    min_lat: float = Field(ge=-90, le=90)
    max_lat: float = Field(ge=-90, le=90)
    min_lon: float = Field(ge=-180, le=180)
    max_lon: float = Field(ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> BoundingBox:
        if self.min_lat >= self.max_lat or self.min_lon >= self.max_lon:
            raise ValueError("min_lat/min_lon must be below max_lat/max_lon")
        return self


class RegionArea(FrozenModel):
    """Where the region's sites may lie: a polygon of (longitude, latitude) points
    (WGS84, GeoJSON order), or a bounding box. A site outside it is refused."""

    bounding_box: BoundingBox | None = None
    polygon: tuple[tuple[float, float], ...] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> RegionArea:
        if (self.bounding_box is None) == (self.polygon is None):
            raise ValueError("give either bounding_box or polygon")
        if self.polygon is not None:
            if len(self.polygon) < 4 or self.polygon[0] != self.polygon[-1]:
                raise ValueError("the polygon must be closed and have at least 4 points")
            if not Polygon(self.polygon).is_valid:
                raise ValueError("the polygon crosses itself")
        return self

    def contains(self, lat: float, lon: float) -> bool:
        if self.bounding_box is not None:
            box = self.bounding_box
            return box.min_lat <= lat <= box.max_lat and box.min_lon <= lon <= box.max_lon
        return _shape(self.polygon or ()).covers(Point(lon, lat))

    def extent(self) -> BoundingBox:
        """The smallest box around the area (maps centre on it)."""
        if self.bounding_box is not None:
            return self.bounding_box
        lons = [lon for lon, _lat in self.polygon or ()]
        lats = [lat for _lon, lat in self.polygon or ()]
        return BoundingBox(
            min_lat=min(lats), max_lat=max(lats), min_lon=min(lons), max_lon=max(lons)
        )


class RegionFact(FrozenModel):
    """A figure about the region the portal may show ("Population: 72 000")."""

    label: dict[str, str]
    value: dict[str, str]


class RegionDefinition(FrozenModel):
    # Statistics Finland region code ("15" is Ostrobothnia) and a slug for files and URLs.
    code: str = Field(pattern=r"^[0-9]{2}$")
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: dict[str, str]
    languages: tuple[str, ...] = ("fi", "en")
    default_language: str = "fi"
    public_domain: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$")
    branding: Branding
    area: RegionArea
    facts: tuple[RegionFact, ...] = ()

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [lang for lang in value if lang not in SUPPORTED_LANGUAGES]
        if unknown or not value:
            raise ValueError(f"languages must be among {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    def display_name(self, lang: str) -> str:
        return text_in(self.name, lang)

    def portal_name(self, lang: str) -> str:
        return text_in(self.branding.portal_name, lang)

    def council_name(self, lang: str) -> str:
        return text_in(self.branding.council_name, lang)


class RegionFile(RegionDefinition):
    """A region file: the definition and the region's reference data, which are stored
    in their own tables (municipalities, industries, targets, reference points) and
    edited there once loaded."""

    municipalities: tuple[MunicipalityDefinition, ...] = Field(min_length=1)
    industries: tuple[IndustryDefinition, ...] = ()
    targets: tuple[TargetDefinition, ...] = ()
    reference_points: tuple[ReferencePointDefinition, ...] = ()

    def definition(self) -> RegionDefinition:
        """The parts stored in the `regions` row."""
        return RegionDefinition.model_validate(
            self.model_dump(include=set(RegionDefinition.model_fields))
        )


def _require_languages(value: dict[str, str], required: tuple[str, ...]) -> dict[str, str]:
    missing = [lang for lang in required if not value.get(lang, "").strip()]
    if missing:
        raise ValueError(f"a name is needed in {', '.join(missing)}")
    unknown = [lang for lang in value if lang not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language {', '.join(unknown)}")
    return value


def _reference_errors(region: RegionFile) -> list[FieldError]:
    """What single fields cannot show: repeated codes, and codes that name nothing in
    the file; each error is on the path of the entry at fault."""
    errors: list[FieldError] = []

    def repeated(section: str, attribute: str, codes: list[str]) -> None:
        seen: set[str] = set()
        for index, code in enumerate(codes):
            if code in seen:
                path = f"{section}.{index}.{attribute}"
                errors.append(FieldError(path, f"{code} is given more than once.", "duplicate"))
            seen.add(code)

    if region.default_language not in region.languages:
        errors.append(FieldError("default_language", "Must be one of languages.", "invalid_choice"))
    repeated("municipalities", "code", [m.code for m in region.municipalities])
    repeated("municipalities", "slug", [m.slug for m in region.municipalities])
    repeated("industries", "code", [i.code for i in region.industries])
    repeated("reference_points", "code", [p.code for p in region.reference_points])
    top_level = {i.code for i in region.industries if i.parent is None}
    for index, industry in enumerate(region.industries):
        if industry.parent is not None and industry.parent not in top_level:
            errors.append(
                FieldError(
                    f"industries.{index}.parent",
                    f"{industry.parent} is not a top-level industry of this file.",
                    "unknown",
                )
            )
    municipality_codes = {m.code for m in region.municipalities}
    for index, point in enumerate(region.reference_points):
        if point.municipality is not None and point.municipality not in municipality_codes:
            errors.append(
                FieldError(
                    f"reference_points.{index}.municipality",
                    f"{point.municipality} is not a municipality of this file.",
                    "unknown",
                )
            )
    return errors


@lru_cache(maxsize=8)
def _shape(ring: tuple[tuple[float, float], ...]) -> Polygon:
    # Prepared once per area: the check runs for every row of a site package.
    return Polygon(ring)


def read_region_file(path: Path) -> RegionFile:
    """A region definition from its file (see `parse_region`)."""
    return parse_region(path.read_text(encoding="utf-8"))


def parse_region(text: str) -> RegionFile:
    """A region definition from YAML text; every problem is reported with its path
    ("branding.primary_colour") so whoever edits the file sees where to look."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed.single("file", str(exc), "invalid_yaml") from exc
    if not isinstance(data, dict):
        raise ValidationFailed.single("file", "Expected a mapping.", "invalid_yaml")
    try:
        region = RegionFile.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            errors=[
                FieldError(".".join(str(part) for part in error["loc"]) or "file", error["msg"])
                for error in exc.errors()
            ]
        ) from exc
    errors = _reference_errors(region)
    if errors:
        raise ValidationFailed(errors=errors)
    return region


# --- the administrator's edits ----------------------------------------------------------

NAME_MAX = 120
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COLOUR = re.compile(HEX_COLOUR)


@dataclass(frozen=True)
class RegionEdit:
    name: dict[str, str]
    portal_name: dict[str, str]
    council_name: dict[str, str]
    primary_colour: str
    accent_colour: str
    languages: tuple[str, ...]
    default_language: str
    public_domain: str


def _form_text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def _names(values: Mapping[str, object], prefix: str, errors: list[FieldError]) -> dict[str, str]:
    """A name in every supported language; Finnish and English are required (the
    languages every page falls back to), Swedish may be left empty."""
    names: dict[str, str] = {}
    for lang in SUPPORTED_LANGUAGES:
        field_name = f"{prefix}_{lang}"
        text = _form_text(values, field_name)
        if not text:
            if lang != "sv":
                errors.append(FieldError(field_name, "This field is required.", "required"))
            continue
        if len(text) > NAME_MAX:
            errors.append(
                FieldError(
                    field_name, f"At most {NAME_MAX} characters.", "too_long", {"limit": NAME_MAX}
                )
            )
        elif control_character(text, multiline=False) is not None:
            errors.append(
                FieldError(field_name, "The text holds a character it cannot have.", "invalid")
            )
        names[lang] = text
    return names


def clean_region_edit(values: Mapping[str, object]) -> RegionEdit:
    """The region's names, colours, languages and public domain as an administrator
    entered them; `ValidationFailed` names every field that is wrong."""
    errors: list[FieldError] = []
    name = _names(values, "name", errors)
    portal_name = _names(values, "portal_name", errors)
    council_name = _names(values, "council_name", errors)
    colours: dict[str, str] = {}
    for field_name in ("primary_colour", "accent_colour"):
        colours[field_name] = _form_text(values, field_name).lower()
        if not _COLOUR.match(colours[field_name]):
            errors.append(
                FieldError(field_name, "Give a colour as #rrggbb, e.g. #00558c.", "invalid_colour")
            )
    raw_languages = values.get("languages")
    chosen = raw_languages if isinstance(raw_languages, list | tuple) else [raw_languages]
    languages = tuple(lang for lang in SUPPORTED_LANGUAGES if lang in chosen)
    if not languages:
        errors.append(FieldError("languages", "Offer at least one language.", "no_language"))
    default_language = _form_text(values, "default_language")
    if languages and default_language not in languages:
        errors.append(
            FieldError(
                "default_language",
                "The default language must be one of the languages offered.",
                "default_language_not_offered",
            )
        )
    public_domain = _form_text(values, "public_domain").lower()
    if not _DOMAIN.match(public_domain):
        errors.append(
            FieldError(
                "public_domain",
                "Give a domain name such as invest.example.fi.",
                "invalid_domain",
            )
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The region is not valid.")
    return RegionEdit(
        name=name,
        portal_name=portal_name,
        council_name=council_name,
        primary_colour=colours["primary_colour"],
        accent_colour=colours["accent_colour"],
        languages=languages,
        default_language=default_language,
        public_domain=public_domain,
    )


def apply_region_edit(region: RegionDefinition, edit: RegionEdit) -> RegionDefinition:
    """The region with the administrator's edit; what the form does not show (the logo,
    the area, the facts) stays as it was."""
    branding = region.branding.model_copy(
        update={
            "portal_name": edit.portal_name,
            "council_name": edit.council_name,
            "primary_colour": edit.primary_colour,
            "accent_colour": edit.accent_colour,
        }
    )
    return region.model_copy(
        update={
            "name": edit.name,
            "branding": branding,
            "languages": edit.languages,
            "default_language": edit.default_language,
            "public_domain": edit.public_domain,
        }
    )

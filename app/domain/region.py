"""The region an installation serves, as data: the council, its name in every offered
language, the UI languages, the public domain and the branding.

A region is defined in a YAML file (`app/regions/<slug>/region.yaml`, loaded by
`invest-kainuu init-region FILE`), so another regional council runs the same release
with its own file. Nothing region-specific belongs in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.domain.errors import FieldError, ValidationFailed

# Every UI language the release has catalogs for; a region offers a subset of them.
SUPPORTED_LANGUAGES = ("fi", "sv", "en")
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _localized(value: Mapping[str, str], lang: str) -> str:
    """The text in `lang`, else English, else Finnish: a region need not translate
    everything into every language it does not offer."""
    for candidate in (lang, "en", "fi"):
        if value.get(candidate):
            return value[candidate]
    return next(iter(value.values()), "")


class Branding(_Frozen):
    # "Invest in Kainuu", "Invest in Ostrobothnia": the portal's and the e-mails' name.
    portal_name: dict[str, str]
    # Who runs the service: "Kainuun liitto" / "Regional Council of Kainuu".
    council_name: dict[str, str]
    primary_colour: str = Field(default="#00558c", pattern=HEX_COLOUR)
    accent_colour: str = Field(default="#f2a900", pattern=HEX_COLOUR)
    # A path under the static files, or an absolute https URL.
    logo: str | None = None


class RegionDefinition(_Frozen):
    # Statistics Finland region code ("18" is Kainuu) and a slug for files and URLs.
    code: str = Field(pattern=r"^[0-9]{2}$")
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: dict[str, str]
    languages: tuple[str, ...] = ("fi", "en")
    default_language: str = "fi"
    public_domain: str
    branding: Branding

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [lang for lang in value if lang not in SUPPORTED_LANGUAGES]
        if unknown or not value:
            raise ValueError(f"languages must be among {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    def display_name(self, lang: str) -> str:
        return _localized(self.name, lang)

    def portal_name(self, lang: str) -> str:
        return _localized(self.branding.portal_name, lang)

    def council_name(self, lang: str) -> str:
        return _localized(self.branding.council_name, lang)


def parse_region(text: str) -> RegionDefinition:
    """A region definition from YAML text; every problem is reported with its path
    ("branding.primary_colour") so whoever edits the file sees where to look."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed.single("file", str(exc), "invalid_yaml") from exc
    if not isinstance(data, dict):
        raise ValidationFailed.single("file", "Expected a mapping.", "invalid_yaml")
    try:
        return RegionDefinition.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            errors=[
                FieldError(".".join(str(part) for part in error["loc"]), error["msg"])
                for error in exc.errors()
            ]
        ) from exc

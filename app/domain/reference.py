"""Reference data of the region: municipalities, key industries, the strategy target.

These are seeds, not code paths: once stored, the coordinator edits them as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import control_character


@dataclass(frozen=True)
class MunicipalitySeed:
    code: str
    slug: str
    name_fi: str
    name_sv: str
    name_en: str
    website_url: str


# Statistics Finland codes; all eight belong to region 18 (Kainuu).
MUNICIPALITIES: tuple[MunicipalitySeed, ...] = (
    MunicipalitySeed(
        "105", "hyrynsalmi", "Hyrynsalmi", "Hyrynsalmi", "Hyrynsalmi", "https://www.hyrynsalmi.fi"
    ),
    MunicipalitySeed("205", "kajaani", "Kajaani", "Kajana", "Kajaani", "https://www.kajaani.fi"),
    MunicipalitySeed("290", "kuhmo", "Kuhmo", "Kuhmo", "Kuhmo", "https://www.kuhmo.fi"),
    MunicipalitySeed("578", "paltamo", "Paltamo", "Paldamo", "Paltamo", "https://www.paltamo.fi"),
    MunicipalitySeed(
        "620", "puolanka", "Puolanka", "Puolango", "Puolanka", "https://www.puolanka.fi"
    ),
    MunicipalitySeed(
        "697", "ristijarvi", "Ristijärvi", "Ristijärvi", "Ristijärvi", "https://www.ristijarvi.fi"
    ),
    MunicipalitySeed("765", "sotkamo", "Sotkamo", "Sotkamo", "Sotkamo", "https://www.sotkamo.fi"),
    MunicipalitySeed(
        "777",
        "suomussalmi",
        "Suomussalmi",
        "Suomussalmi",
        "Suomussalmi",
        "https://www.suomussalmi.fi",
    ),
)


@dataclass(frozen=True)
class IndustrySeed:
    code: str
    parent_code: str | None
    name_fi: str
    name_en: str
    nace_codes: tuple[str, ...]
    counts_as_industrial: bool = True


# The key industries of the Kainuu investment strategy 2022–2025 (and the Kajaani
# 2027–2031 programme for defence), mapped to TOL 2008 / NACE Rev. 2 divisions.
KEY_INDUSTRIES: tuple[IndustrySeed, ...] = (
    IndustrySeed(
        "mining_chemicals",
        None,
        "Kestävä kaivosteollisuus ja kemianteollisuus",
        "Sustainable mining and the chemical industry",
        ("05", "07", "08", "09", "20", "24"),
    ),
    IndustrySeed("bioeconomy", None, "Biotalous", "Bioeconomy", ()),
    IndustrySeed(
        "forest_bioeconomy", "bioeconomy", "Metsäbiotalous", "Forest bioeconomy", ("02", "16", "17")
    ),
    IndustrySeed(
        "renewable_energy",
        "bioeconomy",
        "Uusiutuva energia (tuuli, metsäenergia)",
        "Renewable energy (wind, forest energy)",
        ("35",),
    ),
    IndustrySeed(
        "food",
        "bioeconomy",
        "Ruoka (maatalous, luonnontuotteet, kala)",
        "Food (agriculture, natural products, fish)",
        ("01", "03", "10", "11"),
    ),
    IndustrySeed(
        "bio_innovations",
        "bioeconomy",
        "Biotalouden uudet innovaatiot",
        "New bioeconomy innovations",
        ("72",),
    ),
    # Tourism is a key industry but not industrial investment (the strategy's €1.2bn goal).
    IndustrySeed("tourism", None, "Matkailu", "Tourism", ("55", "56", "79", "93"), False),
    IndustrySeed("technology", None, "Teknologiateollisuus", "Technology industry", ()),
    IndustrySeed(
        "metal_machinery",
        "technology",
        "Metalli- ja konepajateollisuus",
        "Metal and machinery",
        ("24", "25", "28", "29", "30", "33"),
    ),
    IndustrySeed(
        "ict_data_centres",
        "technology",
        "ICT ja datakeskukset",
        "ICT and data centres",
        ("61", "62", "63"),
    ),
    IndustrySeed(
        "measurement_technology",
        "technology",
        "Mittaustekniikka",
        "Measurement technology",
        ("26", "27", "71"),
    ),
    IndustrySeed("game_industry", "technology", "Peliala", "Game industry", ("58", "62")),
    IndustrySeed(
        "defence_dual_use",
        None,
        "Puolustus- ja kaksikäyttöteknologia",
        "Defence and dual-use technology",
        ("25", "30", "84"),
    ),
)


@dataclass(frozen=True)
class TargetSeed:
    name: str
    amount_eur: int
    period_start: date
    period_end: date
    scope: str


STRATEGY_TARGET = TargetSeed(
    name="Kainuun investointistrategia 2022–2025: teollisuusinvestoinnit",
    amount_eur=1_200_000_000,
    period_start=date(2022, 1, 1),
    period_end=date(2025, 12, 31),
    scope="industrial",
)


# --- editing: the coordinator's reference data ------------------------------------------

INDUSTRY_NAME_MAX = 120
INDUSTRY_DESCRIPTION_MAX = 2000
CONTACT_NAME_MAX = 200


def _text(values: Mapping[str, object], name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else ""


def _checked_text(
    values: Mapping[str, object],
    name: str,
    limit: int,
    errors: list[FieldError],
    *,
    required: str | None = None,
    multiline: bool = False,
) -> str | None:
    """The text of a field, checked; `required` is the error code when it is empty."""
    text = _text(values, name)
    if not text:
        if required:
            errors.append(FieldError(name, "This field is required.", required))
        return None
    if len(text) > limit:
        errors.append(
            FieldError(name, f"At most {limit} characters.", "too_long", {"limit": limit})
        )
    elif control_character(text, multiline=multiline) is not None:
        errors.append(FieldError(name, "The text holds a character it cannot have.", "invalid"))
    return text


@dataclass(frozen=True)
class IndustryEdit:
    name_fi: str
    name_en: str
    description_fi: str | None
    description_en: str | None
    active: bool


def clean_industry(values: Mapping[str, object]) -> IndustryEdit:
    """A key industry's names (both languages required), descriptions and whether it is
    in use; `ValidationFailed` names every field that is wrong."""
    errors: list[FieldError] = []
    name_fi = _checked_text(
        values, "name_fi", INDUSTRY_NAME_MAX, errors, required="industry_name_required"
    )
    name_en = _checked_text(
        values, "name_en", INDUSTRY_NAME_MAX, errors, required="industry_name_required"
    )
    description_fi = _checked_text(
        values, "description_fi", INDUSTRY_DESCRIPTION_MAX, errors, multiline=True
    )
    description_en = _checked_text(
        values, "description_en", INDUSTRY_DESCRIPTION_MAX, errors, multiline=True
    )
    active = values.get("active")
    if errors:
        raise ValidationFailed(errors=errors, detail="The key industry is not valid.")
    return IndustryEdit(
        name_fi=name_fi or "",
        name_en=name_en or "",
        description_fi=description_fi,
        description_en=description_en,
        active=active in (True, "yes", "true", "on", "1"),
    )


@dataclass(frozen=True)
class MunicipalityContact:
    contact_name: str | None
    contact_title_fi: str | None
    contact_title_en: str | None
    contact_email: str | None
    contact_phone: str | None
    website_url: str | None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")
_WEB_PAGE = re.compile(r"^https://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def clean_municipality_contact(values: Mapping[str, object]) -> MunicipalityContact:
    """The business contact a municipality shows investors on the portal: every field
    optional, each checked for its form."""
    errors: list[FieldError] = []
    name = _checked_text(values, "contact_name", CONTACT_NAME_MAX, errors)
    title_fi = _checked_text(values, "contact_title_fi", CONTACT_NAME_MAX, errors)
    title_en = _checked_text(values, "contact_title_en", CONTACT_NAME_MAX, errors)
    email = _text(values, "contact_email")
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        errors.append(
            FieldError("contact_email", "Give a valid e-mail address.", "contact_invalid_email")
        )
    phone = _text(values, "contact_phone")
    if phone and not _PHONE.match(phone):
        errors.append(
            FieldError(
                "contact_phone",
                "Give a phone number, e.g. +358 40 123 4567.",
                "contact_invalid_phone",
            )
        )
    web = _text(values, "website_url")
    if web and (len(web) > 300 or not _WEB_PAGE.match(web)):
        errors.append(
            FieldError(
                "website_url", "Give an address starting with https://.", "web_page_not_https"
            )
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The contact details are not valid.")
    return MunicipalityContact(
        contact_name=name,
        contact_title_fi=title_fi,
        contact_title_en=title_en,
        contact_email=email.lower() or None,
        contact_phone=phone or None,
        website_url=web or None,
    )

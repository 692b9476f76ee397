"""The coordinator's edits of the region's reference data: key industries and the
municipalities' contact details. The data itself comes from the region file
(app/regions/<slug>/region.yaml, stored by app/services/region.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import control_character

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

"""Business rules of organisations and contacts (no framework, no database)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from babel import Locale
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fi import ytunnus

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import parse_date


class OrganizationType(StrEnum):
    COMPANY = "company"
    INVESTOR = "investor"
    PUBLIC_FUNDER = "public_funder"
    PARTNER_AGENCY = "partner_agency"
    RESEARCH_EDUCATION = "research_education"
    MUNICIPALITY = "municipality"


class LawfulBasis(StrEnum):
    """GDPR Art. 6 basis on which a person's data is held."""

    LEGITIMATE_INTEREST = "legitimate_interest"
    CONSENT = "consent"
    PUBLIC_TASK = "public_task"


class ClassificationVersion(StrEnum):
    """Statistics Finland industry classification; TOL 2025 is NACE Rev. 2.1."""

    TOL2008 = "TOL2008"
    TOL2025 = "TOL2025"


def validate_business_id(value: str) -> str:
    """Check a Finnish business ID (Y-tunnus) and return it as "1234567-8"."""
    if not value.strip():
        raise ValidationFailed.single("business_id", "Give the business ID.", "required")
    try:
        return ytunnus.format(ytunnus.validate(value))
    except InvalidChecksum:
        raise ValidationFailed.single(
            "business_id",
            "The check digit does not match; check the business ID for typos.",
            "invalid_checksum",
        ) from None
    except ValidationError:
        raise ValidationFailed.single(
            "business_id",
            "A business ID is seven digits, a hyphen and a check digit, e.g. 0116297-6.",
            "invalid_format",
        ) from None


# Legal forms say nothing about which organisation it is, so names are compared without
# them: Finnish and Swedish forms first, then international ones.
_LEGAL_FORMS_TEXT = """
oy, oyj, osakeyhtiö, julkinen osakeyhtiö, ky, kommandiittiyhtiö, ay, avoin yhtiö, tmi,
toiminimi, ry, rekisteröity yhdistys, osk, osuuskunta, ab, abp, publ, aktiebolag, kb, hb,
ltd, limited, plc, llc, llp, inc, incorporated, corp, corporation, co, company, gmbh, ag, kg,
se, as, asa, aps, sa, sas, sarl, srl, spa, bv, nv, oü, sp z o o
"""
LEGAL_FORMS: frozenset[tuple[str, ...]] = frozenset(
    tuple(form.split()) for form in _LEGAL_FORMS_TEXT.split(",")
)
_LONGEST_FORM = max(len(form) for form in LEGAL_FORMS)
# Apostrophes join ("McDonald's"); every other non-alphanumeric character separates.
_APOSTROPHES = re.compile(r"['’`´]")


def normalise_org_name(name: str) -> str:
    """A comparison key for an organisation name: case, punctuation, spacing and legal
    form ignored. Å, ä and ö are kept: in Finnish they make different words."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", name).casefold())
    tokens = "".join(ch if ch.isalnum() else " " for ch in text).split()
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(_LONGEST_FORM, len(tokens) - 1), 0, -1):
            # Never strip the whole name: "AS" alone is still a name.
            if tuple(tokens[-size:]) in LEGAL_FORMS:
                tokens, stripped = tokens[:-size], True
                break
            if tuple(tokens[:size]) in LEGAL_FORMS:
                tokens, stripped = tokens[size:], True
                break
    return " ".join(tokens)


def normalise_email(value: str) -> str:
    return value.strip().lower()


class MatchRule(StrEnum):
    BUSINESS_ID = "business_id"
    NAME = "name"
    EMAIL = "email"


@dataclass(frozen=True)
class OrgKey:
    """The fields of a stored organisation that duplicate detection compares."""

    id: uuid.UUID
    name: str
    business_id: str | None = None


@dataclass(frozen=True)
class DuplicateCandidate:
    """An organisation being created or edited; `id` is set when editing, so that the
    organisation is not reported as a duplicate of itself."""

    name: str
    business_id: str | None = None
    id: uuid.UUID | None = None


@dataclass(frozen=True)
class ContactKey:
    id: uuid.UUID
    email: str | None


@dataclass(frozen=True)
class DuplicateMatch:
    id: uuid.UUID
    rule: MatchRule


def _business_id_key(value: str | None) -> str | None:
    compact = ytunnus.compact(value) if value else ""
    return compact or None


def find_duplicates(
    candidate: DuplicateCandidate, existing: Iterable[OrgKey]
) -> list[DuplicateMatch]:
    """Stored organisations that look like the candidate, business-ID matches first."""
    candidate_bid = _business_id_key(candidate.business_id)
    candidate_name = normalise_org_name(candidate.name)
    by_business_id: list[DuplicateMatch] = []
    by_name: list[DuplicateMatch] = []
    for org in existing:
        if org.id == candidate.id:
            continue
        org_bid = _business_id_key(org.business_id)
        if candidate_bid is not None and candidate_bid == org_bid:
            by_business_id.append(DuplicateMatch(org.id, MatchRule.BUSINESS_ID))
        # Two different business IDs are two legal entities, however alike the names.
        elif (
            candidate_name
            and normalise_org_name(org.name) == candidate_name
            and not (candidate_bid and org_bid)
        ):
            by_name.append(DuplicateMatch(org.id, MatchRule.NAME))
    return by_business_id + by_name


def find_contact_duplicates(
    email: str | None, existing: Iterable[ContactKey], *, exclude_id: uuid.UUID | None = None
) -> list[DuplicateMatch]:
    """Stored contacts with the same e-mail address."""
    key = normalise_email(email) if email else ""
    if not key:
        return []
    return [
        DuplicateMatch(contact.id, MatchRule.EMAIL)
        for contact in existing
        if contact.id != exclude_id and contact.email and normalise_email(contact.email) == key
    ]


# CLDR territories include groupings and reserved codes that are not ISO 3166-1 countries.
_NOT_ISO_3166_1 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
COUNTRY_CODES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_ISO_3166_1
)


def validate_country(code: str, field_name: str = "country_code") -> str:
    """Check an ISO 3166-1 alpha-2 country code and return it upper-cased."""
    value = code.strip().upper()
    if value not in COUNTRY_CODES:
        raise ValidationFailed.single(
            field_name, "Give a two-letter ISO country code, e.g. FI.", "unknown_country"
        )
    return value


ORG_NAME_LIMIT = 200
_NACE_CODE = re.compile(r"^[A-U]$|^\d{2}(\.?\d{1,3})?$")
_WEBSITE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")
CONTACT_LANGUAGES = ("fi", "sv", "en", "de", "fr", "es", "it", "ja", "zh", "ko", "nl", "no", "da")
# How long a contact's data is kept when nobody says otherwise (reviewed by the job).
DEFAULT_RETENTION_YEARS = 3


def default_retention(today: date) -> date:
    year = today.year + DEFAULT_RETENTION_YEARS
    # 29 February has no twin in a common year.
    return date(year, today.month, min(today.day, 28 if today.month == 2 else today.day))


def _text(values: Mapping[str, object], name: str) -> str:
    raw = values.get(name)
    return str(raw).strip() if raw is not None else ""


def clean_organization_fields(
    values: Mapping[str, object], industry_codes: set[str], *, creating: bool
) -> dict[str, Any]:
    """Check an organisation's fields (every error at once) and return them cleaned."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("name"):
        name = _text(values, "name")
        if not name:
            errors.append(FieldError("name", "Give the organisation's name.", "required"))
        elif len(name) > ORG_NAME_LIMIT:
            errors.append(FieldError("name", "At most 200 characters.", "too_long", {"limit": 200}))
        else:
            out["name"] = name
            out["name_key"] = normalise_org_name(name)
    if present("type"):
        kind = _text(values, "type")
        if kind not in {t.value for t in OrganizationType}:
            errors.append(FieldError("type", "Choose the type of organisation.", "invalid_choice"))
        else:
            out["type"] = kind
    if present("country"):
        country = _text(values, "country")
        if country:
            try:
                out["country"] = validate_country(country, "country")
            except ValidationFailed as failed:
                errors += failed.errors
        else:
            out["country"] = None
    if present("business_id"):
        business_id = _text(values, "business_id")
        if business_id:
            try:
                out["business_id"] = validate_business_id(business_id)
            except ValidationFailed as failed:
                errors += failed.errors
        else:
            out["business_id"] = None
    for name, limit in (("foreign_registry_id", 60), ("notes", 20_000)):
        if present(name):
            text = _text(values, name)
            if len(text) > limit:
                errors.append(
                    FieldError(name, f"At most {limit} characters.", "too_long", {"limit": limit})
                )
            out[name] = text or None
    if present("industry_code"):
        code = _text(values, "industry_code")
        if code and code not in industry_codes:
            errors.append(FieldError("industry_code", "Unknown key industry.", "unknown"))
        out["industry_code"] = code or None
    if present("nace_code"):
        nace = _text(values, "nace_code").upper()
        if nace and not _NACE_CODE.match(nace):
            errors.append(
                FieldError("nace_code", "Give a NACE/TOL code such as 16 or 16.10.", "invalid")
            )
        out["nace_code"] = nace or None
    if present("nace_version"):
        version = _text(values, "nace_version")
        if version and version not in {v.value for v in ClassificationVersion}:
            errors.append(
                FieldError("nace_version", "Choose TOL2008 or TOL2025.", "invalid_choice")
            )
        out["nace_version"] = version or None
    if out.get("nace_code") and not (out.get("nace_version") or values.get("nace_version")):
        out["nace_version"] = ClassificationVersion.TOL2008.value
    if present("website"):
        website = _text(values, "website")
        if website and (len(website) > 300 or not _WEBSITE.match(website)):
            errors.append(
                FieldError("website", "Give an address starting with https://.", "invalid_url")
            )
        out["website"] = website or None
    if out.get("country") == "FI" and out.get("foreign_registry_id"):
        errors.append(
            FieldError(
                "foreign_registry_id",
                "A Finnish organisation is identified by its business ID.",
                "not_allowed",
            )
        )
    if errors:
        raise ValidationFailed(errors=errors, detail="The organisation is not valid.")
    return out


def clean_contact_fields(
    values: Mapping[str, object], *, creating: bool, today: date
) -> dict[str, Any]:
    """Check a contact's fields, GDPR fields included, and return them cleaned."""
    errors: list[FieldError] = []
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("full_name"):
        name = _text(values, "full_name")
        if not name or len(name) > 200:
            errors.append(FieldError("full_name", "Give the person's name.", "required"))
        else:
            out["full_name"] = name
    if present("email"):
        email = _text(values, "email")
        if email and (len(email) > 254 or not _EMAIL.match(email)):
            errors.append(FieldError("email", "Give a valid e-mail address.", "invalid_email"))
        out["email"] = normalise_email(email) if email else None
    if present("phone"):
        phone = _text(values, "phone")
        if phone and not _PHONE.match(phone):
            errors.append(
                FieldError("phone", "Give a phone number, e.g. +358 40 123 4567.", "invalid")
            )
        out["phone"] = phone or None
    for name, limit in (("role_title", 200), ("notes", 20_000)):
        if present(name):
            text = _text(values, name)
            if len(text) > limit:
                errors.append(
                    FieldError(name, f"At most {limit} characters.", "too_long", {"limit": limit})
                )
            out[name] = text or None
    if present("language"):
        language = _text(values, "language").lower()
        if language and language not in CONTACT_LANGUAGES:
            errors.append(FieldError("language", "Choose a language.", "invalid_choice"))
        out["language"] = language or None
    if present("lawful_basis"):
        basis = _text(values, "lawful_basis")
        if basis not in {b.value for b in LawfulBasis}:
            errors.append(
                FieldError(
                    "lawful_basis",
                    "Choose the lawful basis: legitimate interest, consent or public task.",
                    "required" if not basis else "invalid_choice",
                )
            )
        out["lawful_basis"] = basis
    if present("source"):
        source = _text(values, "source")
        if not source or len(source) > 200:
            errors.append(
                FieldError("source", "Say where the person's data came from.", "required")
            )
        out["source"] = source
    if present("consent_text_version"):
        out["consent_text_version"] = _text(values, "consent_text_version")[:40] or None
    if present("consent_given_at"):
        raw = values.get("consent_given_at")
        if isinstance(raw, datetime) or raw is None:
            out["consent_given_at"] = raw
        elif isinstance(raw, date):
            out["consent_given_at"] = datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
        elif str(raw).strip():
            try:
                parsed = parse_date(str(raw).strip()[:10])
                out["consent_given_at"] = datetime(
                    parsed.year, parsed.month, parsed.day, tzinfo=UTC
                )
            except ValueError:
                errors.append(
                    FieldError("consent_given_at", "Give a date as YYYY-MM-DD.", "invalid_date")
                )
        else:
            out["consent_given_at"] = None
    if out.get("lawful_basis") == LawfulBasis.CONSENT.value:
        if not out.get("consent_given_at") and not values.get("consent_given_at"):
            errors.append(
                FieldError("consent_given_at", "Record when consent was given.", "required")
            )
        if not out.get("consent_text_version"):
            errors.append(
                FieldError(
                    "consent_text_version", "Record which consent text was agreed.", "required"
                )
            )
    if present("retention_until"):
        raw = values.get("retention_until")
        if isinstance(raw, date):
            retention: date | None = raw
        elif raw is None or not str(raw).strip():
            retention = None
        else:
            try:
                retention = parse_date(str(raw).strip())
            except ValueError:
                retention = None
                errors.append(
                    FieldError("retention_until", "Give a date as YYYY-MM-DD.", "invalid_date")
                )
        if retention is None and creating and "retention_until" not in {e.field for e in errors}:
            retention = default_retention(today)
        if retention is not None and retention < today:
            errors.append(
                FieldError("retention_until", "The retention date has passed.", "in_the_past")
            )
        out["retention_until"] = retention
    if errors:
        raise ValidationFailed(errors=errors, detail="The contact is not valid.")
    return out

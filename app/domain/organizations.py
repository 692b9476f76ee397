"""Business rules of organisations and contacts (no framework, no database)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from babel import Locale
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fi import ytunnus

from app.domain.errors import ValidationFailed


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

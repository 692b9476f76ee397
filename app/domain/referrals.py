"""Invest in Finland / Team Finland referrals: what a referral holds, the headings of a
referral export (Finnish or English), and the outcome a partner is told (no framework,
no database)."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import openpyxl

from app.domain.errors import FieldError, ValidationFailed
from app.domain.inputs import INT32_MAX, control_character
from app.domain.leads import ParseErrors, StageKind
from app.domain.organizations import validate_business_id

FIELDS = (
    "referral_id",
    "company",
    "business_id",
    "country",
    "industry",
    "project_description",
    "capex_eur",
    "jobs",
    "timeline",
    "contact_name",
    "contact_email",
    "contact_phone",
)
REQUIRED = ("referral_id", "company", "country")

# Headings of a referral export, as Invest in Finland's CRM and people write them,
# compared after `heading_key` (case, accents, spaces and punctuation ignored).
_HEADINGS: dict[str, tuple[str, ...]] = {
    "referral_id": ("referral id", "referral", "reference", "viite", "viitenumero", "ohjaus id"),
    "company": ("company", "company name", "yritys", "yrityksen nimi", "organisation"),
    "business_id": ("business id", "y-tunnus", "ytunnus"),
    "country": ("country", "maa", "kotimaa", "country of origin", "lähtömaa"),
    "industry": ("industry", "sector", "toimiala", "ala"),
    "project_description": (
        "project description",
        "description",
        "project",
        "hankkeen kuvaus",
        "kuvaus",
        "hanke",
    ),
    "capex_eur": (
        "capex",
        "capex eur",
        "capex (eur)",
        "investment",
        "investointi",
        "investointi eur",
    ),
    "jobs": ("jobs", "employment", "työpaikat", "työpaikkoja", "henkilöstö"),
    "timeline": ("timeline", "schedule", "aikataulu"),
    "contact_name": (
        "contact name",
        "contact",
        "contact person",
        "yhteyshenkilö",
        "yhteyshenkilön nimi",
    ),
    "contact_email": ("contact email", "contact e-mail", "email", "e-mail", "sähköposti"),
    "contact_phone": ("contact phone", "phone", "puhelin", "puhelinnumero"),
}


def heading_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[^0-9a-zäöå]+", "", folded)


HEADING_FIELDS: dict[str, str] = {
    heading_key(alias): name for name, aliases in _HEADINGS.items() for alias in (name, *aliases)
}


def map_headings(header: Sequence[str]) -> tuple[list[str | None], list[FieldError]]:
    """Each column's field (None for an empty heading) and the problems with the header:
    an unknown heading, a field given twice, a required field missing."""
    fields: list[str | None] = []
    errors: list[FieldError] = []
    for heading in header:
        text = heading.strip()
        if not text:
            fields.append(None)
            continue
        name = HEADING_FIELDS.get(heading_key(text))
        if name is None:
            errors.append(FieldError(f"columns.{text}", "Unknown column.", "unknown_column"))
        elif name in fields:
            errors.append(FieldError(f"columns.{text}", "The column is given twice.", "twice"))
        fields.append(name)
    errors += [
        FieldError(f"columns.{name}", "This column is required.", "missing_column")
        for name in REQUIRED
        if name not in fields
    ]
    return fields, errors


@dataclass(frozen=True)
class Referral:
    """One referral, checked: what the partner sent, typed."""

    referral_id: str
    company: str
    country: str
    business_id: str | None = None
    industry_code: str | None = None
    project_description: str | None = None
    capex_eur: int | None = None
    jobs: int | None = None
    timeline: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True)
class ReferralRefs:
    """The reference data a referral is checked against."""

    country_codes: Collection[str]
    # Country and industry names (Finnish and English, any case) -> code.
    country_names: Mapping[str, str]
    industry_names: Mapping[str, str]


def clean_referral(values: Mapping[str, object], refs: ReferralRefs) -> Referral:
    """Check a referral from the API or a file row; every problem at once, named by
    field (`ValidationFailed`)."""
    parse = ParseErrors()
    for name, value in values.items():
        if isinstance(value, str) and control_character(
            value, multiline=name == "project_description"
        ):
            parse.add(name, "The text holds a control character.", "control_character")
    referral_id = parse.text(values, "referral_id", 100, required=True)
    company = parse.text(values, "company", 200, required=True)
    business_id = None
    if raw_business_id := parse.text(values, "business_id", 20):
        try:
            business_id = validate_business_id(raw_business_id)
        except ValidationFailed:
            parse.add("business_id", "Give a valid Finnish business ID.", "invalid")
    country = None
    if raw_country := parse.text(values, "country", 100, required=True):
        country = _code(raw_country, refs.country_codes, refs.country_names)
        if country is None:
            parse.add("country", "Give a country code (e.g. SE) or name.", "unknown")
    industry_code = None
    if raw_industry := parse.text(values, "industry", 120):
        industry_code = refs.industry_names.get(raw_industry.casefold())
        if industry_code is None:
            parse.add("industry", "Give a key industry by its code or name.", "unknown")
    description = parse.text(values, "project_description", 20_000)
    capex = parse.whole_number(values, "capex_eur")
    jobs = parse.whole_number(values, "jobs", maximum=INT32_MAX)
    timeline = parse.text(values, "timeline", 200)
    contact_name = parse.text(values, "contact_name", 200)
    contact_email = parse.text(values, "contact_email", 254)
    contact_phone = parse.text(values, "contact_phone", 40)
    if (contact_email or contact_phone) and not contact_name:
        parse.add("contact_name", "Give the name of the contact person.", "required")
    if parse.errors or referral_id is None or company is None or country is None:
        raise ValidationFailed(errors=parse.errors, detail="The referral is not valid.")
    return Referral(
        referral_id=referral_id,
        company=company,
        country=country,
        business_id=business_id,
        industry_code=industry_code,
        project_description=description,
        capex_eur=capex,
        jobs=jobs,
        timeline=timeline,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
    )


def _code(raw: str, codes: Collection[str], names: Mapping[str, str]) -> str | None:
    if raw.upper() in codes:
        return raw.upper()
    return names.get(raw.casefold())


# --- reading a referral export ---------------------------------------------------------

MAX_ROWS = 5000


class UnreadableFile(Exception):
    """The file is no workbook we can read safely; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The first sheet of a workbook as text cells (numbers without a decimal tail)."""
    # openpyxl parses through defusedxml when it is installed; never without it.
    if not openpyxl.DEFUSEDXML:
        raise UnreadableFile("xml_parser_unsafe")
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(content), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:
        raise UnreadableFile("xlsx_invalid") from exc
    try:
        rows: list[list[str]] = []
        for cells in workbook.worksheets[0].iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                break
            rows.append([_cell_text(cell) for cell in cells])
        return rows
    except Exception as exc:
        raise UnreadableFile("xlsx_invalid") from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and callable(value.date):
        return str(value.date())
    return str(value).strip()


def is_xlsx(filename: str, content: bytes) -> bool:
    """A workbook by its magic bytes (a ZIP) or its name."""
    return content.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx")


# --- the outcome a partner is told -----------------------------------------------------


class ReferralStatus(StrEnum):
    """A referral's outcome in partner-safe terms: nothing of the negotiation itself."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    LANDED = "landed"
    LOST = "lost"
    # Put on hold, or no longer followed as its own lead.
    CLOSED = "closed"


def referral_status(stage_code: str | None, kind: StageKind | None, initial: str) -> ReferralStatus:
    """The outcome of a referral whose lead is in `stage_code` (None: no lead any more)."""
    if stage_code is None or kind is None:
        return ReferralStatus.CLOSED
    if kind is StageKind.WON:
        return ReferralStatus.LANDED
    if kind is StageKind.LOST:
        return ReferralStatus.LOST
    if kind is StageKind.ON_HOLD:
        return ReferralStatus.CLOSED
    return ReferralStatus.RECEIVED if stage_code == initial else ReferralStatus.IN_PROGRESS


def referral_lead_title(industry: str | None) -> str:
    """A neutral title: what, never who (the investor's name lives in the organisation)."""
    return f"Invest in Finland referral: {industry or 'general'}"[:200]

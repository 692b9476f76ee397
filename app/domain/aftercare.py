"""Rules of aftercare: account kinds, the check-in cadence, open issues, and which
capital investors fit a lead (and why)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta

from app.domain.errors import ValidationFailed
from app.domain.leads import ParseErrors


class AccountKind(StrEnum):
    EXISTING_INVESTOR = "existing_investor"
    LOCAL_COMPANY = "local_company"


class IssueCategory(StrEnum):
    PERMITS = "permits"
    WORKFORCE = "workforce"
    ENERGY = "energy"
    LOGISTICS = "logistics"
    OTHER = "other"


class IssueStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class CapitalStage(StrEnum):
    """The stages of a company or project a capital investor puts money in."""

    SEED = "seed"
    VENTURE = "venture"
    GROWTH = "growth"
    BUYOUT = "buyout"
    PROJECT = "project"
    INFRASTRUCTURE = "infrastructure"


# The relationship plans offered: a check-in every 3, 6 or 12 months.
CADENCES = (3, 6, 12)


def next_checkin(after: date, months: int) -> date:
    """The day of the next check-in: `months` calendar months on (the month's last day
    when it is shorter)."""
    return after + relativedelta(months=months)


def clean_account_fields(
    values: Mapping[str, object], *, creating: bool, municipality_codes: Collection[str]
) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("kind"):
        out["kind"] = parse.choice(values, "kind", [k.value for k in AccountKind], required=True)
    if present("municipality_code"):
        out["municipality_code"] = parse.choice(
            values, "municipality_code", municipality_codes, required=True
        )
    if present("checkin_months"):
        months = parse.choice(values, "checkin_months", [str(m) for m in CADENCES])
        out["checkin_months"] = int(months) if months else None
    if present("notes"):
        out["notes"] = parse.text(values, "notes", 20_000)
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The account is not valid.")
    return out


def clean_visit_fields(values: Mapping[str, object]) -> dict[str, Any]:
    parse = ParseErrors()
    out = {
        "visited_on": parse.day(values, "visited_on"),
        "notes": parse.text(values, "notes", 20_000, required=True),
    }
    if not values.get("visited_on"):
        parse.add("visited_on", "Give the date of the visit.", "required")
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The visit is not valid.")
    return out


def clean_issue_fields(values: Mapping[str, object], *, creating: bool) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("category"):
        out["category"] = parse.choice(
            values, "category", [c.value for c in IssueCategory], required=True
        )
    if present("title"):
        out["title"] = parse.text(values, "title", 200, required=True)
    if present("description"):
        out["description"] = parse.text(values, "description", 20_000)
    if "status" in values:
        out["status"] = parse.choice(
            values, "status", [s.value for s in IssueStatus], required=True
        )
    if "resolution" in values:
        out["resolution"] = parse.text(values, "resolution", 20_000)
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The issue is not valid.")
    return out


def clean_investor_fields(
    values: Mapping[str, object],
    *,
    creating: bool,
    industry_codes: Collection[str],
    country_codes: Collection[str],
) -> dict[str, Any]:
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("industry_codes"):
        out["industry_codes"] = parse.codes(values, "industry_codes", industry_codes)
    if present("ticket_min_eur"):
        out["ticket_min_eur"] = parse.whole_number(values, "ticket_min_eur")
    if present("ticket_max_eur"):
        out["ticket_max_eur"] = parse.whole_number(values, "ticket_max_eur")
    if present("stages"):
        out["stages"] = parse.codes(values, "stages", [s.value for s in CapitalStage])
    if present("countries"):
        out["countries"] = parse.codes(values, "countries", country_codes)
    if present("notes"):
        out["notes"] = parse.text(values, "notes", 20_000)
    if present("active"):
        active = parse.flag(values, "active")
        out["active"] = True if active is None else active
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The capital investor is not valid.")
    return out


@dataclass(frozen=True)
class Reason:
    """Why an investor fits a lead, as a code and its parameters (worded when shown)."""

    code: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class InvestorProfile:
    industry_codes: tuple[str, ...]
    ticket_min_eur: int | None
    ticket_max_eur: int | None


def match_reasons(
    profile: InvestorProfile,
    *,
    industry_code: str | None,
    parent_code: str | None,
    capex_eur: int | None,
) -> list[Reason] | None:
    """The reasons an investor fits a lead, or None when it does not: the lead's key
    industry (or its parent industry) is one the investor invests in, and the lead's
    capex lies within the investor's ticket. An investor naming no industry, or no
    ticket bound, is open on that side; a lead without an industry or capex matches
    only investors open on that side."""
    reasons: list[Reason] = []
    if profile.industry_codes:
        if industry_code in profile.industry_codes:
            reasons.append(Reason("industry", {"industry": industry_code}))
        elif parent_code is not None and parent_code in profile.industry_codes:
            reasons.append(Reason("parent_industry", {"industry": parent_code}))
        else:
            return None
    else:
        reasons.append(Reason("any_industry", {}))
    low, high = profile.ticket_min_eur, profile.ticket_max_eur
    if low is None and high is None:
        reasons.append(Reason("any_ticket", {}))
        return reasons
    if capex_eur is None:
        return None
    if (low is not None and capex_eur < low) or (high is not None and capex_eur > high):
        return None
    reasons.append(Reason("ticket", {"capex": capex_eur, "low": low, "high": high}))
    return reasons

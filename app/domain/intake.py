"""Intake rules in plain Python: screening a new lead against the coordinator's rules,
and the response clock counted in Finnish working days. No database here."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from app.domain.errors import ValidationFailed
from app.domain.leads import LeadSource, ParseErrors, Priority

HELSINKI = ZoneInfo("Europe/Helsinki")
INT64_MAX = 2**63 - 1
# Sensible commitments when the coordinator has set none (also the migration's seed).
DEFAULT_WORKING_DAYS = {Priority.HIGH.value: 1, Priority.NORMAL.value: 2, Priority.LOW.value: 5}
MAX_WORKING_DAYS = 60
# Activities that answer the investor: logging the first of them stops the clock.
RESPONSE_ACTIVITY_KINDS = frozenset({"call", "email", "meeting"})
RESPONDED = "responded"
# Nobody waits for an answer to our own prospecting: such leads get no clock.
SOURCES_WITHOUT_CLOCK = frozenset({LeadSource.OWN_PROSPECTING.value})
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class OwnerAction(StrEnum):
    SUGGEST = "suggest"
    ASSIGN = "assign"


# --- screening ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadFacts:
    """What the rules look at in a new lead."""

    capex_eur: int | None
    industry_code: str | None
    # The industry and its main industry (a rule naming the main one covers both).
    industry_family: frozenset[str]
    # Whether the industry counts toward the industrial target (strategy fit).
    industrial: bool
    country: str | None
    source: str
    municipality_codes: frozenset[str]


@dataclass(frozen=True)
class Rule:
    id: uuid.UUID
    name: str
    active: bool
    capex_min_eur: int | None
    capex_max_eur: int | None
    industry_codes: Sequence[str]
    industrial_only: bool
    countries: Sequence[str]
    sources: Sequence[str]
    municipality_codes: Sequence[str]
    priority: str | None
    owner_id: uuid.UUID | None
    owner_action: str


def matches(rule: Rule, lead: LeadFacts) -> bool:
    """Every condition the rule sets holds for the lead (an unset one always holds; a
    lead without the fact a condition needs does not meet it)."""
    if not rule.active:
        return False
    if rule.capex_min_eur is not None and (lead.capex_eur or 0) < rule.capex_min_eur:
        return False
    if rule.capex_max_eur is not None and (
        lead.capex_eur is None or lead.capex_eur > rule.capex_max_eur
    ):
        return False
    if rule.industry_codes and not lead.industry_family & set(rule.industry_codes):
        return False
    if rule.industrial_only and not lead.industrial:
        return False
    if rule.countries and lead.country not in rule.countries:
        return False
    if rule.sources and lead.source not in rule.sources:
        return False
    return not (
        rule.municipality_codes and not lead.municipality_codes & set(rule.municipality_codes)
    )


def first_match(rules: Iterable[Rule], lead: LeadFacts) -> Rule | None:
    """The rules are tried in their order; the first that matches is applied."""
    return next((rule for rule in rules if matches(rule, lead)), None)


@dataclass(frozen=True)
class RuleReferences:
    industry_codes: Collection[str]
    country_codes: Collection[str]
    municipality_codes: Collection[str]
    owner_ids: Collection[uuid.UUID]


def clean_rule_fields(
    values: Mapping[str, object], refs: RuleReferences, *, creating: bool
) -> dict[str, Any]:
    """Check a screening rule's fields (all errors at once); when editing, only the
    keys present in `values` are returned."""
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if present("name"):
        out["name"] = parse.text(values, "name", 120, required=True)
    if present("position"):
        out["position"] = parse.whole_number(values, "position", maximum=10_000) or 0
    if present("active"):
        active = parse.flag(values, "active")
        out["active"] = True if active is None else active
    for name in ("capex_min_eur", "capex_max_eur"):
        if present(name):
            out[name] = parse.whole_number(values, name, maximum=INT64_MAX)
    if present("industry_codes"):
        out["industry_codes"] = parse.codes(values, "industry_codes", refs.industry_codes)
    if present("industrial_only"):
        out["industrial_only"] = bool(parse.flag(values, "industrial_only"))
    if present("countries"):
        upper = values.get("countries")
        if isinstance(upper, str):
            upper = upper.upper()
        elif isinstance(upper, list | tuple):
            upper = [str(c).upper() for c in upper]
        out["countries"] = parse.codes({"countries": upper}, "countries", refs.country_codes)
    if present("sources"):
        out["sources"] = parse.codes(values, "sources", [s.value for s in LeadSource])
    if present("municipality_codes"):
        out["municipality_codes"] = parse.codes(
            values, "municipality_codes", refs.municipality_codes
        )
    if present("priority"):
        out["priority"] = parse.choice(values, "priority", [p.value for p in Priority])
    if present("owner_id"):
        raw = values.get("owner_id")
        owner: uuid.UUID | None = None
        if raw not in (None, ""):
            try:
                owner = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
            except ValueError:
                owner = None
            if owner is None or owner not in refs.owner_ids:
                parse.add("owner_id", "Choose an active staff user.", "unknown")
                owner = None
        out["owner_id"] = owner
    if present("owner_action"):
        out["owner_action"] = (
            parse.choice(values, "owner_action", [a.value for a in OwnerAction])
            or OwnerAction.SUGGEST.value
        )
    low, high = out.get("capex_min_eur"), out.get("capex_max_eur")
    if low is not None and high is not None and high < low:
        parse.add(
            "capex_max_eur", "The upper end of the band is below the lower end.", "band_order"
        )
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The screening rule is not valid.")
    return out


def clean_commitments(values: Mapping[str, object]) -> dict[str, int]:
    """Working days per priority: every priority, each 1 to 60."""
    parse = ParseErrors()
    out: dict[str, int] = {}
    for priority in Priority:
        days = parse.whole_number(values, priority.value, maximum=MAX_WORKING_DAYS)
        if days is None and not any(e.field == priority.value for e in parse.errors):
            parse.add(priority.value, "This field is required.", "required")
        elif days is not None and days < 1:
            parse.add(priority.value, "The amount must be above zero.", "must_be_positive")
        elif days is not None:
            out[priority.value] = days
    if parse.errors:
        raise ValidationFailed(errors=parse.errors, detail="The commitments are not valid.")
    return out


def new_reference(taken: Collection[str] = ()) -> str:
    """A short reference the investor can quote, e.g. IK-7KQ2MX."""
    while True:
        reference = "IK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        if reference not in taken:
            return reference


# --- the working-day clock ----------------------------------------------------------------


@lru_cache(maxsize=32)
def _finnish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FI", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, except Finnish public holidays."""
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=HELSINKI)


@dataclass(frozen=True)
class Deadline:
    due_at: datetime  # the end of the last working day (midnight, Finnish time)
    warn_at: datetime  # the start of that working day
    due_day: date


def deadline(received_at: datetime, working_days: int) -> Deadline:
    """The answer is due by the end of the n-th working day after the day it arrived
    (in Finnish time): on a Thursday with two days, by the end of Monday."""
    day = received_at.astimezone(HELSINKI).date()
    for _ in range(working_days):
        day = next_working_day(day)
    return Deadline(due_at=_start_of(day + timedelta(days=1)), warn_at=_start_of(day), due_day=day)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when end is
    earlier): how many working days are left from today until the due day."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


class ClockState(StrEnum):
    RUNNING = "running"  # more than the due day left
    DUE_TODAY = "due_today"  # the last working day has begun
    OVERDUE = "overdue"
    ANSWERED = "answered"  # on time
    ANSWERED_LATE = "answered_late"


@dataclass(frozen=True)
class Clock:
    state: ClockState
    due_at: datetime
    due_day: date
    # Running: working days left after today; overdue: working days past the due day.
    working_days: int
    first_response_at: datetime | None = None


def clock(
    *, due_at: datetime, warn_at: datetime, first_response_at: datetime | None, now: datetime
) -> Clock:
    due_day = warn_at.astimezone(HELSINKI).date()
    if first_response_at is not None:
        state = ClockState.ANSWERED if first_response_at < due_at else ClockState.ANSWERED_LATE
        return Clock(state, due_at, due_day, 0, first_response_at)
    today = now.astimezone(HELSINKI).date()
    if now >= due_at:
        return Clock(ClockState.OVERDUE, due_at, due_day, working_days_between(due_day, today))
    if now >= warn_at:
        return Clock(ClockState.DUE_TODAY, due_at, due_day, 0)
    return Clock(ClockState.RUNNING, due_at, due_day, working_days_between(today, due_day))


def median(values: Sequence[int]) -> Decimal | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + ordered[middle]) / 2

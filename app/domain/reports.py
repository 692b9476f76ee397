"""Pipeline analytics and the forum report: dates, shares and the shape of the figures.

The counting happens in SQL (`app/services/reports.py`); this module holds the rules
that need no database: what a reporting date means, conversion and median arithmetic,
the comparable windows of a year-over-year comparison and snapshot validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from app.domain.errors import FieldError, ValidationFailed

# Reporting dates are Finnish calendar days.
REPORTING_ZONE = ZoneInfo("Europe/Helsinki")
SECONDS_PER_DAY = 86_400
SNAPSHOT_LABEL_MAX = 120
# How far back the monthly series of new leads reaches.
MONTHS_OF_NEW_LEADS = 12
YEARS_COMPARED = 3


def end_of_day_utc(day: date) -> datetime:
    """The first instant after `day` ends in Finland, in UTC (an exclusive upper bound)."""
    return datetime.combine(day + timedelta(days=1), time(0), REPORTING_ZONE).astimezone(UTC)


def start_of_day_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), REPORTING_ZONE).astimezone(UTC)


def conversion_percent(reached_next: int, reached: int) -> Decimal | None:
    """Share of the leads that reached a stage which went on to the next; None if none did."""
    if reached == 0:
        return None
    return (Decimal(reached_next) * 100 / reached).quantize(Decimal("0.1"), ROUND_HALF_UP)


def reached_per_stage(
    leads_by_furthest: dict[int, int], funnel_stage_orders: dict[str, int]
) -> dict[str, int]:
    """How many leads reached each funnel stage (code → its sort order), from how many
    leads' furthest funnel stage has each order: a lead has reached every funnel stage
    up to its furthest."""
    return {
        code: sum(n for furthest, n in leads_by_furthest.items() if furthest >= order)
        for code, order in funnel_stage_orders.items()
    }


def days(seconds: Decimal | float | int | None) -> Decimal | None:
    """Seconds as days with one decimal, half up (the databases return durations in s)."""
    if seconds is None:
        return None
    return (Decimal(str(seconds)) / SECONDS_PER_DAY).quantize(Decimal("0.1"), ROUND_HALF_UP)


def months_back(as_of: date, count: int) -> list[tuple[int, int]]:
    """The `count` calendar months ending with the month of `as_of`, oldest first."""
    year, month = as_of.year, as_of.month
    months: list[tuple[int, int]] = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


@dataclass(frozen=True)
class YearWindow:
    """1 January to the as-of day of one year, so years compare like with like."""

    year: int
    start: date
    end: date


def year_to_date_windows(as_of: date, years: int = YEARS_COMPARED) -> list[YearWindow]:
    windows = []
    for year in range(as_of.year - years + 1, as_of.year + 1):
        # 29 February has no twin in a common year: the window ends on the 28th.
        day = as_of.day
        if as_of.month == 2 and day == 29 and not _is_leap(year):
            day = 28
        windows.append(YearWindow(year, date(year, 1, 1), date(year, as_of.month, day)))
    return windows


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def validate_snapshot(label: str, as_of: date, today: date) -> str:
    """A snapshot closes a period that has ended; return the trimmed label."""
    errors: list[FieldError] = []
    clean = " ".join(label.split())
    if not clean:
        errors.append(FieldError("label", "Name the reporting period.", "required"))
    elif len(clean) > SNAPSHOT_LABEL_MAX:
        errors.append(FieldError("label", "The name is too long.", "too_long"))
    if as_of > today:
        errors.append(FieldError("as_of", "A period can be closed once it has ended.", "in_future"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The period cannot be closed.")
    return clean


@dataclass(frozen=True)
class FunnelRow:
    stage_code: str
    kind: str
    # Leads in the stage on the date, and their amount (estimated and confirmed together).
    leads: int
    capex_eur: int
    # Leads that had reached the stage or a later one (open and won stages only).
    reached: int | None
    # Of those, the share that went on to the next stage.
    conversion_percent: Decimal | None
    median_days: Decimal | None


@dataclass(frozen=True)
class CountRow:
    key: str | None
    leads: int
    capex_eur: int = 0


@dataclass(frozen=True)
class MonthRow:
    year: int
    month: int
    by_source: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_source.values())


@dataclass(frozen=True)
class YearRow:
    year: int
    window_end: date
    new_leads: int
    landed_leads: int
    realised_eur: int
    lost_leads: int
    activity: int


@dataclass(frozen=True)
class PipelineReport:
    as_of: date
    funnel: list[FunnelRow]
    new_by_month: list[MonthRow]
    sources: list[str]
    lost_by_reason: list[CountRow]
    activity_by_owner: list[CountRow]
    activity_by_municipality: list[CountRow]
    year_over_year: list[YearRow]
    # Held investor visits, delegations and familiarisation trips per host municipality.
    visits_by_municipality: list[CountRow] = field(default_factory=list)

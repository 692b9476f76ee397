"""The target ledger: investment targets and how progress toward them is counted.

Counted exactly once: at any as-of date every lead with an amount (capex or jobs) is in
exactly one column — realised, committed, weighted pipeline, or excluded with a reason
(app/domain/ledger.py `Exclusion`) that the drill-down shows:
- *excluded* first: a duplicate merged into another lead (from its merge on); a lead
  outside the target's scope (not industrial, another industry or municipality); a lost
  lead;
- *realised*: a landed lead with status "realised" whose landing date falls in the
  period (and on or before the as-of date);
- *committed*: status "committed" on a landed lead, a lead in a decision stage, or one
  put on hold after it was committed — dated by its landing date, else its expected
  decision, in the period;
- *weighted pipeline*: every other open lead, capex (and jobs) × effective probability
  (rounded half up per lead), with the expected decision in the period;
- otherwise excluded: on hold, no decision date, or dated outside the period.
*announced* is the part of the weighted pipeline whose amount the investor has made
public; shown for information, already inside the weighted pipeline.
*forecast* = realised + committed + weighted pipeline; *gap* = target − forecast (and
target − realised), negative once the target is exceeded. Jobs are counted in the same
column as the lead's euros: one investment, one column.
As-of dates reconstruct each lead's stage from the stage log and its amounts, status and
dates from the amount ledger (the rows recorded by then), so re-computing a past date
gives the figures a snapshot taken then gave. (A probability override is the current
one, used only while the lead is in the same stage.)
Amounts whose basis is "estimated" (our model) are summed apart from the others
(confirmed by the investor, or from a public source), so the forum can see how much of
each figure is projected.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.errors import FieldError, ValidationFailed
from app.domain.leads import AmountBasis


class TargetScope(StrEnum):
    INDUSTRIAL = "industrial"
    ALL = "all"


class Figure(StrEnum):
    REALISED = "realised"
    COMMITTED = "committed"
    WEIGHTED = "weighted"
    ANNOUNCED = "announced"
    # In no figure, with a reason (app/domain/ledger.py Exclusion); not in the forecast.
    EXCLUDED = "excluded"


class Dimension(StrEnum):
    """What a figure can be split by."""

    INDUSTRY = "industry"
    MUNICIPALITY = "municipality"
    INVESTMENT_TYPE = "investment_type"
    ORIGIN_COUNTRY = "origin_country"


TARGET_NAME_MAX = 200
# Large enough for any regional programme, small enough to rule out typing slips.
TARGET_AMOUNT_MAX = 100_000_000_000
# Every job of a regional programme fits well under this.
TARGET_JOBS_MAX = 1_000_000


@dataclass(frozen=True)
class TargetInput:
    """A target in euros, in jobs, or in both (at least one of the two)."""

    name: str
    amount_eur: int | None
    period_start: date
    period_end: date
    scope: TargetScope
    industry_code: str | None = None
    municipality_code: str | None = None
    amount_jobs: int | None = None


def validate_target(
    data: TargetInput,
    industry_codes: Collection[str],
    municipality_codes: Collection[str],
) -> TargetInput:
    """Check a target; return it with the name trimmed. Lists every problem at once."""
    errors: list[FieldError] = []
    name = " ".join(data.name.split())
    if not name:
        errors.append(FieldError("name", "Give the target a name.", "required"))
    elif len(name) > TARGET_NAME_MAX:
        errors.append(FieldError("name", "The name is too long.", "too_long"))
    if data.amount_eur is None and data.amount_jobs is None:
        errors.append(
            FieldError(
                "amount_eur", "Set the target in euros, in jobs or in both.", "euros_or_jobs"
            )
        )
    if data.amount_eur is not None and not 0 < data.amount_eur <= TARGET_AMOUNT_MAX:
        errors.append(
            FieldError("amount_eur", "The amount must be above zero.", "must_be_positive")
            if data.amount_eur <= 0
            else FieldError("amount_eur", "The amount is implausibly large.", "too_large")
        )
    if data.amount_jobs is not None and not 0 < data.amount_jobs <= TARGET_JOBS_MAX:
        errors.append(
            FieldError("amount_jobs", "The number of jobs must be above zero.", "must_be_positive")
            if data.amount_jobs <= 0
            else FieldError("amount_jobs", "The number of jobs is implausibly large.", "too_large")
        )
    if data.period_end < data.period_start:
        errors.append(
            FieldError("period_end", "The period must end after it starts.", "before_start")
        )
    if data.industry_code is not None and data.industry_code not in industry_codes:
        errors.append(FieldError("industry_code", "Unknown key industry.", "unknown"))
    if data.municipality_code is not None and data.municipality_code not in municipality_codes:
        errors.append(FieldError("municipality_code", "Unknown municipality.", "unknown"))
    if errors:
        raise ValidationFailed(errors=errors, detail="The target is not valid.")
    return TargetInput(
        name=name,
        amount_eur=data.amount_eur,
        period_start=data.period_start,
        period_end=data.period_end,
        scope=data.scope,
        industry_code=data.industry_code,
        municipality_code=data.municipality_code,
        amount_jobs=data.amount_jobs,
    )


def weighted_amount(capex_eur: int, probability: int) -> int:
    """capex × probability / 100 in whole euros, half up — the SQL does the same per lead."""
    exact = Decimal(capex_eur) * probability / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Amount:
    """One figure: euros and jobs, each with its estimated part (our model) and the rest
    (confirmed by the investor or from a public source), and its lead count."""

    estimated: int = 0
    confirmed: int = 0
    leads: int = 0
    jobs_estimated: int = 0
    jobs_confirmed: int = 0

    @property
    def total(self) -> int:
        return self.estimated + self.confirmed

    @property
    def jobs(self) -> int:
        return self.jobs_estimated + self.jobs_confirmed

    def plus(
        self, basis: str, amount: int, leads: int, jobs: int = 0, jobs_basis: str | None = None
    ) -> Amount:
        euros_estimated = basis == AmountBasis.ESTIMATED.value
        jobs_estimated = (jobs_basis or AmountBasis.ESTIMATED.value) == AmountBasis.ESTIMATED.value
        return Amount(
            self.estimated + (amount if euros_estimated else 0),
            self.confirmed + (0 if euros_estimated else amount),
            self.leads + leads,
            self.jobs_estimated + (jobs if jobs_estimated else 0),
            self.jobs_confirmed + (0 if jobs_estimated else jobs),
        )

    def __add__(self, other: Amount) -> Amount:
        return Amount(
            self.estimated + other.estimated,
            self.confirmed + other.confirmed,
            self.leads + other.leads,
            self.jobs_estimated + other.jobs_estimated,
            self.jobs_confirmed + other.jobs_confirmed,
        )


@dataclass(frozen=True)
class Figures:
    realised: Amount = Amount()
    committed: Amount = Amount()
    weighted: Amount = Amount()
    announced: Amount = Amount()
    excluded: Amount = Amount()

    @property
    def forecast(self) -> Amount:
        return self.realised + self.committed + self.weighted

    def add(
        self,
        figure: Figure,
        basis: str,
        amount: int,
        leads: int,
        jobs: int = 0,
        jobs_basis: str | None = None,
    ) -> Figures:
        current: Amount = getattr(self, figure.value)
        values = {f.value: getattr(self, f.value) for f in Figure}
        values[figure.value] = current.plus(basis, amount, leads, jobs, jobs_basis)
        return Figures(**values)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{f.value: getattr(self, f.value) + getattr(other, f.value) for f in Figure}
        )


def gap(target_eur: int, reached_eur: int) -> int:
    """What is still missing; negative when the target is exceeded."""
    return target_eur - reached_eur


def percent_of(part: int, whole: int) -> Decimal:
    """Share in percent with one decimal, half up."""
    if whole <= 0:
        return Decimal("0.0")
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class YearFigures:
    year: int
    figures: Figures
    cumulative: Figures


def cumulate(by_year: dict[int, Figures], first_year: int, last_year: int) -> list[YearFigures]:
    """Each year of the period with its own figures and the running totals to it."""
    rows: list[YearFigures] = []
    running = Figures()
    for year in range(first_year, last_year + 1):
        own = by_year.get(year, Figures())
        running = running + own
        rows.append(YearFigures(year, own, running))
    return rows


@dataclass(frozen=True)
class GroupFigures:
    key: str | None
    figures: Figures


def jobs_figures(figures: Figures) -> Figures:
    """The same figures counted in jobs instead of euros, for the tables and tiles that
    show one measure at a time (each amount's euro parts hold its jobs)."""

    def in_jobs(amount: Amount) -> Amount:
        return Amount(amount.jobs_estimated, amount.jobs_confirmed, amount.leads)

    return Figures(**{figure.value: in_jobs(getattr(figures, figure.value)) for figure in Figure})


@dataclass(frozen=True)
class Progress:
    """A target's progress as of a date: totals, per year, and optional splits."""

    as_of: date
    target_eur: int
    totals: Figures
    years: list[YearFigures]
    splits: dict[Dimension, list[GroupFigures]] = field(default_factory=dict)
    # A target may also (or only) be set in jobs; None: no jobs target.
    target_jobs: int | None = None
    # How many of the counted leads (realised, committed, weighted) had landed.
    landed_leads: int = 0

    @property
    def jobs_gap_to_forecast(self) -> int | None:
        return (
            None if self.target_jobs is None else gap(self.target_jobs, self.totals.forecast.jobs)
        )

    @property
    def jobs_gap_to_realised(self) -> int | None:
        return (
            None if self.target_jobs is None else gap(self.target_jobs, self.totals.realised.jobs)
        )

    @property
    def gap_to_forecast(self) -> int:
        return gap(self.target_eur, self.totals.forecast.total)

    @property
    def gap_to_realised(self) -> int:
        return gap(self.target_eur, self.totals.realised.total)

    @property
    def realised_percent(self) -> Decimal:
        return percent_of(self.totals.realised.total, self.target_eur)

    @property
    def forecast_percent(self) -> Decimal:
        return percent_of(self.totals.forecast.total, self.target_eur)

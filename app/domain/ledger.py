"""The ledger rules: which capex status a lead may have, what the ledger records, which
leads describe one investment, and why a lead with an amount counts in no figure.

The rules (enforced on every write path through `app.services.ledger`):
- *realised* only when the lead has landed (its stage is the won stage);
- *committed* only from a decision stage on (a stage flagged `decision`, or the won
  stage); a lead that is put on hold or lost keeps the status it had, but a status is
  never changed to committed there;
- *announced* only with an announcement date (`Lead.announced_on`);
- a landed lead is committed or realised (the landing rules in `app/domain/leads.py`).
A change that breaks one is refused with a field error on `capex_status`.

Every change of an amount, its basis, its status or its date appends a row to the
ledger (`lead_amounts`), so landing records the realised amount beside the announced
and committed ones. Jobs share the lead's status: one investment is in one column.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.errors import FieldError
from app.domain.leads import CapexStatus, StageKind


class Measure(StrEnum):
    CAPEX = "capex"
    JOBS = "jobs"


@dataclass(frozen=True)
class StageFacts:
    """What the status rules need to know of a stage."""

    kind: StageKind
    decision: bool


def status_allowed(
    status: CapexStatus, stage: StageFacts, announced_on: date | None, *, kept: bool = False
) -> FieldError | None:
    """Why `status` is not allowed in `stage`, or None. `kept`: the lead had the status
    before and only its stage changes (a committed lead put on hold or lost keeps it)."""
    if status is CapexStatus.REALISED and stage.kind is not StageKind.WON:
        return FieldError(
            "capex_status", "Only a landed investment is realised.", "realised_needs_landing"
        )
    if status is CapexStatus.COMMITTED:
        closed_or_paused = stage.kind in (StageKind.LOST, StageKind.ON_HOLD)
        if not (stage.decision or stage.kind is StageKind.WON or (kept and closed_or_paused)):
            return FieldError(
                "capex_status",
                "An amount is committed only from the decision stages on.",
                "committed_needs_decision_stage",
            )
    if status is CapexStatus.ANNOUNCED and announced_on is None:
        return FieldError(
            "capex_status",
            "An announced amount needs the date it was announced.",
            "announced_needs_date",
        )
    if stage.kind is StageKind.WON and status not in (
        CapexStatus.COMMITTED,
        CapexStatus.REALISED,
    ):
        return FieldError(
            "capex_status", "A landed investment is committed or realised.", "invalid_choice"
        )
    return None


def dated_on(landed_on: date | None, expected_decision_on: date | None) -> date | None:
    """The date an amount is dated by in the figures: the landing date once landed,
    else the expected decision."""
    return landed_on if landed_on is not None else expected_decision_on


@dataclass(frozen=True)
class Entry:
    """One row of the ledger as the rules see it."""

    kind: str
    amount: int | None
    basis: str
    dated_on: date | None


def changed_entries(
    previous: dict[Measure, Entry | None], current: dict[Measure, Entry]
) -> dict[Measure, Entry]:
    """The measures whose entry differs from the latest recorded one. A measure that has
    never had an amount is not recorded until it gets one."""
    return {
        measure: entry
        for measure, entry in current.items()
        if entry != previous.get(measure)
        and not (previous.get(measure) is None and entry.amount is None)
    }


class Exclusion(StrEnum):
    """Why a lead with an amount counts in no figure (shown in the drill-down)."""

    DUPLICATE = "duplicate"
    LOST = "lost"
    ON_HOLD = "on_hold"
    NO_DECISION_DATE = "no_decision_date"
    OUTSIDE_PERIOD = "outside_period"
    NOT_INDUSTRIAL = "not_industrial"
    OTHER_INDUSTRY = "other_industry"
    OTHER_MUNICIPALITY = "other_municipality"


@dataclass(frozen=True)
class DuplicateCandidate:
    """What duplicate detection compares of a lead."""

    organization_id: uuid.UUID | None
    industry_code: str | None
    municipality_codes: Collection[str]


def describe_one_investment(a: DuplicateCandidate, b: DuplicateCandidate) -> bool:
    """Two leads describe one investment: the same investor organisation and an overlap —
    the same key industry, or a candidate municipality in common. A lead that names
    neither (a bare portal inquiry) overlaps with any lead of the same investor."""
    if a.organization_id is None or a.organization_id != b.organization_id:
        return False

    def bare(lead: DuplicateCandidate) -> bool:
        return lead.industry_code is None and not lead.municipality_codes

    same_industry = a.industry_code is not None and a.industry_code == b.industry_code
    shared_place = bool(set(a.municipality_codes) & set(b.municipality_codes))
    return same_industry or shared_place or bare(a) or bare(b)

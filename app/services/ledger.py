"""The amount ledger and its rules on every write path; duplicates and lead merges.

`record_amounts` is the one writer of the ledger (`lead_amounts`): every path that
changes a lead's amounts, status or dates (create, edit, stage change, import, the
portal inquiry, demo data) sets the lead's columns and calls it, and it appends a row
per measure whose amount, basis, status or date differs from the latest row. The lead's
columns are the current state, the ledger is the history (app/domain/ledger.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import (
    Activity,
    Lead,
    LeadAmount,
    LeadMunicipality,
    Stage,
    User,
)
from app.domain.access import Actor, require_staff_wide
from app.domain.errors import FieldError, NotFound, ValidationFailed
from app.domain.leads import CapexStatus, StageKind
from app.domain.ledger import (
    DuplicateCandidate,
    Entry,
    Exclusion,
    Measure,
    StageFacts,
    changed_entries,
    dated_on,
    describe_one_investment,
    status_allowed,
)
from app.i18n import N_, register_field_errors, register_labels

register_field_errors(
    {
        "realised_needs_landing": N_("Only a landed investment is realised."),
        "committed_needs_decision_stage": N_(
            "An amount is committed only from the decision stages on."
        ),
        "announced_needs_date": N_("An announced amount needs the date it was announced."),
        ("not_allowed", "decision"): N_("Only an open stage is a decision stage."),
        ("in_use", "decision"): N_("%(count)s leads in this stage have a committed amount."),
        ("possible_duplicate", "organization_id"): N_(
            "This investor already has a lead for the same investment: %(code_name)s. "
            "Confirm to create anyway, or merge the leads."
        ),
        ("required", "duplicate_id"): N_("Choose the duplicate to merge."),
        ("invalid", "duplicate_id"): N_("Choose from the list."),
        ("unknown", "duplicate_id"): N_("No such lead."),
        ("same_lead", "duplicate_id"): N_("A lead cannot be merged into itself."),
        ("already_merged", "duplicate_id"): N_("This lead has already been merged."),
        ("already_merged", "lead_id"): N_("This lead has been merged into another one."),
        ("not_allowed", "realised_jobs"): N_("Only a landed lead has landing details."),
    }
)
register_labels("target_figure", {"excluded": N_("Excluded")})
register_labels("amount_basis", {"public": N_("Public source")})
register_labels("amount_measure", {"capex": N_("Investment (EUR)"), "jobs": N_("Jobs")})
register_labels(
    "exclusion",
    {
        Exclusion.DUPLICATE.value: N_("Duplicate: merged into another lead"),
        Exclusion.LOST.value: N_("Lost"),
        Exclusion.ON_HOLD.value: N_("On hold"),
        Exclusion.NO_DECISION_DATE.value: N_("No decision date"),
        Exclusion.OUTSIDE_PERIOD.value: N_("Decision date outside the period"),
        Exclusion.NOT_INDUSTRIAL.value: N_("Scope: not industrial"),
        Exclusion.OTHER_INDUSTRY.value: N_("Outside the target's industry"),
        Exclusion.OTHER_MUNICIPALITY.value: N_("Outside the target's municipality"),
    },
)


# --- the status rules ------------------------------------------------------------------


def stage_facts(db: Session, stage_code: str) -> StageFacts | None:
    stage = db.get(Stage, stage_code)
    if stage is None:
        return None
    return StageFacts(StageKind(stage.kind), stage.decision)


def status_after_reopening(facts: StageFacts, announced_on: date | None) -> str:
    """The status a landed lead returns to when it is reopened into a stage: committed in
    a decision stage, else announced if it has been, else an estimate."""
    if facts.decision or facts.kind in (StageKind.LOST, StageKind.ON_HOLD):
        return CapexStatus.COMMITTED.value
    if announced_on is not None:
        return CapexStatus.ANNOUNCED.value
    return CapexStatus.ESTIMATE.value


def status_errors(
    db: Session,
    *,
    stage_code: str,
    capex_status: str,
    announced_on: date | None,
    kept: bool = False,
) -> list[FieldError]:
    """The ledger rules' errors for a lead that will be in `stage_code` with the status."""
    facts = stage_facts(db, stage_code)
    if facts is None:
        return []
    error = status_allowed(CapexStatus(capex_status), facts, announced_on, kept=kept)
    return [error] if error is not None else []


# --- the ledger ------------------------------------------------------------------------


def _current_entries(lead: Lead) -> dict[Measure, Entry]:
    on = dated_on(lead.landed_on, lead.expected_decision_on)
    return {
        Measure.CAPEX: Entry(lead.capex_status, lead.capex_eur, lead.capex_basis, on),
        Measure.JOBS: Entry(lead.capex_status, lead.jobs, lead.jobs_basis, on),
    }


def latest_entries(db: Session, lead_id: uuid.UUID) -> dict[Measure, Entry | None]:
    latest: dict[Measure, Entry | None] = {Measure.CAPEX: None, Measure.JOBS: None}
    rows = db.scalars(
        select(LeadAmount)
        .where(LeadAmount.lead_id == lead_id)
        .order_by(LeadAmount.recorded_at, LeadAmount.id)
    )
    for row in rows:
        latest[Measure(row.measure)] = Entry(row.kind, row.amount, row.basis, row.dated_on)
    return latest


def record_amounts(
    db: Session,
    lead: Lead,
    actor: Actor,
    *,
    at: datetime | None = None,
    note: str | None = None,
) -> list[LeadAmount]:
    """Append to the ledger what changed in the lead's amounts, status or dates; no
    commit. The one writer of `lead_amounts`."""
    if lead.id is None:
        db.add(lead)
    db.flush()
    # Defaults of columns not set yet (a lead just built) are the model's.
    lead.capex_status = lead.capex_status or CapexStatus.ESTIMATE.value
    lead.capex_basis = lead.capex_basis or "estimated"
    lead.jobs_basis = lead.jobs_basis or "estimated"
    changed = changed_entries(latest_entries(db, lead.id), _current_entries(lead))
    moment = at or utcnow()
    if changed:
        # The rows they replace end here (rows are appended in time order).
        for row in db.scalars(
            select(LeadAmount).where(
                LeadAmount.lead_id == lead.id,
                LeadAmount.measure.in_([m.value for m in changed]),
                LeadAmount.superseded_at.is_(None),
            )
        ):
            row.superseded_at = max(moment, row.recorded_at)
    rows = [
        LeadAmount(
            lead_id=lead.id,
            measure=measure.value,
            kind=entry.kind,
            amount=entry.amount,
            basis=entry.basis,
            dated_on=entry.dated_on,
            recorded_at=moment,
            recorded_by_id=actor.user_id,
            note=note,
        )
        for measure, entry in changed.items()
    ]
    db.add_all(rows)
    if rows:
        db.flush()
    return rows


@dataclass(frozen=True)
class HistoryRow:
    lead_id: uuid.UUID
    code_name: str
    measure: str
    kind: str
    amount: int | None
    basis: str
    dated_on: date | None
    recorded_at: datetime
    recorded_by: str | None
    note: str | None


def amount_history(db: Session, lead: Lead) -> list[HistoryRow]:
    """The lead's ledger and those of the leads merged into it, oldest first. The caller
    has checked that the actor may read the lead's amounts."""
    merged = select(Lead.id).where(Lead.merged_into_id == lead.id)
    rows = db.execute(
        select(LeadAmount, Lead.code_name, User.full_name)
        .join(Lead, Lead.id == LeadAmount.lead_id)
        .outerjoin(User, User.id == LeadAmount.recorded_by_id)
        .where(or_(LeadAmount.lead_id == lead.id, LeadAmount.lead_id.in_(merged)))
        .order_by(LeadAmount.recorded_at, LeadAmount.id)
    )
    return [
        HistoryRow(
            row.lead_id,
            code_name,
            row.measure,
            row.kind,
            row.amount,
            row.basis,
            row.dated_on,
            row.recorded_at,
            name,
            row.note,
        )
        for row, code_name, name in rows
    ]


@dataclass(frozen=True)
class AnnouncedVsRealised:
    """One investment's first public or estimated amount beside its realised one."""

    announced_eur: int | None
    committed_eur: int | None
    realised_eur: int | None


def announced_vs_realised(
    db: Session, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, AnnouncedVsRealised]:
    """Per lead: the latest announced (else estimated) capex recorded before it was
    committed or realised, the latest committed and the latest realised capex."""
    if not lead_ids:
        return {}
    found: dict[uuid.UUID, dict[str, int | None]] = {}
    for row in db.scalars(
        select(LeadAmount)
        .where(LeadAmount.lead_id.in_(list(lead_ids)), LeadAmount.measure == Measure.CAPEX.value)
        .order_by(LeadAmount.recorded_at, LeadAmount.id)
    ):
        amounts = found.setdefault(row.lead_id, {})
        if row.kind in (CapexStatus.ANNOUNCED.value, CapexStatus.ESTIMATE.value):
            if row.kind == CapexStatus.ANNOUNCED.value or "announced" not in amounts:
                amounts["announced" if row.kind == "announced" else "estimate"] = row.amount
        else:
            amounts[row.kind] = row.amount
    return {
        lead_id: AnnouncedVsRealised(
            amounts.get("announced", amounts.get("estimate")),
            amounts.get("committed"),
            amounts.get("realised"),
        )
        for lead_id, amounts in found.items()
    }


# --- duplicates and merging ------------------------------------------------------------


def possible_duplicates(
    db: Session,
    organization_id: uuid.UUID | None,
    industry_code: str | None,
    municipality_codes: Collection[str],
    *,
    exclude: uuid.UUID | None = None,
    visible: ColumnElement[bool] | None = None,
) -> list[Lead]:
    """Leads of the same investor that describe the same investment (not lost, not
    merged); only those `visible` selects, if given (the actor's own view)."""
    if organization_id is None:
        return []
    lost = select(Stage.code).where(Stage.kind == StageKind.LOST.value)
    query = select(Lead).where(
        Lead.organization_id == organization_id,
        Lead.merged_into_id.is_(None),
        Lead.stage_code.not_in(lost),
    )
    if exclude is not None:
        query = query.where(Lead.id != exclude)
    if visible is not None:
        query = query.where(visible)
    candidates = list(db.scalars(query.order_by(Lead.created_at, Lead.id)))
    if not candidates:
        return []
    places: dict[uuid.UUID, set[str]] = {}
    for lead_id, code in db.execute(
        select(LeadMunicipality.lead_id, LeadMunicipality.municipality_code).where(
            LeadMunicipality.lead_id.in_([c.id for c in candidates])
        )
    ):
        places.setdefault(lead_id, set()).add(code)
    new = DuplicateCandidate(organization_id, industry_code, set(municipality_codes))
    return [
        lead
        for lead in candidates
        if describe_one_investment(
            new,
            DuplicateCandidate(
                lead.organization_id, lead.industry_code, places.get(lead.id, set())
            ),
        )
    ]


def duplicate_errors(duplicates: list[Lead]) -> list[FieldError]:
    """A warning the coordinator may confirm past (`confirm_duplicate`)."""
    return [
        FieldError(
            "organization_id",
            f"This investor already has a lead for the same investment: {lead.code_name}. "
            "Confirm to create anyway, or merge the leads.",
            "possible_duplicate",
            {"code_name": lead.code_name, "lead_id": str(lead.id)},
        )
        for lead in duplicates[:3]
    ]


def merge_leads(
    db: Session,
    actor: Actor,
    lead_id: uuid.UUID,
    duplicate_id: uuid.UUID | None,
) -> Lead:
    """Merge `duplicate_id` into `lead_id` (the coordinator's decision).

    The duplicate keeps its stage log and amount history, which the surviving lead shows
    beside its own; its activities move to the surviving lead. From now on it counts in
    no figure (excluded as a duplicate) and is shown as merged. Audited."""
    require_staff_wide(actor)
    lead = db.get(Lead, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    if duplicate_id is None:
        raise ValidationFailed.single("duplicate_id", "Choose the duplicate to merge.", "required")
    duplicate = db.get(Lead, duplicate_id)
    errors: list[FieldError] = []
    if duplicate is None:
        errors.append(FieldError("duplicate_id", "No such lead.", "unknown"))
    elif duplicate.id == lead.id:
        errors.append(
            FieldError("duplicate_id", "A lead cannot be merged into itself.", "same_lead")
        )
    elif duplicate.merged_into_id is not None:
        errors.append(
            FieldError("duplicate_id", "This lead has already been merged.", "already_merged")
        )
    if lead.merged_into_id is not None:
        errors.append(
            FieldError("lead_id", "This lead has been merged into another one.", "already_merged")
        )
    if errors or duplicate is None:
        raise ValidationFailed(errors=errors, detail="The leads cannot be merged.")
    bind_actor(db, actor)
    now = utcnow()
    duplicate.merged_into_id = lead.id
    duplicate.merged_at = now
    duplicate.last_activity_at = now
    # Leads merged into the duplicate earlier follow it.
    for earlier in db.scalars(select(Lead).where(Lead.merged_into_id == duplicate.id)):
        earlier.merged_into_id = lead.id
    for activity in db.scalars(select(Activity).where(Activity.lead_id == duplicate.id)):
        activity.lead_id = lead.id
    lead.last_activity_at = now
    # Both leads are audited records: the merge is in the audit log (the duplicate's
    # merged_into_id and merged_at, each moved activity's lead_id).
    db.commit()
    return lead


def merged_leads(db: Session, lead: Lead) -> list[Lead]:
    return list(
        db.scalars(
            select(Lead).where(Lead.merged_into_id == lead.id).order_by(Lead.merged_at, Lead.id)
        )
    )

"""Intake: the screening rules and response commitments (the coordinator's), the intake
queue, a lead's response clock and its first answer, and the response-time report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.types import Int64, SafeDate, Text
from app.domain.access import require_staff_wide
from app.domain.errors import NotFound
from app.domain.intake import Clock
from app.services import intake
from app.web.session import request_language

router = APIRouter(tags=["intake"])

PriorityCode = Literal["low", "normal", "high"]
OwnerActionCode = Literal["suggest", "assign"]


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    position: int
    active: bool
    capex_min_eur: int | None
    capex_max_eur: int | None
    industry_codes: list[str]
    industrial_only: bool
    countries: list[str]
    sources: list[str]
    municipality_codes: list[str]
    priority: str | None
    owner_id: uuid.UUID | None
    owner_action: str


class RuleFields(BaseModel):
    """Conditions (unset or empty: any) and effects of a screening rule."""

    name: Text | None = Field(default=None, max_length=120)
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None
    capex_min_eur: Int64 | None = Field(default=None, ge=0)
    capex_max_eur: Int64 | None = Field(default=None, ge=0)
    industry_codes: list[Text] | None = Field(
        default=None, description="Key industries; a main industry covers its sub-industries"
    )
    industrial_only: bool | None = Field(
        default=None,
        description="Strategy fit: only industries counting toward the industrial target",
    )
    countries: list[Text] | None = Field(default=None, description="ISO 3166 alpha-2 codes")
    sources: list[Text] | None = None
    municipality_codes: list[Text] | None = None
    priority: PriorityCode | None = None
    owner_id: uuid.UUID | None = None
    owner_action: OwnerActionCode | None = None


class RuleIn(RuleFields):
    name: Text = Field(max_length=120)


class CommitmentsIn(BaseModel):
    low: int = Field(ge=1, le=60, description="Working days to the first answer")
    normal: int = Field(ge=1, le=60)
    high: int = Field(ge=1, le=60)


class ClockOut(BaseModel):
    state: str = Field(description="running, due_today, overdue, answered or answered_late")
    due_at: datetime
    due_day: date
    working_days: int = Field(
        description="Running: working days left after today; overdue: working days late"
    )


class IntakeOut(BaseModel):
    lead_id: uuid.UUID
    reference: str
    rule_id: uuid.UUID | None
    rule_name: str | None
    suggested_owner_id: uuid.UUID | None
    priority: str
    received_at: datetime
    working_days: int | None
    response_due_at: datetime | None
    first_response_at: datetime | None
    first_response_kind: str | None
    clock: ClockOut | None


class QueueItemOut(BaseModel):
    lead_id: uuid.UUID
    code_name: str
    priority: str
    source: str
    owner_name: str | None
    rule_name: str | None
    received_at: datetime
    clock: ClockOut


class FiguresOut(BaseModel):
    key: str | None = Field(description="Municipality code or owner id; null: none set")
    label: str
    received: int
    met: int
    late: int
    missed: int
    pending: int
    met_percent: Decimal | None = Field(description="Share answered by the deadline, of decided")
    median_hours: Decimal | None = Field(description="Median hours to the first answer")


class ResponseReportOut(BaseModel):
    start: date
    end: date
    total: FiguresOut
    by_municipality: list[FiguresOut]
    by_owner: list[FiguresOut]


def _now() -> datetime:
    return datetime.now(UTC)


def _clock(clock: Clock | None) -> ClockOut | None:
    if clock is None:
        return None
    return ClockOut(
        state=clock.state.value,
        due_at=clock.due_at,
        due_day=clock.due_day,
        working_days=clock.working_days,
    )


def _intake_out(view: intake.IntakeView) -> IntakeOut:
    row = view.intake
    return IntakeOut(
        lead_id=row.lead_id,
        reference=row.reference,
        rule_id=row.rule_id,
        rule_name=row.rule_name,
        suggested_owner_id=row.suggested_owner_id,
        priority=row.priority,
        received_at=row.received_at,
        working_days=row.working_days,
        response_due_at=row.response_due_at,
        first_response_at=row.first_response_at,
        first_response_kind=row.first_response_kind,
        clock=_clock(view.clock),
    )


def _figures(f: intake.ResponseFigures) -> FiguresOut:
    return FiguresOut(
        key=f.key,
        label=f.label,
        received=f.received,
        met=f.met,
        late=f.late,
        missed=f.missed,
        pending=f.pending,
        met_percent=f.met_share,
        median_hours=f.median_hours,
    )


@router.get("/screening-rules", response_model=list[RuleOut])
def list_rules(db: DbSession, actor: ApiActor) -> list[RuleOut]:
    """The rules in the order they are tried; the first that matches a new lead applies."""
    return [RuleOut.model_validate(r) for r in intake.list_rules(db, actor)]


@router.post("/screening-rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleIn, db: DbSession, actor: ApiActor) -> RuleOut:
    rule = intake.create_rule(db, actor, body.model_dump(exclude_unset=True))
    return RuleOut.model_validate(rule)


@router.get("/screening-rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: uuid.UUID, db: DbSession, actor: ApiActor) -> RuleOut:
    return RuleOut.model_validate(intake.get_rule(db, actor, rule_id))


@router.patch("/screening-rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: uuid.UUID, body: RuleFields, db: DbSession, actor: ApiActor) -> RuleOut:
    rule = intake.update_rule(db, actor, rule_id, body.model_dump(exclude_unset=True))
    return RuleOut.model_validate(rule)


@router.delete("/screening-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_id: uuid.UUID, db: DbSession, actor: ApiActor) -> Response:
    intake.delete_rule(db, actor, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/response-commitments", response_model=CommitmentsIn)
def get_commitments(db: DbSession, actor: ApiActor) -> CommitmentsIn:
    """Working days to the first answer, per priority."""
    require_staff_wide(actor)
    return CommitmentsIn.model_validate(intake.commitments(db))


@router.put("/response-commitments", response_model=CommitmentsIn)
def save_commitments(body: CommitmentsIn, db: DbSession, actor: ApiActor) -> CommitmentsIn:
    """New commitments apply to leads arriving from now on."""
    return CommitmentsIn.model_validate(intake.save_commitments(db, actor, body.model_dump()))


@router.get("/intake/queue", response_model=list[QueueItemOut])
def intake_queue(db: DbSession, actor: ApiActor) -> list[QueueItemOut]:
    """New leads not yet answered, the nearest deadline first."""
    return [
        QueueItemOut(
            lead_id=row.lead.id,
            code_name=row.lead.code_name,
            priority=row.lead.priority,
            source=row.lead.source,
            owner_name=row.owner_name,
            rule_name=row.intake.rule_name,
            received_at=row.intake.received_at,
            clock=ClockOut(
                state=row.clock.state.value,
                due_at=row.clock.due_at,
                due_day=row.clock.due_day,
                working_days=row.clock.working_days,
            ),
        )
        for row in intake.queue(db, actor, _now())
    ]


@router.get("/leads/{lead_id}/intake", response_model=IntakeOut)
def lead_intake(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> IntakeOut:
    """How the lead was screened, its reference and its response clock."""
    view = intake.intake_view(db, actor, lead_id, _now())
    if view is None:
        raise NotFound("No such lead.")
    return _intake_out(view)


@router.post("/leads/{lead_id}/responded", response_model=IntakeOut)
def mark_responded(lead_id: uuid.UUID, db: DbSession, actor: ApiActor) -> IntakeOut:
    """Record that the investor was answered (a logged call, e-mail or meeting does this
    by itself); stops the clock."""
    intake.mark_responded(db, actor, lead_id)
    view = intake.intake_view(db, actor, lead_id, _now())
    assert view is not None
    return _intake_out(view)


@router.get("/reports/response-times", response_model=ResponseReportOut)
def response_times(
    request: Request,
    db: DbSession,
    actor: ApiActor,
    start: SafeDate | None = None,
    end: SafeDate | None = None,
) -> ResponseReportOut:
    """Leads that arrived in the period (default: the last 90 days): the share answered
    by the deadline and the median time to the first answer, per municipality and owner."""
    end = end or _now().date()
    start = start or end - timedelta(days=90)
    report = intake.response_report(db, actor, start=start, end=end, lang=request_language(request))
    return ResponseReportOut(
        start=report.start,
        end=report.end,
        total=_figures(report.total),
        by_municipality=[_figures(f) for f in report.by_municipality],
        by_owner=[_figures(f) for f in report.by_owner],
    )

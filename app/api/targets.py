"""Investment targets and their progress."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.api.types import Int32, Int64, SafeDate, Text, TextQuery, omittable
from app.db.models import InvestmentTarget
from app.domain.targets import Amount, Dimension, Figure, Figures, TargetInput, TargetScope
from app.services import targets

router = APIRouter(tags=["targets"])


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    amount_eur: int | None
    amount_jobs: int | None
    period_start: date
    period_end: date
    scope: TargetScope
    industry_code: str | None
    municipality_code: str | None
    closed_on: date | None
    shown_on_portal: bool
    created_at: datetime
    updated_at: datetime


class TargetIn(BaseModel):
    """A target in euros, in jobs, or in both."""

    name: Text = Field(min_length=1, max_length=200)
    amount_eur: Int64 | None = None
    amount_jobs: Int32 | None = None
    period_start: SafeDate
    period_end: SafeDate
    scope: TargetScope = TargetScope.INDUSTRIAL
    industry_code: Text | None = None
    municipality_code: Text | None = None


class TargetChanges(BaseModel):
    name: Text = omittable(min_length=1, max_length=200)
    amount_eur: Int64 | None = None
    amount_jobs: Int32 | None = None
    period_start: SafeDate = omittable()
    period_end: SafeDate = omittable()
    scope: TargetScope = omittable()
    industry_code: Text | None = None
    municipality_code: Text | None = None


class AmountOut(BaseModel):
    """Whole euros: `total` = `estimated` (our model) + `confirmed` (the investor's own or
    a public source); jobs the same way."""

    total: int
    estimated: int
    confirmed: int
    leads: int
    jobs: int
    jobs_estimated: int
    jobs_confirmed: int

    @classmethod
    def of(cls, amount: Amount) -> AmountOut:
        return cls(
            total=amount.total,
            estimated=amount.estimated,
            confirmed=amount.confirmed,
            leads=amount.leads,
            jobs=amount.jobs,
            jobs_estimated=amount.jobs_estimated,
            jobs_confirmed=amount.jobs_confirmed,
        )


class FiguresOut(BaseModel):
    realised: AmountOut
    committed: AmountOut
    weighted: AmountOut
    announced: AmountOut
    forecast: AmountOut
    excluded: AmountOut = Field(
        description="Leads with an amount counted in no figure, each with a reason "
        "(listed with figure=excluded in the drill-down)"
    )

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        return cls(
            realised=AmountOut.of(figures.realised),
            committed=AmountOut.of(figures.committed),
            weighted=AmountOut.of(figures.weighted),
            announced=AmountOut.of(figures.announced),
            forecast=AmountOut.of(figures.forecast),
            excluded=AmountOut.of(figures.excluded),
        )


class YearOut(BaseModel):
    year: int
    figures: FiguresOut
    cumulative: FiguresOut


class GroupOut(BaseModel):
    key: str | None
    figures: FiguresOut


class ProgressOut(BaseModel):
    target: TargetOut
    as_of: date
    totals: FiguresOut
    gap_to_forecast_eur: int
    gap_to_realised_eur: int
    target_jobs: int | None = None
    gap_to_forecast_jobs: int | None = None
    gap_to_realised_jobs: int | None = None
    years: list[YearOut]
    groups: dict[Dimension, list[GroupOut]]


class DrillRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    lead_id: uuid.UUID
    code_name: str
    organization_name: str | None
    figure: Figure
    amount_eur: int
    capex_eur: int
    basis: str
    stage_code: str
    industry_code: str | None
    municipality_code: str | None
    investment_type: str
    origin_country: str | None
    # Announced by the as-of date: the organisation name is public knowledge.
    investor_public: bool
    jobs: int
    exclusion: str | None = Field(
        description="Why the lead counts in no figure (figure=excluded): duplicate, lost, "
        "on_hold, no_decision_date, outside_period, not_industrial, other_industry, "
        "other_municipality"
    )
    announced_capex_eur: int | None = Field(
        description="From the amount ledger: the announced (else first estimated) capex"
    )
    committed_capex_eur: int | None
    realised_capex_eur: int | None


def _today() -> date:
    return datetime.now(UTC).date()


@router.get("/targets", response_model=Page[TargetOut])
def list_targets(db: DbSession, actor: ApiActor, page: PageParamsDep) -> Page[TargetOut]:
    rows, total = targets.list_targets(db, actor, limit=page.limit, offset=page.offset)
    return Page[TargetOut](
        items=[TargetOut.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/targets", response_model=TargetOut, status_code=201)
def create_target(body: TargetIn, db: DbSession, actor: ApiActor) -> InvestmentTarget:
    return targets.create_target(db, actor, TargetInput(**body.model_dump()))


@router.get("/targets/{target_id}", response_model=TargetOut)
def get_target(target_id: uuid.UUID, db: DbSession, actor: ApiActor) -> InvestmentTarget:
    return targets.get_target(db, actor, target_id)


@router.patch("/targets/{target_id}", response_model=TargetOut)
def update_target(
    target_id: uuid.UUID, body: TargetChanges, db: DbSession, actor: ApiActor
) -> InvestmentTarget:
    return targets.update_target(db, actor, target_id, body.model_dump(exclude_unset=True))


@router.post("/targets/{target_id}/close", response_model=TargetOut)
def close_target(target_id: uuid.UUID, db: DbSession, actor: ApiActor) -> InvestmentTarget:
    """Close an ended target period; a closed target is no longer edited."""
    return targets.close_target(db, actor, target_id, today=_today())


@router.get("/targets/{target_id}/progress", response_model=ProgressOut)
def target_progress(
    target_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    as_of: SafeDate | None = None,
    group_by: Annotated[list[Dimension] | None, Query()] = None,
) -> ProgressOut:
    target, progress = targets.progress(
        db,
        actor,
        target_id,
        as_of=as_of or _today(),
        today=_today(),
        group_by=tuple(dict.fromkeys(group_by or [])),
    )
    return ProgressOut(
        target=TargetOut.model_validate(target),
        as_of=progress.as_of,
        totals=FiguresOut.of(progress.totals),
        gap_to_forecast_eur=progress.gap_to_forecast,
        gap_to_realised_eur=progress.gap_to_realised,
        target_jobs=progress.target_jobs,
        gap_to_forecast_jobs=progress.jobs_gap_to_forecast,
        gap_to_realised_jobs=progress.jobs_gap_to_realised,
        years=[
            YearOut(
                year=y.year,
                figures=FiguresOut.of(y.figures),
                cumulative=FiguresOut.of(y.cumulative),
            )
            for y in progress.years
        ],
        groups={
            dimension: [GroupOut(key=g.key, figures=FiguresOut.of(g.figures)) for g in groups]
            for dimension, groups in progress.splits.items()
        },
    )


@router.get("/targets/{target_id}/progress/leads", response_model=Page[DrillRowOut])
def progress_leads(
    target_id: uuid.UUID,
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    as_of: SafeDate | None = None,
    figure: Figure | None = None,
    dimension: Dimension | None = None,
    value: TextQuery | None = None,
) -> Page[DrillRowOut]:
    """The leads behind a figure; `dimension` without `value` lists the unassigned group."""
    found = targets.lead_page(
        db,
        actor,
        target_id,
        as_of=as_of or _today(),
        today=_today(),
        figure=figure,
        dimension=dimension,
        value=value,
        limit=page.limit,
        offset=page.offset,
    )
    return Page[DrillRowOut](
        items=[DrillRowOut.model_validate(r) for r in found.rows],
        total=found.total,
        limit=page.limit,
        offset=page.offset,
    )

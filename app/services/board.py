"""The pipeline board: a column per stage, each card with who owns the lead, what it is
worth, how long it has been in its stage and the next step planned for it.

A fixed number of statements whatever the number of stages and cards: one for the
cards of every column (ranked per stage, with each column's count and weighted value
counted over all its leads), one for the owners' names, one for the next tasks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.db.models import Activity, Lead, Stage, User
from app.domain.access import Actor
from app.domain.activities import ActivityKind
from app.domain.errors import ValidationFailed
from app.domain.leads import StageKind
from app.i18n import HELSINKI
from app.services.leads import (
    LIST_COLUMNS,
    SORTS,
    LeadFilters,
    LeadRow,
    ListedLead,
    lead_list_query,
    list_stages,
)
from app.services.scope import activities_visible_to, require_lead_records

CARDS_PER_STAGE = 30


@dataclass(frozen=True)
class NextTask:
    id: uuid.UUID
    subject: str
    due_on: date
    days_late: int  # negative: due in that many days
    assignee_id: uuid.UUID | None = None

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


@dataclass(frozen=True)
class BoardCard:
    row: LeadRow
    owner_name: str | None
    days_in_stage: int
    next_task: NextTask | None

    @property
    def lead(self) -> ListedLead:
        return self.row.lead


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[BoardCard] = field(default_factory=list)
    total: int = 0
    weighted_eur: int = 0


def _local_day(moment: datetime) -> date:
    return moment.astimezone(HELSINKI).date()


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    column = SORTS[sort.lstrip("-")]
    return [column.desc().nulls_last() if descending else column.asc().nulls_last(), Lead.id]


def _weighted_sql() -> Any:
    """`app.domain.leads.weighted_value` in SQL: capex × probability / 100 in whole euros,
    rounded half up (integer arithmetic, so no float touches money); on hold counts 0."""
    probability = case(
        (Stage.kind == StageKind.ON_HOLD.value, None),
        (
            and_(Stage.kind == StageKind.OPEN.value, Lead.probability_override.is_not(None)),
            Lead.probability_override,
        ),
        else_=Stage.default_probability,
    )
    return func.coalesce((Lead.capex_eur * probability + 50) // 100, 0)


def board(
    db: Session,
    actor: Actor,
    filters: LeadFilters,
    today: date,
    *,
    per_stage: int = CARDS_PER_STAGE,
) -> list[BoardColumn]:
    """The active stages as columns, each with its first `per_stage` cards."""
    require_lead_records(actor)
    if filters.sort.lstrip("-") not in SORTS:
        raise ValidationFailed.single("sort", "Unknown sort.", "unknown")
    columns = {s.code: BoardColumn(s) for s in list_stages(db) if s.active}
    everything = replace(filters, stages=[])
    listed = lead_list_query(actor, everything, (*LIST_COLUMNS, Lead.stage_changed_at))
    ranked = listed.add_columns(
        func.row_number()
        .over(partition_by=Lead.stage_code, order_by=_order(filters.sort))
        .label("rank"),
        func.count().over(partition_by=Lead.stage_code).label("stage_total"),
        func.sum(_weighted_sql()).over(partition_by=Lead.stage_code).label("stage_weighted"),
    ).subquery()
    rows = db.execute(
        select(ranked)
        .where(ranked.c.rank <= per_stage, ranked.c.stage_code.in_(list(columns)))
        .order_by(ranked.c.stage_code, ranked.c.rank)
    ).all()
    owner_ids = {r.owner_id for r in rows if r.owner_id}
    owners = (
        {
            uid: name
            for uid, name in db.execute(
                select(User.id, User.full_name).where(User.id.in_(owner_ids))
            )
        }
        if owner_ids
        else {}
    )
    tasks = next_tasks(db, actor, [r.id for r in rows], today)
    for r in rows:
        column = columns[r.stage_code]
        column.total = int(r.stage_total)
        column.weighted_eur = int(r.stage_weighted or 0)
        lead_row = LeadRow(
            cast("ListedLead", r),
            r.stage_kind,
            r.default_probability,
            r.organization_name,
            bool(r.need_to_know),
        )
        column.cards.append(
            BoardCard(
                lead_row,
                owners.get(r.owner_id) if r.owner_id else None,
                max((today - _local_day(r.stage_changed_at)).days, 0),
                tasks.get(r.id),
            )
        )
    return list(columns.values())


def next_tasks(
    db: Session, actor: Actor, lead_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, NextTask]:
    """The open task due soonest on each lead (of those the actor may see)."""
    if not lead_ids:
        return {}
    ranked = (
        select(
            Activity.lead_id,
            Activity.id,
            Activity.subject,
            Activity.due_on,
            Activity.assignee_id,
            func.row_number()
            .over(partition_by=Activity.lead_id, order_by=(Activity.due_on, Activity.id))
            .label("rank"),
        )
        .where(
            Activity.lead_id.in_(lead_ids),
            Activity.kind == ActivityKind.TASK.value,
            Activity.done_at.is_(None),
            Activity.due_on.is_not(None),
            activities_visible_to(actor),
        )
        .subquery()
    )
    return {
        lead_id: NextTask(task_id, subject, due, (today - due).days, assignee_id)
        for lead_id, task_id, subject, due, assignee_id, _rank in db.execute(
            select(ranked).where(ranked.c.rank == 1)
        )
    }

"""Activities on leads, organisations and contacts; tasks across them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import ApiActor, DbSession
from app.api.pagination import Page, PageParamsDep
from app.api.types import MultilineText, SafeDate, SafeDateTime, Text
from app.db.models import Activity
from app.domain.activities import ActivityKind
from app.services import activities
from app.services.activities import Subject, TaskFilters

router = APIRouter(tags=["activities"])


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: ActivityKind
    subject: str
    body: str | None
    lead_id: uuid.UUID | None
    organization_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    occurred_at: datetime
    due_on: date | None
    assignee_id: uuid.UUID | None
    done_at: datetime | None
    done_by_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    origin_type: str | None
    origin_id: str | None


class ActivityIn(BaseModel):
    """A note, call, meeting or e-mail that happened, or a task (needs `due_on`)."""

    model_config = ConfigDict(extra="forbid")
    kind: ActivityKind
    subject: Text = Field(max_length=200)
    body: MultilineText | None = None
    occurred_at: SafeDateTime | None = None
    due_on: SafeDate | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="Tasks only; default: you")
    origin_type: Text | None = Field(default=None, max_length=40)
    origin_id: Text | None = Field(default=None, max_length=64)


class TaskIn(ActivityIn):
    kind: ActivityKind = ActivityKind.TASK
    lead_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


class ActivityChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Text | None = Field(default=None, max_length=200)
    body: MultilineText | None = None
    due_on: SafeDate | None = None
    assignee_id: uuid.UUID | None = None
    done: bool | None = Field(default=None, description="Tasks only")


def _add(db: DbSession, actor: ApiActor, subject: Subject, body: ActivityIn) -> Activity:
    values = body.model_dump(
        exclude={"assignee_id", "lead_id", "organization_id", "contact_id"}, exclude_none=True
    )
    return activities.add_activity(db, actor, subject, values, assignee_id=body.assignee_id)


def _page(rows: list[Activity], total: int, limit: int, offset: int) -> Page[ActivityOut]:
    return Page[ActivityOut](
        items=[ActivityOut.model_validate(r) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/leads/{lead_id}/activities", response_model=Page[ActivityOut])
def lead_activities(
    lead_id: uuid.UUID, db: DbSession, actor: ApiActor, page: PageParamsDep
) -> Page[ActivityOut]:
    rows, total = activities.list_activities(
        db, actor, Subject(lead_id=lead_id), limit=page.limit, offset=page.offset
    )
    return _page(rows, total, page.limit, page.offset)


@router.post(
    "/leads/{lead_id}/activities", response_model=ActivityOut, status_code=status.HTTP_201_CREATED
)
def add_lead_activity(
    lead_id: uuid.UUID, body: ActivityIn, db: DbSession, actor: ApiActor
) -> Activity:
    return _add(db, actor, Subject(lead_id=lead_id), body)


@router.get("/organizations/{org_id}/activities", response_model=Page[ActivityOut])
def organization_activities(
    org_id: uuid.UUID, db: DbSession, actor: ApiActor, page: PageParamsDep
) -> Page[ActivityOut]:
    rows, total = activities.list_activities(
        db, actor, Subject(organization_id=org_id), limit=page.limit, offset=page.offset
    )
    return _page(rows, total, page.limit, page.offset)


@router.post(
    "/organizations/{org_id}/activities",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
)
def add_organization_activity(
    org_id: uuid.UUID, body: ActivityIn, db: DbSession, actor: ApiActor
) -> Activity:
    return _add(db, actor, Subject(organization_id=org_id), body)


@router.get("/contacts/{contact_id}/activities", response_model=Page[ActivityOut])
def contact_activities(
    contact_id: uuid.UUID, db: DbSession, actor: ApiActor, page: PageParamsDep
) -> Page[ActivityOut]:
    rows, total = activities.list_activities(
        db, actor, Subject(contact_id=contact_id), limit=page.limit, offset=page.offset
    )
    return _page(rows, total, page.limit, page.offset)


@router.post(
    "/contacts/{contact_id}/activities",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
)
def add_contact_activity(
    contact_id: uuid.UUID, body: ActivityIn, db: DbSession, actor: ApiActor
) -> Activity:
    return _add(db, actor, Subject(contact_id=contact_id), body)


@router.patch("/activities/{activity_id}", response_model=ActivityOut)
def update_activity(
    activity_id: uuid.UUID, body: ActivityChanges, db: DbSession, actor: ApiActor
) -> Activity:
    """Edit an activity, reassign a task, or tick it done (`done: true`) or open again."""
    values = body.model_dump(exclude_unset=True, exclude={"done", "assignee_id"})
    return activities.update_activity(
        db, actor, activity_id, values, done=body.done, assignee_id=body.assignee_id
    )


@router.get("/tasks", response_model=Page[ActivityOut])
def list_tasks(
    db: DbSession,
    actor: ApiActor,
    page: PageParamsDep,
    mine: Annotated[bool, Query(description="Only tasks assigned to me")] = False,
    assignee: uuid.UUID | None = None,
    status: Annotated[str, Query(pattern="^(open|done|all)$")] = "open",
    overdue: Annotated[bool, Query(description="Open tasks past their due date")] = False,
    lead: uuid.UUID | None = None,
    origin_type: str | None = None,
) -> Page[ActivityOut]:
    """Tasks the caller may see, soonest due first."""
    filters = TaskFilters(
        assignee_id=actor.user_id if mine else assignee,
        status=status,
        overdue_on=datetime.now(UTC).date() if overdue else None,
        lead_id=lead,
        origin_type=origin_type,
    )
    rows, total = activities.list_tasks(db, actor, filters, limit=page.limit, offset=page.offset)
    return _page(rows, total, page.limit, page.offset)


@router.post("/tasks", response_model=ActivityOut, status_code=status.HTTP_201_CREATED)
def create_task(body: TaskIn, db: DbSession, actor: ApiActor) -> Activity:
    """A task on a lead, an organisation or a contact."""
    subject = Subject(
        lead_id=body.lead_id, organization_id=body.organization_id, contact_id=body.contact_id
    )
    return _add(db, actor, subject, body)

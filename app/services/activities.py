"""Activities and tasks on leads, organisations and contacts.

Other business areas attach follow-up tasks through `add_activity` with an origin
(e.g. origin_type="event"), so they appear on the lead's timeline and in "my tasks".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.models import Activity, Contact, Lead, Organization, User
from app.domain import notifications as notices
from app.domain.access import Actor, require_staff_wide
from app.domain.activities import ActivityKind, clean_activity_fields
from app.domain.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from app.i18n import N_, register_field_errors, register_labels
from app.services import aftercare, intake, notifications
from app.services.auth import actor_for
from app.services.leads import can_edit_lead, require_need_to_know
from app.services.scope import activities_visible_to, leads_with_need_to_know, require_lead_records

register_field_errors(
    {
        ("required", "due_on"): N_("Give the task a due date."),
        ("not_allowed", "due_on"): N_("Only a task has a due date and an assignee."),
        ("not_allowed", "assignee_id"): N_("Only a task has a due date and an assignee."),
        ("not_allowed", "done"): N_("Only a task is done or open."),
        ("unknown", "assignee_id"): N_("Choose an active user."),
        ("invalid", "assignee_id"): N_("Choose from the list."),
        ("no_access", "assignee_id"): N_("The assignee may not see this record."),
        "invalid_datetime": N_("Give a date and time."),
        "naive_datetime": N_("Give the time with its time zone."),
        "incomplete": N_("Give both the origin type and its id."),
        "one_subject": N_("Attach the activity to one lead, organisation or contact."),
        ("invalid_choice", "status"): N_("Choose open, done or all."),
    }
)
register_labels(
    "activity_kind",
    {
        ActivityKind.NOTE.value: N_("Note"),
        ActivityKind.CALL.value: N_("Call"),
        ActivityKind.MEETING.value: N_("Meeting"),
        ActivityKind.EMAIL.value: N_("E-mail"),
        ActivityKind.TASK.value: N_("Task"),
    },
)


@dataclass(frozen=True)
class Subject:
    """What an activity is about: exactly one of a lead, an organisation or a contact."""

    lead_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None


def _check_subject(db: Session, actor: Actor, subject: Subject) -> Lead | None:
    given = [v for v in (subject.lead_id, subject.organization_id, subject.contact_id) if v]
    if len(given) != 1:
        raise ValidationFailed.single(
            "lead_id", "Attach the activity to one lead, organisation or contact.", "one_subject"
        )
    if subject.lead_id:
        return require_need_to_know(db, actor, subject.lead_id)
    # Organisations and contacts are the coordinator's CRM register.
    require_staff_wide(actor)
    if subject.organization_id and db.get(Organization, subject.organization_id) is None:
        raise NotFound("No such organisation.")
    if subject.contact_id and db.get(Contact, subject.contact_id) is None:
        raise NotFound("No such contact.")
    return None


def _check_assignee(
    db: Session, assignee_id: uuid.UUID, lead: Lead | None, errors: list[FieldError]
) -> None:
    user = db.get(User, assignee_id)
    if user is None or not user.is_active:
        errors.append(FieldError("assignee_id", "Choose an active user.", "unknown"))
        return
    if lead is not None and not db.scalar(
        select(Lead.id).where(Lead.id == lead.id, leads_with_need_to_know(actor_for(user)))
    ):
        errors.append(
            FieldError(
                "assignee_id", "The assignee may not see this lead; share it first.", "no_access"
            )
        )
    elif lead is None and not actor_for(user).sees_everything:
        errors.append(
            FieldError("assignee_id", "Only coordinators work on the CRM register.", "no_access")
        )


def add_activity(
    db: Session,
    actor: Actor,
    subject: Subject,
    values: dict[str, Any],
    *,
    assignee_id: uuid.UUID | None = None,
    commit: bool = True,
) -> Activity:
    """Log a note, call, meeting or e-mail, or create a task (assigned to the actor
    unless someone else is named). Pass commit=False to join a caller's transaction."""
    lead = _check_subject(db, actor, subject)
    errors: list[FieldError] = []
    try:
        cleaned = clean_activity_fields({**values, "assignee_id": assignee_id}, creating=True)
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    is_task = cleaned.get("kind") == ActivityKind.TASK.value
    if is_task:
        assignee_id = assignee_id or actor.user_id
        if assignee_id is not None:
            _check_assignee(db, assignee_id, lead, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The activity is not valid.")
    bind_actor(db, actor)
    now = utcnow()
    activity = Activity(
        **{k: v for k, v in cleaned.items() if v is not None},
        lead_id=subject.lead_id,
        organization_id=subject.organization_id,
        contact_id=subject.contact_id,
        assignee_id=assignee_id if is_task else None,
        created_by_id=actor.user_id,
    )
    if activity.occurred_at is None:
        activity.occurred_at = now
    db.add(activity)
    if lead is not None:
        lead.last_activity_at = now
        intake.record_response(
            db, lead.id, by=actor.user_id, kind=activity.kind, at=activity.occurred_at
        )
    if activity.assignee_id is not None:
        db.flush()
        notifications.notify(
            db,
            notices.task_assigned(
                actor_id=actor.user_id,
                activity_id=activity.id,
                lead_id=activity.lead_id,
                assignee_id=activity.assignee_id,
            ),
        )
    if commit:
        db.commit()
    else:
        db.flush()
    return activity


def get_activity(db: Session, actor: Actor, activity_id: uuid.UUID) -> Activity:
    activity = db.scalar(
        select(Activity).where(Activity.id == activity_id, activities_visible_to(actor))
    )
    if activity is None:
        raise NotFound("No such activity.")
    return activity


def update_activity(
    db: Session,
    actor: Actor,
    activity_id: uuid.UUID,
    values: dict[str, Any],
    *,
    done: bool | None = None,
    assignee_id: uuid.UUID | None = None,
) -> Activity:
    """Edit an activity or tick a task done (or undone)."""
    activity = get_activity(db, actor, activity_id)
    lead = db.get(Lead, activity.lead_id) if activity.lead_id else None
    may_change = (
        actor.sees_everything
        or actor.user_id in (activity.created_by_id, activity.assignee_id)
        or (lead is not None and can_edit_lead(actor, lead))
    )
    if not may_change:
        raise PermissionDenied("Only the author, the assignee or the lead's owner may change it.")
    errors: list[FieldError] = []
    try:
        cleaned = clean_activity_fields(
            {**values, **({"assignee_id": assignee_id} if assignee_id else {})},
            creating=False,
            kind=activity.kind,
        )
    except ValidationFailed as failed:
        errors += failed.errors
        cleaned = {}
    is_task = activity.kind == ActivityKind.TASK.value
    if done is not None and not is_task:
        errors.append(FieldError("done", "Only a task is done or open.", "not_allowed"))
    if is_task and "due_on" in cleaned and cleaned["due_on"] is None:
        errors.append(FieldError("due_on", "Give the task a due date.", "required"))
    if assignee_id and is_task:
        _check_assignee(db, assignee_id, lead, errors)
    if errors:
        raise ValidationFailed(errors=errors, detail="The activity is not valid.")
    bind_actor(db, actor)
    for name, value in cleaned.items():
        setattr(activity, name, value)
    if assignee_id and is_task and assignee_id != activity.assignee_id:
        activity.assignee_id = assignee_id
        notifications.notify(
            db,
            notices.task_assigned(
                actor_id=actor.user_id,
                activity_id=activity.id,
                lead_id=activity.lead_id,
                assignee_id=assignee_id,
            ),
        )
    if done is not None:
        was_open = activity.done_at is None
        activity.done_at = utcnow() if done else None
        activity.done_by_id = actor.user_id if done else None
        if done and was_open:
            aftercare.checkin_done(db, actor, activity)
    if lead is not None:
        lead.last_activity_at = utcnow()
    db.commit()
    return activity


def list_activities(
    db: Session, actor: Actor, subject: Subject, *, limit: int = 50, offset: int = 0
) -> tuple[list[Activity], int]:
    _check_subject(db, actor, subject)
    query = select(Activity).where(activities_visible_to(actor))
    if subject.lead_id:
        query = query.where(Activity.lead_id == subject.lead_id)
    elif subject.organization_id:
        query = query.where(Activity.organization_id == subject.organization_id)
    else:
        query = query.where(Activity.contact_id == subject.contact_id)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Activity.occurred_at.desc(), Activity.id).limit(limit).offset(offset)
    )
    return list(rows), total


@dataclass
class TaskFilters:
    assignee_id: uuid.UUID | None = None
    status: str = "open"  # open, done or all
    overdue_on: date | None = None
    lead_id: uuid.UUID | None = None
    origin_type: str | None = None


def list_tasks(
    db: Session, actor: Actor, filters: TaskFilters, *, limit: int = 50, offset: int = 0
) -> tuple[list[Activity], int]:
    """Tasks the actor may see, soonest due first."""
    require_lead_records(actor)
    if filters.status not in ("open", "done", "all"):
        raise ValidationFailed.single("status", "Choose open, done or all.", "invalid_choice")
    query = select(Activity).where(
        Activity.kind == ActivityKind.TASK.value, activities_visible_to(actor)
    )
    if filters.assignee_id:
        query = query.where(Activity.assignee_id == filters.assignee_id)
    if filters.status == "open":
        query = query.where(Activity.done_at.is_(None))
    elif filters.status == "done":
        query = query.where(Activity.done_at.is_not(None))
    if filters.overdue_on:
        query = query.where(Activity.done_at.is_(None), Activity.due_on < filters.overdue_on)
    if filters.lead_id:
        query = query.where(Activity.lead_id == filters.lead_id)
    if filters.origin_type:
        query = query.where(Activity.origin_type == filters.origin_type)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Activity.due_on.asc().nulls_last(), Activity.id).limit(limit).offset(offset)
    )
    return list(rows), total


def lead_code_names(db: Session, lead_ids: set[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {i for i in lead_ids if i}
    if not wanted:
        return {}
    return {i: n for i, n in db.execute(select(Lead.id, Lead.code_name).where(Lead.id.in_(wanted)))}

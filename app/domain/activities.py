"""Rules of activities: logged notes, calls, meetings, e-mails, and tasks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app.domain.leads import ParseErrors


class ActivityKind(StrEnum):
    NOTE = "note"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    TASK = "task"


def clean_activity_fields(
    values: Mapping[str, object], *, creating: bool, kind: str | None = None
) -> dict[str, Any]:
    """Check an activity's fields (all errors at once) and return them typed.

    A task needs a due date; other kinds are a record of what happened and carry no
    due date or assignee. `origin_type`/`origin_id` come together or not at all."""
    parse = ParseErrors()
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return creating or name in values

    if creating:
        kind = parse.choice(values, "kind", [k.value for k in ActivityKind], required=True)
        out["kind"] = kind
    if present("subject"):
        out["subject"] = parse.text(values, "subject", 200, required=True)
    if present("body"):
        out["body"] = parse.text(values, "body", 20_000)
    if present("occurred_at"):
        raw = values.get("occurred_at")
        if isinstance(raw, datetime):
            if raw.tzinfo is None:
                parse.add("occurred_at", "Give the time with its time zone.", "naive_datetime")
            else:
                out["occurred_at"] = raw
        elif raw not in (None, ""):
            parse.add("occurred_at", "Give a date and time.", "invalid_datetime")
    if present("due_on"):
        out["due_on"] = parse.day(values, "due_on")
    is_task = kind == ActivityKind.TASK.value
    if kind is not None and not is_task:
        for name in ("due_on", "assignee_id"):
            if values.get(name) not in (None, ""):
                parse.add(name, "Only a task has a due date and an assignee.", "not_allowed")
    if (
        creating
        and is_task
        and out.get("due_on") is None
        and "due_on" not in {e.field for e in parse.errors}
    ):
        parse.add("due_on", "Give the task a due date.", "required")
    if creating:
        origin_type = parse.text(values, "origin_type", 40)
        origin_id = parse.text(values, "origin_id", 64)
        if (origin_type is None) != (origin_id is None):
            parse.add("origin_id", "Give both the origin type and its id.", "incomplete")
        out["origin_type"], out["origin_id"] = origin_type, origin_id
    parse.raise_if_any("The activity is not valid.")
    return out


def is_overdue(due_on: date | None, done: bool, today: date) -> bool:
    return not done and due_on is not None and due_on < today

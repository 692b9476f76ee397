"""The audit log writer.

Services never write audit entries by hand: a flush of any `Audited` model records
who (from `session.info["actor"]`), when, what and the changed fields.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from app.db.base import Audited, utcnow
from app.db.models import AuditEntry
from app.domain.access import SYSTEM_ACTOR, Actor


def bind_actor(db: Session, actor: Actor) -> None:
    """Tell the audit log on whose behalf this session's changes are made."""
    db.info["actor"] = actor


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return _json_value(value.value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _entity_id(obj: Audited) -> str:
    mapper = inspect(obj).mapper
    return ":".join(str(v) for v in mapper.primary_key_from_instance(obj))


def _changes(obj: Audited, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    excluded = type(obj).__audit_exclude__
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in excluded:
            continue
        if action == "update":
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if before == after:
                continue
            changes[key] = [_json_value(before), _json_value(after)]
        else:
            value = state.attrs[key].value
            if value is None:
                continue
            pair = [None, value] if action == "create" else [value, None]
            changes[key] = [_json_value(v) for v in pair]
    return changes


def _record_flush(session: Session, _flush_context: UOWTransaction) -> None:
    actor: Actor = session.info.get("actor", SYSTEM_ACTOR)
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": at,
                    "actor_user_id": actor.user_id,
                    "actor_label": actor.label,
                    "action": action,
                    "entity_type": type(obj).__tablename__,  # type: ignore[attr-defined]
                    "entity_id": _entity_id(obj),
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def install_audit_listener() -> None:
    if not event.contains(Session, "after_flush", _record_flush):
        event.listen(Session, "after_flush", _record_flush)


install_audit_listener()

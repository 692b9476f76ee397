"""The audit log writer.

Services never write audit entries by hand: a flush of any `Audited` model records
who (from `session.info["actor"]`), when, what and the changed fields.

What the ORM does not see is recorded too: rows the database removes (or sets to
NULL) through `ON DELETE CASCADE` / `SET NULL` when an ORM object is deleted are
looked up before the flush, from the foreign keys in the metadata, and written as
`delete` / `update` entries (`_record_cascades`). `record_row_change` is for the few
places that change a row of a table that is not `Audited` and must still leave a trail
(merging duplicates moves every reference, whatever its table).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Table,
    and_,
    event,
    insert,
    inspect,
    or_,
    select,
)
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, UOWTransaction

from app.db.base import Audited, Base, utcnow
from app.db.models import AuditEntry
from app.domain.access import SYSTEM_ACTOR, Actor
from app.request_id import current_request_id


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
    request_id = current_request_id()
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
                    "request_id": request_id,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


# --- rows changed by the database itself, and rows of tables that are not Audited ----------


def _entry(
    session: Session, action: str, entity_type: str, entity_id: str, changes: Any
) -> dict[str, Any]:
    actor: Actor = session.info.get("actor", SYSTEM_ACTOR)
    return {
        "at": utcnow(),
        "actor_user_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": changes,
        "request_id": current_request_id(),
    }


@lru_cache(maxsize=1)
def _classes_by_table() -> dict[str, type]:
    return {
        m.local_table.name: m.class_  # type: ignore[attr-defined]
        for m in Base.registry.mappers
        if m.inherits is None
    }


def audited_table(table: Table) -> type[Audited] | None:
    """The `Audited` model mapped to `table`, if it is one."""
    cls = _classes_by_table().get(table.name)
    return cls if cls is not None and issubclass(cls, Audited) else None


def _key_columns(table: Table) -> set[str]:
    names = {c.name for c in table.primary_key.columns}
    for fk in table.foreign_keys:
        names.add(fk.parent.name)
    return names


def logged_columns(table: Table) -> list[str]:
    """What the log may hold of a row of `table`: every column of an `Audited` model
    except its exclusions (secrets, timestamps); of any other table only the key and
    foreign-key columns (which record was linked to which), never free values."""
    cls = audited_table(table)
    if cls is not None:
        return [c.name for c in table.columns if c.name not in cls.__audit_exclude__]
    keys = _key_columns(table)
    return [c.name for c in table.columns if c.name in keys]


def row_entity_id(table: Table, row: Mapping[str, Any]) -> str:
    return ":".join(str(row[c.name]) for c in table.primary_key.columns)


def record_row_change(
    session: Session,
    table: Table,
    row: Mapping[str, Any],
    action: str,
    changes: Mapping[str, list[Any]] | None = None,
) -> None:
    """Write one entry for a row changed outside the ORM's audit (Core statements, tables
    that are not `Audited`). For a delete without `changes`, the row's loggable values."""
    if changes is None:
        changes = {
            name: [_json_value(row[name]), None]
            for name in logged_columns(table)
            if row.get(name) is not None
        }
    else:
        changes = {k: [_json_value(v) for v in pair] for k, pair in changes.items()}
    session.connection().execute(
        insert(AuditEntry),
        [_entry(session, action, table.name, row_entity_id(table, row), dict(changes))],
    )


@cache
def _dependents(table: Table) -> tuple[ForeignKeyConstraint, ...]:
    """The foreign keys with ON DELETE CASCADE / SET NULL that point at `table`."""
    found = []
    for child in Base.metadata.sorted_tables:
        for fk in child.foreign_key_constraints:
            if fk.referred_table is table and (fk.ondelete or "").upper() in (
                "CASCADE",
                "SET NULL",
            ):
                found.append(fk)
    return tuple(sorted(found, key=lambda fk: (fk.table.name, fk.column_keys)))


@cache
def _worth_walking(table: Table) -> bool:
    """Whether deleting a row of `table` can remove or change an `Audited` row."""
    seen: set[str] = set()
    todo = [table]
    while todo:
        current = todo.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        for fk in _dependents(current):
            if audited_table(fk.table) is not None:
                return True
            if (fk.ondelete or "").upper() == "CASCADE":
                todo.append(fk.table)
    return False


def _cascade_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    deleting: set[tuple[str, str]],
    out: list[dict[str, Any]],
    depth: int = 0,
) -> None:
    """Record what the database will do to the dependents of `rows` (being deleted)."""
    if not rows or depth > 10:
        return
    for fk in _dependents(table):
        child = fk.table
        if audited_table(child) is None and not (
            (fk.ondelete or "").upper() == "CASCADE" and _worth_walking(child)
        ):
            continue
        pairs = [(element.parent, element.column.name) for element in fk.elements]
        conditions = [
            and_(*[column == row[name] for column, name in pairs])
            for row in rows
            if all(row.get(name) is not None for _, name in pairs)
        ]
        if not conditions:
            continue
        found = [
            dict(r._mapping)
            for r in session.connection().execute(select(child).where(or_(*conditions)))
        ]
        found = [r for r in found if (child.name, row_entity_id(child, r)) not in deleting]
        if not found:
            continue
        log = audited_table(child) is not None
        if (fk.ondelete or "").upper() == "SET NULL":
            for r in found:
                if log:
                    changes = {
                        column.name: [_json_value(r[column.name]), None]
                        for column, _ in pairs
                        if column.name in logged_columns(child)
                    }
                    out.append(
                        _entry(session, "update", child.name, row_entity_id(child, r), changes)
                    )
            continue
        for r in found:
            deleting.add((child.name, row_entity_id(child, r)))
            if log:
                changes = {
                    name: [_json_value(r[name]), None]
                    for name in logged_columns(child)
                    if r.get(name) is not None
                }
                out.append(_entry(session, "delete", child.name, row_entity_id(child, r), changes))
        _cascade_rows(session, child, found, deleting, out, depth + 1)


def _record_cascades(session: Session, _flush_context: UOWTransaction, _instances: Any) -> None:
    if not session.deleted:
        return
    deleting: set[tuple[str, str]] = set()
    by_table: dict[Table, list[Mapping[str, Any]]] = {}
    for obj in session.deleted:
        mapper: Mapper[Any] = inspect(obj).mapper
        table = mapper.local_table
        if not isinstance(table, Table):
            continue
        row = {
            column.name: getattr(obj, prop.key)
            for prop in mapper.column_attrs
            for column in prop.columns
            if isinstance(column, Column) and column.table is table
        }
        deleting.add((table.name, row_entity_id(table, row)))
        if _worth_walking(table):
            by_table.setdefault(table, []).append(row)
    out: list[dict[str, Any]] = []
    for table, rows in by_table.items():
        _cascade_rows(session, table, rows, deleting, out)
    if out:
        session.connection().execute(insert(AuditEntry), out)


def _refuse_untracked_deletes(state: ORMExecuteState) -> None:
    """A bulk DELETE statement would remove audited rows without a trail: refused."""
    if not state.is_delete:
        return
    target = getattr(state.statement, "table", None)
    if isinstance(target, Table) and (audited_table(target) or _worth_walking(target)):
        raise RuntimeError(
            f"A bulk DELETE of {target.name} would bypass the audit log; "
            "delete the objects through the session instead."
        )


def install_audit_listener() -> None:
    if not event.contains(Session, "do_orm_execute", _refuse_untracked_deletes):
        event.listen(Session, "do_orm_execute", _refuse_untracked_deletes)
    if not event.contains(Session, "after_flush", _record_flush):
        event.listen(Session, "after_flush", _record_flush)
    if not event.contains(Session, "before_flush", _record_cascades):
        event.listen(Session, "before_flush", _record_cascades)


install_audit_listener()

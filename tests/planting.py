"""Plant a row in any table from the metadata alone, for tests that enumerate tables
(merging, cascades): required columns get values of their type, foreign keys get a
parent (an existing row, or a planted one). A table whose check constraints need more
than that names its values in `OVERRIDES`; a new table that cannot be planted fails the
test that enumerates it, loudly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    insert,
    select,
)
from sqlalchemy.orm import Session

from app.db.base import Base

# Values a table's check constraints insist on.
OVERRIDES: dict[str, dict[str, Any]] = {
    "activities": {"kind": "note"},
    "cluster_members": {"role": "member"},
    "event_participants": {"role": "guest"},
    "leads": {"stage": "identified", "investment_type": "greenfield_fdi"},
    "users": {"role": "coordinator"},
    "organizations": {"type": "company"},
    "contacts": {"lawful_basis": "public_task"},
    "sites": {"status": "draft"},
    "events": {"kind": "visit", "status": "planned"},
    "syndication_targets": {"kind": "webhook"},
    "aftercare_accounts": {"kind": "local_company"},
    "aftercare_issues": {"category": "other", "status": "open"},
}


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def _sample(column: Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, Uuid):
        return uuid.uuid4()
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        return datetime.now(UTC)
    if isinstance(kind, Date):
        return datetime.now(UTC).date()
    if isinstance(kind, Numeric):
        return Decimal(1)
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, String) and not isinstance(kind, Text) and kind.length:
        return uuid.uuid4().hex[: kind.length]
    if isinstance(kind, String):
        return f"planted {uuid.uuid4().hex[:8]}"
    impl = getattr(kind, "impl", None)
    if impl is not None:
        return _sample(Column(column.name, impl))
    raise AssertionError(f"planting.py cannot fill {column.table.name}.{column.name} ({kind})")


def parent_row(db: Session, parent: Table) -> dict[str, Any]:
    """Any stored row of `parent` (reference data, a user), else a planted one."""
    found = db.execute(select(parent).limit(1)).mappings().first()
    return dict(found) if found is not None else plant(db, parent)


def plant(db: Session, target: Table, **values: Any) -> dict[str, Any]:
    """Insert one row of `target` with `values`, required columns filled; returns it."""
    row: dict[str, Any] = {}
    overrides = OVERRIDES.get(target.name, {})
    for column in target.columns:
        name = column.name
        if name in values:
            row[name] = values[name]
            continue
        if name in overrides:
            row[name] = overrides[name]
            continue
        fk = next(iter(column.foreign_keys), None)
        if column.primary_key and fk is None:
            if isinstance(column.type, Uuid):
                row[name] = uuid.uuid4()
            continue  # an integer key counts itself
        if column.nullable or column.default is not None or column.server_default is not None:
            continue
        if fk is not None:
            row[name] = parent_row(db, fk.column.table)[fk.column.name]
        else:
            row[name] = _sample(column)
    result = db.execute(insert(target).values(**row))
    key = result.inserted_primary_key
    assert key is not None
    pk = dict(zip([c.name for c in target.primary_key.columns], key, strict=True))
    stored = db.execute(select(target).where(*[target.c[k] == v for k, v in pk.items()])).mappings()
    return dict(stored.one())


def entity_id(target: Table, row: dict[str, Any]) -> str:
    return ":".join(str(row[c.name]) for c in target.primary_key.columns)

"""Merging duplicates: every reference to the merged record moves to the kept one.

The references are not listed by hand: every foreign key in the metadata that points at
the merged record's table is followed, so a table added later is merged too. Each moved
row is an audited change (the ORM's audit listener for `Audited` models, an explicit
entry for any other table). When a row cannot move because the kept record already has
the same link (a unique constraint, e.g. both organisations are members of the same
cluster), the two links are combined into the kept one and the duplicate is deleted,
also audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Column, Table, and_, delete, select, update
from sqlalchemy.orm import Session

from app.db.audit import audited_table, record_row_change
from app.db.base import Base


@dataclass(frozen=True)
class Reference:
    table: Table
    column: Column[Any]


def references_to(target: Table) -> list[Reference]:
    """Every column of every table with a foreign key to `target`'s primary key."""
    found = [
        Reference(table, fk.parent)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is target and fk.column.primary_key
    ]
    return sorted(found, key=lambda r: (r.table.name, r.column.name))


# Links that are one link although no constraint says so: the same person at the same
# meeting twice.
LOGICAL_UNIQUE: dict[str, list[tuple[str, ...]]] = {
    "cluster_meeting_attendees": [("meeting_id", "contact_id"), ("meeting_id", "user_id")],
}


def _unique_sets(table: Table) -> list[list[Column[Any]]]:
    sets = [list(table.primary_key.columns)]
    sets += [[table.c[name] for name in names] for names in LOGICAL_UNIQUE.get(table.name, [])]
    for constraint in table.constraints:
        columns = list(getattr(constraint, "columns", []))
        if constraint.__class__.__name__ == "UniqueConstraint" and columns:
            sets.append(columns)
    sets += [list(index.columns) for index in table.indexes if index.unique]
    return sets


# --- combining two links of the same pair: what the kept link takes from the merged one --


Row = dict[str, Any]
Combiner = Callable[[Row, Row], Row]


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(x for x in (a, b) if x is not None) if a or b else None


def _combine_memberships(kept: Row, merged: Row) -> Row:
    """One membership: the earlier joining date; still a member if either still is; the
    leading role if either had it."""
    left = None
    if kept["left_on"] is not None and merged["left_on"] is not None:
        left = max(kept["left_on"], merged["left_on"])
    return {
        "joined_on": _earliest(kept["joined_on"], merged["joined_on"]),
        "left_on": left,
        "role": "leading" if "leading" in (kept["role"], merged["role"]) else kept["role"],
    }


def _combine_participants(kept: Row, merged: Row) -> Row:
    """One participant: an answer or a sent invitation of either is kept."""
    out: Row = {}
    if kept["rsvp"] == "pending" and merged["rsvp"] != "pending":
        out |= {"rsvp": merged["rsvp"], "rsvp_at": merged["rsvp_at"]}
    if kept["invitation"] == "not_sent" and merged["invitation"] != "not_sent":
        out |= {
            "invitation": merged["invitation"],
            "invited_at": merged["invited_at"],
            "invited_sequence": merged["invited_sequence"],
        }
    return out


COMBINERS: dict[str, Combiner] = {
    "cluster_members": _combine_memberships,
    "event_participants": _combine_participants,
}


def _combined(table: Table, kept: Row, merged: Row, skip: set[str]) -> Row:
    """The values the kept link takes: the table's own rule, and otherwise whatever the
    kept link lacks and the merged one has."""
    special = COMBINERS.get(table.name)
    out = special(kept, merged) if special else {}
    for column in table.columns:
        name = column.name
        if name in skip or name in out or column.primary_key:
            continue
        if kept[name] is None and merged[name] is not None:
            out[name] = merged[name]
    return {k: v for k, v in out.items() if kept[k] != v}


# --- moving ----------------------------------------------------------------------------------


@dataclass
class MoveReport:
    moved: int = 0
    combined: int = 0
    tables: set[str] = field(default_factory=set)

    def summary(self) -> str:
        """For the merge note on the kept record's timeline."""
        text = f"{self.moved} linked records moved"
        if self.combined:
            text += f", {self.combined} combined with the same link of this record"
        if self.tables:
            text += f" ({', '.join(sorted(self.tables))})"
        return text + "."


def _rows(db: Session, table: Table, column: Column[Any], value: Any) -> Iterator[Row]:
    for row in db.execute(select(table).where(column == value)).mappings().all():
        yield dict(row)


def _pk_filter(table: Table, row: Row) -> Any:
    return and_(*[c == row[c.name] for c in table.primary_key.columns])


def _twin(db: Session, ref: Reference, row: Row, keep_id: uuid.UUID) -> Row | None:
    """The row that the moved one would duplicate under a unique constraint."""
    for columns in _unique_sets(ref.table):
        if ref.column not in columns:
            continue
        others = [c for c in columns if c is not ref.column]
        if any(row[c.name] is None for c in others):
            continue  # NULLs never collide
        found = (
            db.execute(
                select(ref.table).where(ref.column == keep_id, *[c == row[c.name] for c in others])
            )
            .mappings()
            .first()
        )
        if found is not None:
            return dict(found)
    return None


def _orm_object(db: Session, table: Table, row: Row) -> Any:
    cls = audited_table(table)
    if cls is None:
        return None
    key = tuple(row[c.name] for c in table.primary_key.columns)
    return db.get(cls, key if len(key) > 1 else key[0])


def _set(db: Session, table: Table, row: Row, values: Row) -> None:
    """Change a row: through the ORM for an `Audited` model (its listener logs it),
    otherwise with a statement and an explicit audit entry."""
    obj = _orm_object(db, table, row)
    if obj is not None:
        mapper = obj.__mapper__
        for name, value in values.items():
            setattr(obj, mapper.get_property_by_column(table.c[name]).key, value)
        db.flush()
        return
    db.execute(update(table).where(_pk_filter(table, row)).values(**values))
    after = {**row, **values}
    record_row_change(
        db, table, after, "update", {name: [row[name], value] for name, value in values.items()}
    )


def _delete(db: Session, table: Table, row: Row) -> None:
    obj = _orm_object(db, table, row)
    if obj is not None:
        db.delete(obj)
        db.flush()
        return
    db.execute(delete(table).where(_pk_filter(table, row)))
    record_row_change(db, table, row, "delete")


def move_references(
    db: Session, model: type[Base], merge_id: uuid.UUID, keep_id: uuid.UUID
) -> MoveReport:
    """Point every reference to the `model` record `merge_id` at `keep_id` instead; see
    the module text."""
    target = cast(Table, model.__table__)
    report = MoveReport()
    db.flush()
    for ref in references_to(target):
        for row in list(_rows(db, ref.table, ref.column, merge_id)):
            if ref.table is target:
                if row["id"] == merge_id:
                    continue  # the merged record itself, deleted next
                if row["id"] == keep_id:
                    # The kept record pointed at its duplicate: it cannot point at itself.
                    if ref.column.nullable:
                        _set(db, ref.table, row, {ref.column.name: None})
                    continue
            report.tables.add(ref.table.name)
            twin = _twin(db, ref, row, keep_id)
            if twin is None:
                _set(db, ref.table, row, {ref.column.name: keep_id})
                report.moved += 1
                continue
            values = _combined(ref.table, twin, row, {ref.column.name})
            _delete(db, ref.table, row)
            if values:
                _set(db, ref.table, twin, values)
            report.combined += 1
    return report

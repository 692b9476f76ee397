"""Rows the database removes or nulls by itself (ON DELETE CASCADE / SET NULL) leave a
trail in the audit log like any other change of an audited record.

Every such foreign key is enumerated from the metadata here, so a table added later is
checked too.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import ForeignKeyConstraint, delete, select
from sqlalchemy.orm import Session

from app.db.audit import audited_table
from app.db.base import Base
from app.db.models import AuditEntry, Cluster, ClusterIndustry, ClusterMeeting, ClusterMember
from tests.planting import entity_id, parent_row, plant, table


def _dependents() -> list[ForeignKeyConstraint]:
    found = [
        fk
        for t in Base.metadata.sorted_tables
        for fk in t.foreign_key_constraints
        if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL")
        and audited_table(fk.table) is not None
    ]
    return sorted(found, key=lambda fk: (fk.table.name, fk.column_keys))


def _label(fk: ForeignKeyConstraint) -> str:
    return f"{fk.table.name}.{'+'.join(fk.column_keys)}->{fk.referred_table.name}"


def _mapped(name: str) -> Any:
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == name:
            return mapper.class_
    raise AssertionError(name)


def _child_values(db: Session, fk: ForeignKeyConstraint, parent: dict[str, Any]) -> dict:
    values = {element.parent.name: parent[element.column.name] for element in fk.elements}
    child = fk.table.name
    if child == "event_participants" and "contact_id" not in values and "user_id" not in values:
        values["user_id"] = parent_row(db, table("users"))["id"]
    if child == "lead_shares" and "organization_id" not in values:
        values["municipality_code"] = "205"
    if child == "cluster_links":
        other = plant(db, table("clusters"))["id"]
        mine = values.popitem()[1]
        low, high = sorted([mine, other])
        values = {"cluster_a_id": low, "cluster_b_id": high}
    return values


def test_the_cascades_include_the_register() -> None:
    labels = {_label(fk) for fk in _dependents()}
    assert "activities.organization_id->organizations" in labels
    assert "lead_contacts.contact_id->contacts" in labels
    assert "contacts.organization_id->organizations" in labels


@pytest.mark.parametrize("fk", _dependents(), ids=_label)
def test_deleting_a_parent_audits_what_the_database_does_to_the_child(
    db: Session, fk: ForeignKeyConstraint
) -> None:
    parent = plant(db, fk.referred_table)
    child = plant(db, fk.table, **_child_values(db, fk, parent))
    parent_class = _mapped(fk.referred_table.name)
    key = tuple(parent[c.name] for c in fk.referred_table.primary_key.columns)
    db.delete(db.get(parent_class, key if len(key) > 1 else key[0]))
    db.flush()

    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == fk.table.name,
            AuditEntry.entity_id == entity_id(fk.table, child),
        )
    ).all()
    if (fk.ondelete or "").upper() == "CASCADE":
        assert [e.action for e in entries] == ["delete"], _label(fk)
        logged = entries[0].changes
        for element in fk.elements:
            assert logged[element.parent.name][1] is None
        assert set(logged) > set(fk.column_keys)  # the row's values, not only its key
    else:
        assert [e.action for e in entries] == ["update"], _label(fk)
        assert {k: v[1] for k, v in entries[0].changes.items()} == dict.fromkeys(fk.column_keys)


def test_deleting_a_cluster_audits_everything_that_goes_with_it(db: Session) -> None:
    cluster = plant(db, table("clusters"))
    meeting = plant(db, table("cluster_meetings"), cluster_id=cluster["id"])
    member = plant(db, table("cluster_members"), cluster_id=cluster["id"])
    db.delete(db.get(Cluster, cluster["id"]))
    db.flush()
    db.expire_all()
    assert db.get(ClusterMeeting, meeting["id"]) is None
    actions = {
        (e.entity_type, e.entity_id): e.action
        for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "delete"))
    }
    assert actions[("cluster_meetings", str(meeting["id"]))] == "delete"
    assert actions[("cluster_members", str(member["id"]))] == "delete"
    assert actions[("clusters", str(cluster["id"]))] == "delete"


def test_a_bulk_delete_of_audited_rows_is_refused(db: Session) -> None:
    with pytest.raises(RuntimeError, match="bypass the audit log"):
        db.execute(delete(ClusterMember).where(ClusterMember.role == "member"))
    with pytest.raises(RuntimeError, match="bypass the audit log"):
        db.execute(delete(Cluster))
    db.execute(delete(ClusterIndustry).where(ClusterIndustry.industry_code == "none"))

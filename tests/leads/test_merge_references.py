"""Merging organisations and contacts loses nothing: every reference moves, audited.

The references are enumerated here from the database metadata independently of the
merge code, so a table added later with a foreign key to organisations or contacts is
planted and checked too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, and_, func, select
from sqlalchemy.orm import Session

from app.db.base import Base
from app.db.models import AuditEntry
from app.domain.access import Role
from tests.factories import Factory, csrf_from
from tests.leads.conftest import Pipeline
from tests.planting import entity_id, plant, table

# What a referencing row needs beyond its reference (check constraints on its own values).
EXTRA: dict[str, dict[str, Any]] = {"users": {"role": "partner"}}


def references(target: str) -> list[tuple[Table, str]]:
    found = [
        (t, fk.parent.name)
        for t in Base.metadata.sorted_tables
        for fk in t.foreign_keys
        if fk.column.table.name == target
    ]
    return sorted(found, key=lambda r: (r[0].name, r[1]))


def _contact(pipeline: Pipeline, name: str, **values: Any) -> dict[str, Any]:
    response = pipeline.client.post(
        "/api/v1/contacts",
        json={
            "full_name": name,
            "lawful_basis": "public_task",
            "source": "x",
            "confirm_duplicate": True,
            **values,
        },
        headers=pipeline.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _records(pipeline: Pipeline, target: str) -> tuple[str, str]:
    if target == "organizations":
        keep = pipeline.org(name="Terrafame Oy")
        dupe = pipeline.org(name="Terrafame Ltd", confirm_duplicate=True)
    else:
        keep = _contact(pipeline, "Anna Virtanen")
        dupe = _contact(pipeline, "Anna V.", email="anna@example.com")
    return keep["id"], dupe["id"]


def test_the_metadata_knows_the_references_the_issue_names() -> None:
    org_refs = {f"{t.name}.{c}" for t, c in references("organizations")}
    contact_refs = {f"{t.name}.{c}" for t, c in references("contacts")}
    assert {
        "cluster_members.organization_id",
        "clusters.leading_organization_id",
        "cluster_agreements.party_organization_id",
        "lead_shares.organization_id",
        "users.organization_id",
        "leads.organization_id",
        "contacts.organization_id",
    } <= org_refs
    assert {
        "event_participants.contact_id",
        "cluster_meeting_attendees.contact_id",
        "clusters.leader_contact_id",
        "lead_contacts.contact_id",
        "activities.contact_id",
    } <= contact_refs


@pytest.mark.parametrize("target", ["organizations", "contacts"])
def test_merge_moves_every_reference_in_the_metadata_and_audits_each(
    pipeline: Pipeline, db: Session, target: str
) -> None:
    keep_id, dupe_id = _records(pipeline, target)
    planted = []
    for referencing, column in references(target):
        values = {**EXTRA.get(referencing.name, {}), column: uuid.UUID(dupe_id)}
        planted.append((referencing, column, plant(db, referencing, **values)))
    assert planted

    merged = pipeline.client.post(
        f"/api/v1/{target}/{keep_id}/merge", json={"merge_id": dupe_id}, headers=pipeline.headers
    )
    assert merged.status_code == 200, merged.text

    for referencing, column, row in planted:
        where = referencing.c[column] == uuid.UUID(dupe_id)
        left = db.scalar(select(func.count()).select_from(referencing).where(where))
        assert left == 0, f"{referencing.name}.{column} still points at the merged record"
        moved = {**row, column: uuid.UUID(keep_id)}
        trail = pipeline.client.get(
            f"/api/v1/audit/{referencing.name}/{entity_id(referencing, moved)}",
            headers=pipeline.headers,
        )
        assert trail.status_code == 200, trail.text
        assert [dupe_id, keep_id] in [
            e["changes"].get(column) for e in trail.json() if e["action"] == "update"
        ], f"the move of {referencing.name}.{column} is not in the audit log"
        assert (
            db.scalar(
                select(func.count()).select_from(referencing).where(_same_row(referencing, moved))
            )
            == 1
        )
    gone = pipeline.client.get(f"/api/v1/{target}/{dupe_id}", headers=pipeline.headers)
    assert gone.status_code == 404


def _same_row(referencing: Table, row: dict[str, Any]) -> Any:
    return and_(*[c == row[c.name] for c in referencing.primary_key.columns])


def test_an_organisation_already_in_the_cluster_stays_one_member(
    pipeline: Pipeline, db: Session
) -> None:
    keep_id, dupe_id = map(uuid.UUID, _records(pipeline, "organizations"))
    cluster = plant(db, table("clusters"))
    today = datetime.now(UTC).date()
    kept = plant(
        db,
        table("cluster_members"),
        cluster_id=cluster["id"],
        organization_id=keep_id,
        role="member",
        joined_on=today - timedelta(days=30),
        left_on=today - timedelta(days=1),
    )
    dupe = plant(
        db,
        table("cluster_members"),
        cluster_id=cluster["id"],
        organization_id=dupe_id,
        role="leading",
        joined_on=today - timedelta(days=400),
        left_on=None,
    )
    merged = pipeline.client.post(
        f"/api/v1/organizations/{keep_id}/merge",
        json={"merge_id": str(dupe_id)},
        headers=pipeline.headers,
    )
    assert merged.status_code == 200, merged.text
    members = pipeline.client.get(
        f"/api/v1/clusters/{cluster['id']}", headers=pipeline.headers
    ).json()["members_list"]
    assert [(m["organization_id"], m["role"]) for m in members] == [(str(keep_id), "leading")]
    assert members[0]["joined_on"] == (today - timedelta(days=400)).isoformat()
    assert members[0]["left_on"] is None
    kept_trail = pipeline.client.get(
        f"/api/v1/audit/cluster_members/{kept['id']}", headers=pipeline.headers
    ).json()
    assert kept_trail[-1]["changes"]["role"] == ["member", "leading"]
    dupe_trail = pipeline.client.get(
        f"/api/v1/audit/cluster_members/{dupe['id']}", headers=pipeline.headers
    ).json()
    assert dupe_trail[-1]["action"] == "delete"


def test_a_contact_on_the_same_lead_event_and_meeting_twice_stays_once(
    pipeline: Pipeline, db: Session
) -> None:
    keep_id, dupe_id = map(uuid.UUID, _records(pipeline, "contacts"))
    lead = pipeline.lead(contact_ids=[str(keep_id), str(dupe_id)])
    event = plant(db, table("events"))
    plant(db, table("event_participants"), event_id=event["id"], contact_id=keep_id, rsvp="pending")
    plant(
        db, table("event_participants"), event_id=event["id"], contact_id=dupe_id, rsvp="accepted"
    )
    meeting = plant(db, table("cluster_meetings"))
    attendees = table("cluster_meeting_attendees")
    plant(db, attendees, meeting_id=meeting["id"], contact_id=keep_id)
    dupe_attendance = plant(db, attendees, meeting_id=meeting["id"], contact_id=dupe_id)
    merged = pipeline.client.post(
        f"/api/v1/contacts/{keep_id}/merge",
        json={"merge_id": str(dupe_id)},
        headers=pipeline.headers,
    )
    assert merged.status_code == 200, merged.text
    detail = pipeline.client.get(f"/api/v1/leads/{lead['id']}", headers=pipeline.headers).json()
    assert [c["id"] for c in detail["contacts"]] == [str(keep_id)]
    participants = db.execute(
        select(table("event_participants")).where(
            table("event_participants").c.event_id == event["id"]
        )
    ).mappings()
    assert [(p["contact_id"], p["rsvp"]) for p in participants] == [(keep_id, "accepted")]
    removed = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "lead_contacts",
            AuditEntry.entity_id == f"{lead['id']}:{dupe_id}",
            AuditEntry.action == "delete",
        )
    ).all()
    assert len(removed) == 1
    attending = db.execute(
        select(attendees.c.contact_id).where(attendees.c.meeting_id == meeting["id"])
    ).scalars()
    assert list(attending) == [keep_id]
    trail = pipeline.client.get(
        f"/api/v1/audit/cluster_meeting_attendees/{dupe_attendance['id']}",
        headers=pipeline.headers,
    ).json()
    assert [(e["action"], e["changes"]["contact_id"]) for e in trail] == [
        ("delete", [str(dupe_id), None])
    ]
    note = pipeline.client.get(f"/api/v1/contacts/{keep_id}/activities", headers=pipeline.headers)
    assert note.status_code == 200, note.text
    [merge_note] = [a for a in note.json()["items"] if a["origin_type"] == "merge"]
    assert "3 combined with the same link of this record" in merge_note["body"]


def test_merging_on_the_staff_page_moves_cluster_membership_and_agreements(
    client: TestClient, factory: Factory, db: Session
) -> None:
    keep = factory.organization(name="KaiCell Fibers Oy")
    dupe = factory.organization(name="Kaicell Fibers Ltd")
    cluster = plant(db, table("clusters"), leading_organization_id=dupe.id)
    member = plant(db, table("cluster_members"), cluster_id=cluster["id"], organization_id=dupe.id)
    agreement = plant(
        db, table("cluster_agreements"), cluster_id=cluster["id"], party_organization_id=dupe.id
    )
    factory.login(client, factory.user(Role.COORDINATOR))
    page = client.get(f"/organizations/{keep.id}")
    merged = client.post(
        f"/organizations/{keep.id}/merge",
        data={"csrf_token": csrf_from(page.text), "merge_id": str(dupe.id)},
        follow_redirects=False,
    )
    assert merged.status_code == 303, merged.text
    clusters = table("clusters")
    assert (
        db.scalar(select(clusters.c.leading_organization_id).where(clusters.c.id == cluster["id"]))
        == keep.id
    )
    for name, row, column in (
        ("cluster_members", member, "organization_id"),
        ("cluster_agreements", agreement, "party_organization_id"),
    ):
        stored = (
            db.execute(select(table(name)).where(table(name).c.id == row["id"])).mappings().one()
        )
        assert stored[column] == keep.id
        entries = db.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == name, AuditEntry.entity_id == str(row["id"])
            )
        ).all()
        assert entries[-1].changes[column] == [str(dupe.id), str(keep.id)]

"""Activities and tasks: my tasks, overdue tasks, stale leads, origins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import Lead
from app.domain.access import Role
from tests.leads.conftest import Pipeline, problem_fields


def test_task_needs_due_date_and_a_note_has_no_assignee(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    url = f"/api/v1/leads/{lead['id']}/activities"
    no_due = pipeline.client.post(
        url, json={"kind": "task", "subject": "Call"}, headers=pipeline.headers
    )
    assert problem_fields(no_due) == {("due_on", "required")}
    note = pipeline.client.post(
        url,
        json={"kind": "note", "subject": "x", "assignee_id": str(pipeline.coordinator.id)},
        headers=pipeline.headers,
    )
    assert problem_fields(note) == {("assignee_id", "not_allowed")}


def test_my_tasks_overdue_and_done(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    url = f"/api/v1/leads/{lead['id']}/activities"
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    later = (datetime.now(UTC).date() + timedelta(days=5)).isoformat()
    overdue = pipeline.client.post(
        url,
        json={"kind": "task", "subject": "Send offer", "due_on": yesterday},
        headers=pipeline.headers,
    ).json()
    upcoming = pipeline.client.post(
        url,
        json={
            "kind": "task",
            "subject": "Follow up",
            "due_on": later,
            "origin_type": "event",
            "origin_id": "ev-1",
        },
        headers=pipeline.headers,
    ).json()
    assert overdue["assignee_id"] == str(pipeline.coordinator.id)
    mine = pipeline.client.get(
        "/api/v1/tasks", params={"mine": True}, headers=pipeline.headers
    ).json()
    assert [t["id"] for t in mine["items"]] == [overdue["id"], upcoming["id"]]
    late = pipeline.client.get(
        "/api/v1/tasks", params={"overdue": True}, headers=pipeline.headers
    ).json()
    assert [t["id"] for t in late["items"]] == [overdue["id"]]
    from_events = pipeline.client.get(
        "/api/v1/tasks", params={"origin_type": "event"}, headers=pipeline.headers
    ).json()
    assert [(t["id"], t["origin_id"]) for t in from_events["items"]] == [(upcoming["id"], "ev-1")]
    done = pipeline.client.patch(
        f"/api/v1/activities/{overdue['id']}", json={"done": True}, headers=pipeline.headers
    )
    assert done.json()["done_by_id"] == str(pipeline.coordinator.id)
    open_now = pipeline.client.get(
        "/api/v1/tasks", params={"mine": True}, headers=pipeline.headers
    ).json()
    assert [t["id"] for t in open_now["items"]] == [upcoming["id"]]


def test_task_assignee_must_see_the_lead(pipeline: Pipeline) -> None:
    lead = pipeline.lead()
    kuhmo, _ = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="290")
    response = pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={
            "kind": "task",
            "subject": "Visit",
            "due_on": "2030-01-01",
            "assignee_id": str(kuhmo.id),
        },
        headers=pipeline.headers,
    )
    assert problem_fields(response) == {("assignee_id", "no_access")}


def test_stale_leads_use_the_setting_and_activity_resets(
    pipeline: Pipeline, db: Session, settings
) -> None:
    quiet = pipeline.lead()
    busy = pipeline.lead()
    old = datetime.now(UTC) - timedelta(days=settings.stale_lead_days + 1)
    db.execute(
        update(Lead).where(Lead.id.in_([quiet["id"], busy["id"]])).values(last_activity_at=old)
    )
    db.commit()
    pipeline.client.post(
        f"/api/v1/leads/{busy['id']}/activities",
        json={"kind": "call", "subject": "Called the CFO"},
        headers=pipeline.headers,
    )
    stale = pipeline.client.get("/api/v1/leads/stale", headers=pipeline.headers).json()
    assert [lead["id"] for lead in stale["items"]] == [quiet["id"]]
    fewer_days = pipeline.client.get(
        "/api/v1/leads/stale", params={"days": 400}, headers=pipeline.headers
    ).json()
    assert fewer_days["total"] == 0


def test_activities_on_organisations_and_contacts(pipeline: Pipeline) -> None:
    org = pipeline.org()
    response = pipeline.client.post(
        f"/api/v1/organizations/{org['id']}/activities",
        json={"kind": "email", "subject": "Sent region brochure"},
        headers=pipeline.headers,
    )
    assert response.status_code == 201
    listed = pipeline.client.get(
        f"/api/v1/organizations/{org['id']}/activities", headers=pipeline.headers
    ).json()
    assert [(a["kind"], a["subject"]) for a in listed["items"]] == [
        ("email", "Sent region brochure")
    ]
    _, kajaani = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert (
        pipeline.client.get(
            f"/api/v1/organizations/{org['id']}/activities", headers=kajaani
        ).status_code
        == 403
    )
    task = pipeline.client.post(
        "/api/v1/tasks",
        json={
            "subject": "Check",
            "due_on": date(2031, 1, 1).isoformat(),
            "organization_id": org["id"],
        },
        headers=pipeline.headers,
    )
    assert (task.status_code, task.json()["kind"]) == (201, "task")

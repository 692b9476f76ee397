"""A former staff member's personal data is erased on request: their name and address
leave every table, mail and the audit trail, while their records and the trail's
entries stay (with the account's id)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry, OutboxEmail, User
from app.domain.access import Role
from app.services.mail import send_due_emails
from app.settings import Settings
from tests.factories import Factory, csrf_from
from tests.leads.conftest import Pipeline
from tests.privacy.test_privacy_api import _rows_mentioning, _today

STAFF_NAME = "Sanelma Staffington"
STAFF_EMAIL = "sanelma.staffington@kajaani.example"


def test_erasing_a_former_staff_member(
    pipeline: Pipeline, factory: Factory, db: Session, settings: Settings, client: TestClient
) -> None:
    staff, staff_headers = factory.api_user(Role.COORDINATOR, email=STAFF_EMAIL)
    staff.full_name = STAFF_NAME  # as an admin would have typed it
    db.commit()
    # Work done by them (audit entries carry their address as the actor) ...
    lead = pipeline.lead(headers=staff_headers, code_name="Project Staff")
    note = client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "note", "subject": "Budget checked", "body": "Looks fine."},
        headers=staff_headers,
    )
    assert note.status_code == 201, note.text
    # ... a note by a colleague naming them, and an invitation mailed to them.
    mention = client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "note", "subject": f"{STAFF_NAME} hands over to me"},
        headers=pipeline.headers,
    )
    assert mention.status_code == 201, mention.text
    starts = (_today() + timedelta(days=5)).isoformat() + "T08:00:00+00:00"
    event = client.post(
        "/api/v1/events",
        json={
            "kind": "investor_visit",
            "title": "Visit",
            "starts_at": starts,
            "ends_at": starts.replace("T08", "T12"),
            "host_municipality_codes": ["205"],
        },
        headers=pipeline.headers,
    ).json()
    added = client.post(
        f"/api/v1/events/{event['id']}/participants",
        json={"user_id": str(staff.id), "role": "host"},
        headers=pipeline.headers,
    )
    assert added.status_code == 201, added.text
    assert (
        client.post(f"/api/v1/events/{event['id']}/invite", headers=pipeline.headers).json()["sent"]
        == 1
    )
    send_due_emails(db, settings)
    assert _rows_mentioning(db, [STAFF_NAME, STAFF_EMAIL])
    entries_before = db.scalar(select(func.count()).select_from(AuditEntry)) or 0

    _, admin_headers = factory.api_user(Role.ADMIN)
    path = f"/api/v1/privacy/users/{staff.id}/erasure"
    # Only admins, and only a deactivated account.
    assert client.post(path, json={"reason": "Left"}, headers=pipeline.headers).status_code == 403
    active = client.post(path, json={"reason": "Left"}, headers=admin_headers)
    assert active.status_code == 409, active.text
    admin = factory.user(Role.ADMIN)
    factory.login(client, admin)
    page = client.get("/admin/users")
    client.post(
        f"/admin/users/{staff.id}/active",
        data={"csrf_token": csrf_from(page.text), "active": "false"},
    )

    erased = client.post(path, json={"reason": "Left the council in 2026."}, headers=admin_headers)
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["full_name"], body["is_active"]) == ("[erased]", False)
    assert body["erasure_reason"] == "Left the council in 2026."
    assert STAFF_EMAIL not in body["email"]

    db.expire_all()
    assert _rows_mentioning(db, [STAFF_NAME, STAFF_EMAIL]) == []
    # The invitation only to them went; the trail keeps every entry and who (by id).
    assert db.scalar(select(func.count()).select_from(OutboxEmail)) == 0
    assert (db.scalar(select(func.count()).select_from(AuditEntry)) or 0) > entries_before
    theirs = db.scalars(select(AuditEntry).where(AuditEntry.actor_user_id == staff.id)).all()
    assert theirs and {e.actor_label for e in theirs} == {"[erased]"}
    lead_now = client.get(f"/api/v1/leads/{lead['id']}", headers=pipeline.headers).json()
    assert lead_now["code_name"] == "Project Staff"
    # Their token is dead, the account cannot come back, a second request changes nothing.
    assert client.get("/api/v1/me", headers=staff_headers).status_code == 401
    back = client.post(
        f"/admin/users/{staff.id}/active",
        data={"csrf_token": csrf_from(client.get("/admin/users").text), "active": "true"},
    )
    assert back.status_code == 409
    stored = db.get(User, staff.id)
    assert stored is not None and not stored.is_active
    again = client.post(path, json={"reason": "Again"}, headers=admin_headers)
    assert again.json()["erasure_reason"] == "Left the council in 2026."


def test_admin_page_erases_a_deactivated_account(
    client: TestClient, factory: Factory, db: Session
) -> None:
    staff = factory.user(Role.MUNICIPAL_CONTACT, email=STAFF_EMAIL)
    factory.login(client, factory.user(Role.ADMIN, language="fi"))
    page = client.get("/admin/users")
    assert f'action="/admin/users/{staff.id}/erase"' not in page.text  # still active
    client.post(
        f"/admin/users/{staff.id}/active",
        data={"csrf_token": csrf_from(page.text), "active": "false"},
    )
    page = client.get("/admin/users")
    assert f'action="/admin/users/{staff.id}/erase"' in page.text
    refused = client.post(
        f"/admin/users/{staff.id}/erase", data={"csrf_token": csrf_from(page.text), "reason": " "}
    )
    assert refused.status_code == 422
    assert f'id="erase-error-{staff.id}">Anna syy.</p>' in refused.text
    done = client.post(
        f"/admin/users/{staff.id}/erase",
        data={"csrf_token": csrf_from(page.text), "reason": "Left in 2026"},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/admin/users")
    page = client.get("/admin/users")
    assert "Henkilötiedot poistettu" in page.text
    assert STAFF_EMAIL not in page.text
    db.expire_all()
    stored = db.get(User, staff.id)
    assert stored is not None and stored.erasure_reason == "Left in 2026"

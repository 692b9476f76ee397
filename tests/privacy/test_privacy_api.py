"""GDPR for contact persons over HTTP: export, erasure, retention review and the job."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, Text, cast, or_, select, text
from sqlalchemy.orm import Session

from app.db.base import Base
from app.db.models import AuditEntry, Contact, LeadStageChange
from app.domain.access import Role
from app.domain.organizations import default_retention
from app.scheduler import JOBS
from app.services.privacy import anonymise_expired_contacts
from tests.factories import Factory, csrf_from
from tests.leads.conftest import Pipeline, problem_fields

NAME = "Zebulon Quaxley"
EMAIL = "zebulon.quaxley@example.org"
PHONE = "+358 40 765 4321"
NEW_EMAIL = "z.quaxley@example.net"


def _today() -> date:
    return datetime.now(UTC).date()


def _person(pipeline: Pipeline, **values: Any) -> dict[str, Any]:
    """A contact with history: created, e-mail changed, linked to a lead, an activity
    about them and a lead note mentioning them."""
    org = pipeline.org(name="Quaxley Batteries GmbH", country="DE")
    body = {
        "organization_id": org["id"],
        "full_name": NAME,
        "email": EMAIL,
        "phone": PHONE,
        "role_title": "Head of expansion",
        "lawful_basis": "legitimate_interest",
        "source": "Met at the Battery Days fair",
        "notes": f"Prefers calls; {NAME} travels in May.",
        **values,
    }
    response = pipeline.client.post("/api/v1/contacts", json=body, headers=pipeline.headers)
    assert response.status_code == 201, response.text
    contact = dict(response.json())
    changed = pipeline.client.patch(
        f"/api/v1/contacts/{contact['id']}", json={"email": NEW_EMAIL}, headers=pipeline.headers
    )
    assert changed.status_code == 200, changed.text
    lead = pipeline.lead(
        code_name="Project Quax",
        organization_id=org["id"],
        contact_ids=[contact["id"]],
        capex_eur=45_000_000,
        description=f"Introduced by {NAME} ({NEW_EMAIL}).",
    )
    about = pipeline.client.post(
        f"/api/v1/contacts/{contact['id']}/activities",
        json={"kind": "call", "subject": f"Call with {NAME}", "body": f"Phone {PHONE}"},
        headers=pipeline.headers,
    )
    assert about.status_code == 201, about.text
    note = pipeline.client.post(
        f"/api/v1/leads/{lead['id']}/activities",
        json={"kind": "meeting", "subject": "Site visit in Kajaani", "body": f"With {NAME}."},
        headers=pipeline.headers,
    )
    assert note.status_code == 201, note.text
    return {"contact": contact, "org": org, "lead": lead, "note": note.json()}


def _mention_in_stage_notes_and_shares(pipeline: Pipeline, made: dict[str, Any]) -> dict[str, str]:
    """Stage-change notes, a handoff message and its reply that name the person, on the
    linked lead and on another lead of their organisation that does not link them."""
    lead_id = made["lead"]["id"]
    # Another investment of the same investor: confirmed past the duplicate warning.
    other = pipeline.lead(
        code_name="Project Quax Two", organization_id=made["org"]["id"], confirm_duplicate=True
    )
    for target, note in ((lead_id, f"{NAME} confirmed the budget."), (other["id"], PHONE)):
        moved = pipeline.move(target, to_stage="contacted", note=note)
        assert moved.status_code == 200, moved.text
    shared = pipeline.client.post(
        f"/api/v1/leads/{lead_id}/shares",
        json={"municipality_code": "205", "message": f"Please meet {NAME} ({NEW_EMAIL})."},
        headers=pipeline.headers,
    )
    assert shared.status_code == 201, shared.text
    _, kajaani = pipeline.user(Role.MUNICIPAL_CONTACT, municipality="205")
    replied = pipeline.client.post(
        f"/api/v1/shares/{shared.json()['id']}/response",
        json={"accept": True, "note": f"We will call {NAME} on {PHONE}."},
        headers=kajaani,
    )
    assert replied.status_code == 200, replied.text
    return {"other_lead": other["id"], "share": shared.json()["id"]}


def _rows_mentioning(db: Session, needles: list[str]) -> list[str]:
    """Every text or JSON column of every table searched for the needles."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        conditions = [cast(c, Text).ilike(f"%{needle}%") for c in columns for needle in needles]
        count = db.scalar(select(text("count(*)")).select_from(table).where(or_(*conditions)))
        if count:
            found.append(f"{table.name}: {count}")
    return found


def test_export_holds_everything_about_the_person(pipeline: Pipeline) -> None:
    made = _person(pipeline)
    contact_id = made["contact"]["id"]
    response = pipeline.client.get(
        f"/api/v1/privacy/contacts/{contact_id}/export", headers=pipeline.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="contact-{contact_id}.json"'
    )
    document = json.loads(response.content)
    assert document["contact"]["full_name"] == NAME
    assert document["contact"]["email"] == NEW_EMAIL
    assert document["contact"]["phone"] == PHONE
    assert document["consent"]["lawful_basis"] == "legitimate_interest"
    assert document["consent"]["source"] == "Met at the Battery Days fair"
    assert document["organization"] == {
        "id": made["org"]["id"],
        "name": "Quaxley Batteries GmbH",
    }
    assert document["leads"] == [
        {"id": made["lead"]["id"], "code_name": "Project Quax", "role": None}
    ]
    assert [(a["kind"], a["subject"]) for a in document["activities"]] == [
        ("call", f"Call with {NAME}")
    ]
    assert [e["action"] for e in document["audit"]] == ["create", "update"]
    assert document["audit"][1]["changes"]["email"] == [EMAIL, NEW_EMAIL]


def test_only_the_coordinator_and_admin_handle_personal_data(
    pipeline: Pipeline, factory: Factory
) -> None:
    contact_id = _person(pipeline)["contact"]["id"]
    for role in (Role.MUNICIPAL_CONTACT, Role.FORUM_VIEWER):
        _, headers = factory.api_user(role)
        export = pipeline.client.get(
            f"/api/v1/privacy/contacts/{contact_id}/export", headers=headers
        )
        erase = pipeline.client.post(
            f"/api/v1/privacy/contacts/{contact_id}/erasure",
            json={"reason": "asked"},
            headers=headers,
        )
        assert (export.status_code, erase.status_code) == (403, 403)
    _, admin = factory.api_user(Role.ADMIN)
    assert (
        pipeline.client.get(
            f"/api/v1/privacy/contacts/{contact_id}/export", headers=admin
        ).status_code
        == 200
    )


def test_erasure_removes_the_person_everywhere_and_keeps_the_trail(
    pipeline: Pipeline, db: Session
) -> None:
    made = _person(pipeline)
    contact_id, lead_id = made["contact"]["id"], made["lead"]["id"]
    mentions = _mention_in_stage_notes_and_shares(pipeline, made)
    before = _rows_mentioning(db, [NAME, EMAIL, NEW_EMAIL, PHONE])
    assert {"lead_stage_changes: 2", "lead_shares: 1"} <= set(before)
    entries_before = db.scalar(select(text("count(*)")).select_from(AuditEntry))

    refused = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/erasure",
        json={"reason": "  "},
        headers=pipeline.headers,
    )
    assert problem_fields(refused) == {("reason", "required")}

    response = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/erasure",
        json={"reason": "The person asked on 1 March."},
        headers=pipeline.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["full_name"], body["email"]) == ("[erased]", None)
    assert body["erasure_reason"] == "The person asked on 1 March."
    assert body["erased_at"] is not None

    db.expire_all()
    assert _rows_mentioning(db, [NAME, EMAIL, NEW_EMAIL, PHONE]) == []
    # Every entry stays (plus one for the erasure itself); who did what is still there.
    entries_after = db.scalar(select(text("count(*)")).select_from(AuditEntry))
    assert entries_after > entries_before
    trail = pipeline.client.get(f"/api/v1/audit/contacts/{contact_id}", headers=pipeline.headers)
    actions = [(e["action"], sorted(e["changes"])) for e in trail.json()]
    assert [a for a, _ in actions] == ["create", "update", "update"]
    last = trail.json()[-1]
    assert last["changes"]["full_name"] == ["[erased]", "[erased]"]
    assert last["changes"]["erasure_reason"] == [None, "The person asked on 1 March."]
    assert last["actor_label"] == trail.json()[0]["actor_label"]

    lead = pipeline.client.get(f"/api/v1/leads/{lead_id}", headers=pipeline.headers).json()
    assert lead["capex_eur"] == 45_000_000
    assert lead["description"] == "Introduced by [erased] ([erased])."
    notes = pipeline.client.get(
        f"/api/v1/leads/{lead_id}/activities", headers=pipeline.headers
    ).json()["items"]
    assert [(n["subject"], n["body"]) for n in notes] == [
        ("Site visit in Kajaani", "With [erased].")
    ]
    stage_notes = db.scalars(
        select(LeadStageChange.note)
        .where(LeadStageChange.note.is_not(None))
        .order_by(LeadStageChange.note)
    ).all()
    assert stage_notes == ["[erased]", "[erased] confirmed the budget."]
    share = pipeline.client.get(f"/api/v1/leads/{lead_id}/shares", headers=pipeline.headers).json()[
        0
    ]
    assert (share["id"], share["message"], share["response_note"]) == (
        mentions["share"],
        "Please meet [erased] ([erased]).",
        "We will call [erased] on [erased].",
    )
    share_trail = pipeline.client.get(
        f"/api/v1/audit/lead_shares/{mentions['share']}", headers=pipeline.headers
    ).json()
    assert [e["action"] for e in share_trail][:2] == ["create", "update"]
    assert share_trail[0]["changes"]["message"] == [None, "Please meet [erased] ([erased])."]
    about = pipeline.client.get(
        f"/api/v1/contacts/{contact_id}/activities", headers=pipeline.headers
    ).json()["items"]
    assert [(a["kind"], a["subject"], a["body"]) for a in about] == [("call", "[erased]", None)]

    # Never refused: a second request changes nothing.
    again = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/erasure",
        json={"reason": "Asked again."},
        headers=pipeline.headers,
    )
    assert again.status_code == 200
    assert again.json()["erasure_reason"] == "The person asked on 1 March."


def test_retention_review_list_and_extension(pipeline: Pipeline, db: Session) -> None:
    today = _today()
    soon = _person(pipeline, retention_until=(today + timedelta(days=10)).isoformat())
    later = pipeline.client.post(
        "/api/v1/contacts",
        json={
            "full_name": "Later Person",
            "lawful_basis": "consent",
            "source": "Portal inquiry",
            "consent_text_version": "2026-01",
            "consent_given_at": "2026-01-05T10:00:00Z",
            "retention_until": (today + timedelta(days=31)).isoformat(),
        },
        headers=pipeline.headers,
    )
    assert later.status_code == 201, later.text
    due = pipeline.client.get("/api/v1/privacy/retention-due", headers=pipeline.headers).json()
    assert [c["full_name"] for c in due["items"]] == [NAME]
    assert due["total"] == 1

    contact_id = soon["contact"]["id"]
    no_reason = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/retention",
        json={"reason": ""},
        headers=pipeline.headers,
    )
    assert problem_fields(no_reason) == {("reason", "required")}
    backwards = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/retention",
        json={"reason": "Negotiation continues", "retention_until": today.isoformat()},
        headers=pipeline.headers,
    )
    assert problem_fields(backwards) == {("retention_until", "not_after_today")}
    extended = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/retention",
        json={"reason": "Negotiation continues"},
        headers=pipeline.headers,
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["retention_until"] == default_retention(today).isoformat()
    assert extended.json()["retention_reason"] == "Negotiation continues"
    trail = pipeline.client.get(f"/api/v1/audit/contacts/{contact_id}", headers=pipeline.headers)
    assert trail.json()[-1]["changes"]["retention_reason"] == [None, "Negotiation continues"]
    due = pipeline.client.get("/api/v1/privacy/retention-due", headers=pipeline.headers).json()
    assert due["items"] == []


def test_job_anonymises_expired_contacts_once(pipeline: Pipeline, db: Session) -> None:
    made = _person(pipeline)
    keep = pipeline.client.post(
        "/api/v1/contacts",
        json={"full_name": "Kept Person", "lawful_basis": "public_task", "source": "Register"},
        headers=pipeline.headers,
    ).json()
    contact = db.get(Contact, made["contact"]["id"])
    assert contact is not None
    # The period ended yesterday (set directly: the API refuses a past date).
    db.execute(
        Contact.__table__.update()
        .where(Contact.id == contact.id)
        .values(retention_until=_today() - timedelta(days=1))
    )
    assert "anonymise-expired-contacts" in {job.id for job in JOBS}
    assert anonymise_expired_contacts(db) == 1
    assert anonymise_expired_contacts(db) == 0
    db.expire_all()
    assert _rows_mentioning(db, [NAME, EMAIL, NEW_EMAIL, PHONE]) == []
    erased = db.get(Contact, made["contact"]["id"])
    kept = db.get(Contact, keep["id"])
    assert erased is not None and kept is not None
    assert (erased.full_name, erased.erasure_reason) == ("[erased]", "Retention period ended.")
    assert (kept.full_name, kept.erased_at) == ("Kept Person", None)
    trail = pipeline.client.get(
        f"/api/v1/audit/contacts/{erased.id}", headers=pipeline.headers
    ).json()
    assert trail[-1]["actor_label"] == "system"


def test_staff_pages_export_erase_and_extend(
    pipeline: Pipeline, factory: Factory, db: Session
) -> None:
    made = _person(pipeline, retention_until=(_today() + timedelta(days=5)).isoformat())
    contact_id = made["contact"]["id"]
    client = pipeline.client
    # A Finnish-speaking coordinator: form errors come in Finnish.
    factory.login(client, factory.user(Role.COORDINATOR, language="fi"))
    page = client.get(f"/contacts/{contact_id}")
    assert f'href="/contacts/{contact_id}/export"' in page.text
    download = client.get(f"/contacts/{contact_id}/export")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert json.loads(download.content)["contact"]["full_name"] == NAME

    review = client.get("/privacy/retention")
    assert NAME in review.text
    refused = client.post(
        f"/contacts/{contact_id}/retention",
        data={"csrf_token": csrf_from(review.text), "reason": ""},
    )
    assert refused.status_code == 422
    assert '<p class="error field-error" id="reason-error">Anna syy.</p>' in refused.text
    extended = client.post(
        f"/contacts/{contact_id}/retention",
        data={"csrf_token": csrf_from(review.text), "reason": "Still negotiating"},
        follow_redirects=False,
    )
    assert (extended.status_code, extended.headers["location"]) == (303, "/privacy/retention")

    dialog = client.get(f"/contacts/{contact_id}/erase")
    erased = client.post(
        f"/contacts/{contact_id}/erase",
        data={"csrf_token": csrf_from(dialog.text), "reason": "Asked by e-mail"},
        follow_redirects=False,
    )
    assert (erased.status_code, erased.headers["location"]) == (303, f"/contacts/{contact_id}")
    db.expire_all()
    assert _rows_mentioning(db, [NAME, EMAIL, NEW_EMAIL, PHONE]) == []

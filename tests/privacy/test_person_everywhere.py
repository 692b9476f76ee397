"""A person written down anywhere — events, itineraries, clusters, meetings, mail,
inquiries, activities, leads, the audit log — is in their export and gone after their
erasure.

The places are not listed by hand: every table with a foreign key to contacts comes
from the SQLAlchemy metadata, and every text and JSON column of every table is searched
for the person's planted, unique values, so a table added later cannot be forgotten."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db.base import Base
from app.db.models import (
    AuditEntry,
    Cluster,
    ClusterMeetingAttendee,
    EventItineraryItem,
    EventParticipant,
    LeadContact,
    OutboxEmail,
)
from app.services.clusters import remind_expiring_agreements
from app.services.mail import send_due_emails
from app.settings import Settings
from tests.leads.conftest import Pipeline
from tests.portal.test_inquiry import GOOD, _form, _send
from tests.privacy.test_privacy_api import (
    EMAIL,
    NAME,
    NEW_EMAIL,
    PHONE,
    _mention_in_stage_notes_and_shares,
    _person,
    _rows_mentioning,
    _today,
)

NEEDLES = [NAME, EMAIL, NEW_EMAIL, PHONE]


@pytest.fixture(autouse=True)
def instant_inquiries(settings: Settings) -> Iterator[None]:
    original = settings.portal_inquiry_min_seconds, settings.smtp_host
    settings.portal_inquiry_min_seconds = 0
    settings.smtp_host = None
    yield
    settings.portal_inquiry_min_seconds, settings.smtp_host = original


def _ok(response: Any, code: int = 200) -> dict[str, Any]:
    assert response.status_code == code, response.text
    return dict(response.json()) if response.content else {}


def _event(pipeline: Pipeline, contact_id: str, title: str, days: int) -> dict[str, Any]:
    """A visit with the person as a guest and an itinerary naming them."""
    client, headers = pipeline.client, pipeline.headers
    starts = (_today() + timedelta(days=days)).isoformat() + "T08:00:00+00:00"
    ends = (_today() + timedelta(days=days)).isoformat() + "T16:00:00+00:00"
    event = _ok(
        client.post(
            "/api/v1/events",
            json={
                "kind": "investor_visit",
                "title": title,
                "location": "Kajaani",
                "description": f"Programme for {NAME} and the board.",
                "starts_at": starts,
                "ends_at": ends,
                "host_municipality_codes": ["205"],
            },
            headers=headers,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/events/{event['id']}/itinerary",
            json={
                "starts_at": starts,
                "place": "Renforsin Ranta business park",
                "hosts": f"Mayor; receives {NAME}",
                "description": f"Pick-up, driver calls {PHONE}",
            },
            headers=headers,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/events/{event['id']}/participants",
            json={"contact_id": contact_id},
            headers=headers,
        ),
        201,
    )
    invited = _ok(client.post(f"/api/v1/events/{event['id']}/invite", headers=headers))
    assert invited["sent"] == 1
    return event


def _everywhere(pipeline: Pipeline, db: Session, settings: Settings) -> dict[str, Any]:
    """The person of test_privacy_api, then also in events, clusters, meetings, mail
    (sent and queued, alone and with others, in an .ics), a portal inquiry and an
    activity subject on an unrelated lead."""
    client, headers = pipeline.client, pipeline.headers
    made = _person(pipeline)
    _mention_in_stage_notes_and_shares(pipeline, made)
    contact_id, org_id = made["contact"]["id"], made["org"]["id"]

    # An invitation that has been sent, and one still queued.
    visit = _event(pipeline, contact_id, "Visit of Project Quax", 20)
    assert send_due_emails(db, settings) >= 1
    _ok(
        client.put(
            f"/api/v1/events/{visit['id']}/outcome",
            json={"outcome_notes": f"{NAME} liked the plot; send {NEW_EMAIL} the grid data."},
            headers=headers,
        )
    )
    _event(pipeline, contact_id, "Second visit", 40)

    # A cluster the person leads, a meeting they attended whose minutes name them, and
    # an agreement reminder that goes to them and the coordinator.
    cluster = _ok(
        client.post(
            "/api/v1/clusters",
            json={
                "name": "Battery cluster",
                "industry_codes": ["mining_chemicals"],
                "description": f"Led by {NAME}.",
                "leader_contact_id": contact_id,
            },
            headers=headers,
        ),
        201,
    )
    cluster_id = cluster["id"]
    _ok(
        client.post(
            f"/api/v1/clusters/{cluster_id}/members",
            json={"organization_id": org_id, "role": "leading", "joined_on": "2026-01-01"},
            headers=headers,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/clusters/{cluster_id}/meetings",
            json={
                "held_on": _today().isoformat(),
                "title": "Kick-off",
                "minutes": f"{NAME} presented the plan.",
                "decisions": f"Send the memo to {NEW_EMAIL}.",
                "attendee_contact_ids": [contact_id],
            },
            headers=headers,
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/clusters/{cluster_id}/agreements",
            json={
                "party_organization_id": org_id,
                "title": "Commitment 2026",
                "signed_on": "2026-01-01",
                "valid_until": (_today() + timedelta(days=10)).isoformat(),
            },
            headers=headers,
        ),
        201,
    )
    assert remind_expiring_agreements(db, settings) == 1

    # An activity elsewhere that names the person in its subject.
    other = pipeline.lead(code_name="Project Unrelated")
    _ok(
        client.post(
            f"/api/v1/leads/{other['id']}/activities",
            json={"kind": "note", "subject": f"Ask {NAME} about permits"},
            headers=headers,
        ),
        201,
    )

    # The person sends a portal inquiry with the same e-mail: it joins their record.
    values = {
        **GOOD,
        "full_name": NAME,
        "email": NEW_EMAIL,
        "message": f"Call me on {PHONE} about a plot. Regards, {NAME}",
    }
    sent = _send(client, {**_form(client), **values})
    assert sent.status_code == 303, sent.text
    return made


def _mail_texts(db: Session) -> list[str]:
    """Every outbox text, the base64 attachments decoded."""
    texts = []
    for row in db.scalars(select(OutboxEmail)):
        texts += [row.subject, row.body_text, *row.to_addresses]
        texts += [base64.b64decode(a["data_base64"]).decode() for a in row.attachments]
    return texts


def _contact_link_tables() -> set[str]:
    return {
        fk.parent.table.name
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == "contacts" and table.name != "contacts"
    }


def test_export_covers_every_table_that_holds_the_person(
    pipeline: Pipeline, db: Session, settings: Settings
) -> None:
    made = _everywhere(pipeline, db, settings)
    contact_id = made["contact"]["id"]
    response = pipeline.client.get(
        f"/api/v1/privacy/contacts/{contact_id}/export", headers=pipeline.headers
    )
    assert response.status_code == 200
    document = json.loads(response.content)

    # Every table that points at contacts, found from the metadata, is in the export
    # with the person's rows (this test plants a row in each).
    link_tables = _contact_link_tables()
    assert link_tables >= {
        "activities",
        "cluster_meeting_attendees",
        "clusters",
        "event_participants",
        "lead_contacts",
    }
    assert {t for t, rows in document["linked"].items() if rows} == link_tables
    for table in link_tables:
        assert all(
            r.get("contact_id", r.get("leader_contact_id")) == contact_id
            for r in document["linked"][table]
        ), table

    # Every table whose text names the person (found by searching every text and JSON
    # column for the planted name) is in the export, with the text.
    holding = {entry.split(":")[0] for entry in _rows_mentioning(db, [NAME])}
    assert {
        "events",
        "event_itinerary_items",
        "cluster_meetings",
        "leads",
        "activities",
        "outbox_emails",
        "audit_entries",
        "clusters",
    } <= holding
    for table in holding - {"contacts", "audit_entries"}:
        assert table in document["mentions"], table
        assert NAME in json.dumps(document["mentions"][table], ensure_ascii=False), table
    assert any(NAME in json.dumps(e["changes"]) for e in document["audit_mentions"])

    # The friendly sections.
    assert [e["title"] for e in document["events"]] == ["Visit of Project Quax", "Second visit"]
    assert document["events"][0]["itinerary"][0]["hosts"] == f"Mayor; receives {NAME}"
    assert document["clusters_led"] == [
        {"id": document["linked"]["clusters"][0]["id"], "name": "Battery cluster"}
    ]
    assert [m["minutes"] for m in document["cluster_meetings"]] == [f"{NAME} presented the plan."]
    assert len(document["inquiries"]) == 1
    assert PHONE in document["inquiries"][0]["message"]
    mail = document["mail"]
    statuses = sorted((m["status"], m["subject"].split(":")[0]) for m in mail)
    assert ("sent", "Invitation") in statuses and ("pending", "Invitation") in statuses
    # The reminder to the person in their language (Finnish: none recorded).
    assert any("Klusterin sitoumussopimus päättymässä" in m["subject"] for m in mail)
    # Sent mail also holds the notification of the handoff whose message names them.
    invitation = next(
        m for m in mail if m["status"] == "sent" and m["subject"].startswith("Invitation")
    )
    assert NEW_EMAIL in invitation["to"]
    assert NEW_EMAIL.lower() in invitation["attachments"][0]["text"].lower()


def test_erasure_leaves_the_person_nowhere(
    pipeline: Pipeline, db: Session, settings: Settings
) -> None:
    made = _everywhere(pipeline, db, settings)
    contact_id = made["contact"]["id"]
    before = {entry.split(":")[0] for entry in _rows_mentioning(db, NEEDLES)}
    assert {"outbox_emails", "events", "event_itinerary_items", "cluster_meetings"} <= before
    assert any(NAME in t for t in _mail_texts(db))
    entries_before = db.scalar(select(func.count()).select_from(AuditEntry))
    mail_before = db.scalar(select(func.count()).select_from(OutboxEmail))

    response = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/erasure",
        json={"reason": "The person asked."},
        headers=pipeline.headers,
    )
    assert response.status_code == 200, response.text
    db.expire_all()

    # Not in any text or JSON column of any table, nor inside a mail attachment.
    assert _rows_mentioning(db, NEEDLES) == []
    for needle in NEEDLES:
        assert not any(needle.lower() in t.lower() for t in _mail_texts(db)), needle
    # Mail only to the person went (the invitations sent and queued, the reminder in their
    # language, the confirmation of their portal inquiry); the reminder to the
    # coordinator stays, without the person's address.
    assert db.scalar(select(func.count()).select_from(OutboxEmail)) == mail_before - 4
    reminder = db.scalars(
        select(OutboxEmail).where(OutboxEmail.subject.like("Cluster agreement expiring%"))
    ).one()
    assert reminder.to_addresses == [pipeline.coordinator.email]
    # The trail and the lead links stay, only the values go; the person leaves the
    # guest lists, the attendee list and the cluster's lead.
    assert db.scalar(select(func.count()).select_from(AuditEntry)) >= entries_before
    for model, column in (
        (EventParticipant, EventParticipant.contact_id),
        (ClusterMeetingAttendee, ClusterMeetingAttendee.contact_id),
        (Cluster, Cluster.leader_contact_id),
        (LeadContact, LeadContact.contact_id),
    ):
        count = db.scalar(
            select(func.count()).select_from(model).where(column == uuid.UUID(contact_id))
        )
        assert count == (2 if model is LeadContact else 0), model
    hosts = db.scalars(select(EventItineraryItem.hosts)).all()
    assert sorted(hosts) == ["Mayor; receives [erased]", "Mayor; receives [erased]"]
    shown = pipeline.client.get(f"/api/v1/contacts/{contact_id}", headers=pipeline.headers).json()
    assert shown["full_name"] == "[erased]"
    # What the export shows now holds nothing of the person either.
    export = pipeline.client.get(
        f"/api/v1/privacy/contacts/{contact_id}/export", headers=pipeline.headers
    )
    for needle in NEEDLES:
        assert needle not in export.text
    assert db.scalar(select(text("count(*)")).select_from(AuditEntry)) >= entries_before


def test_a_namesake_keeps_their_identity(pipeline: Pipeline, db: Session) -> None:
    """Another contact with the same name is a different person: the erasure and the
    export leave their own name, address and history alone (mentions in free text,
    which cannot tell the two apart, are erased)."""
    made = _person(pipeline)
    namesake = pipeline.client.post(
        "/api/v1/contacts",
        json={
            "full_name": NAME,
            "email": "the.other.zebulon@example.com",
            "lawful_basis": "legitimate_interest",
            "source": "Trade fair",
        },
        headers=pipeline.headers,
    ).json()
    contact_id = made["contact"]["id"]
    export = pipeline.client.get(
        f"/api/v1/privacy/contacts/{contact_id}/export", headers=pipeline.headers
    )
    assert "the.other.zebulon@example.com" not in export.text
    erased = pipeline.client.post(
        f"/api/v1/privacy/contacts/{contact_id}/erasure",
        json={"reason": "Asked."},
        headers=pipeline.headers,
    )
    assert erased.status_code == 200
    other = pipeline.client.get(f"/api/v1/contacts/{namesake['id']}", headers=pipeline.headers)
    assert (other.json()["full_name"], other.json()["email"]) == (
        NAME,
        "the.other.zebulon@example.com",
    )
    trail = pipeline.client.get(
        f"/api/v1/audit/contacts/{namesake['id']}", headers=pipeline.headers
    ).json()
    assert trail[0]["changes"]["full_name"] == [None, NAME]
    db.expire_all()
    assert {e.split(":")[0] for e in _rows_mentioning(db, NEEDLES)} <= {"contacts", "audit_entries"}


def test_every_table_is_within_reach_of_export_and_erasure() -> None:
    """The search and the sweep work through the mapped classes and skip only the
    declared exceptions: a new table outside the ORM, or a new exception, fails here."""
    from app.services import privacy

    mapped = privacy._mapped_classes()
    assert {t.name for t in Base.metadata.sorted_tables} <= set(mapped)
    assert set(privacy.SWEEP_EXEMPT) == {"audit_entries", "report_snapshots", "users"}
    assert {"contacts": frozenset({"full_name", "email", "phone"})} == privacy.NOT_MENTIONS
    assert {c.table.name for c in privacy.contact_link_columns()} == _contact_link_tables()

"""A visit end to end: plan → invite (e-mail with .ics queued) → confirm → held →
outcome and follow-up tasks on the lead's timeline."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import OutboxEmail
from app.domain.access import Role
from tests.events.conftest import Events, parse_ics, problem_fields, vevents


def test_visit_end_to_end(ev: Events, db: Session) -> None:
    contact = ev.contact()
    lead = ev.lead(contact_ids=[contact["id"]])
    kajaani = ev.factory.user(Role.MUNICIPAL_CONTACT, municipality="205")
    # Started an hour ago, so it can be marked held today.
    event = ev.event(
        starts_at=ev.now - timedelta(hours=1),
        ends_at=ev.now + timedelta(hours=6),
        lead_ids=[lead["id"]],
    )
    assert (event["status"], event["sequence"], event["confidential"]) == ("planned", 0, True)
    assert event["host_municipality_codes"] == ["205", "765"]
    assert [item["id"] for item in event["leads"]] == [lead["id"]]
    url = f"/api/v1/events/{event['id']}"

    guest = ev.post(f"{url}/participants", {"contact_id": contact["id"]})
    assert guest.status_code == 201, guest.text
    assert (guest.json()["name"], guest.json()["invitation"], guest.json()["rsvp"]) == (
        "Li Wei",
        "not_sent",
        "pending",
    )
    host = ev.post(f"{url}/participants", {"user_id": str(kajaani.id), "role": "host"})
    assert host.status_code == 201, host.text

    invited = ev.post(f"{url}/invite")
    assert invited.status_code == 200, invited.text
    assert invited.json() == {"sent": 2, "without_email": [], "status": "invited"}
    mails = list(
        db.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.reference.like(f"event:{event['id']}:%"))
            .order_by(OutboxEmail.to_addresses)
        )
    )
    assert sorted(m.to_addresses[0] for m in mails) == sorted(["li.wei@example.cn", kajaani.email])
    guest_mail = next(m for m in mails if m.to_addresses == ["li.wei@example.cn"])
    assert guest_mail.subject == "Invitation: Visit of Project Falcon"
    [attachment] = guest_mail.attachments
    assert attachment["filename"] == "invite.ics"
    assert attachment["content_type"] == "text/calendar; method=REQUEST"
    calendar = parse_ics(base64.b64decode(attachment["data_base64"]))
    assert str(calendar["METHOD"]) == "REQUEST"
    [entry] = vevents(calendar)
    assert str(entry["UID"]) == f"event-{event['id']}@invest-kainuu"
    assert str(entry["ATTENDEE"]) == "mailto:li.wei@example.cn"
    assert entry["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert entry.decoded("DTSTART") == ev.now - timedelta(hours=1)
    # UTC on the wire ("…Z"), so every calendar agrees on the moment.
    assert (
        entry["DTSTART"].to_ical()
        == (ev.now - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ").encode()
    )

    # Inviting again sends nothing: everyone's invitation is current.
    assert ev.post(f"{url}/invite").json()["sent"] == 0

    rsvp = ev.client.patch(
        f"{url}/participants/{guest.json()['id']}", json={"rsvp": "accepted"}, headers=ev.headers
    )
    assert (rsvp.status_code, rsvp.json()["rsvp"]) == (200, "accepted")

    held_too_early = ev.post(f"{url}/status", {"status": "held"})
    assert problem_fields(held_too_early) == {("status", "not_allowed")}
    confirmed = ev.post(f"{url}/status", {"status": "confirmed"})
    assert (confirmed.json()["status"], confirmed.json()["sequence"]) == ("confirmed", 1)
    held = ev.post(f"{url}/status", {"status": "held"})
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "held"
    assert held.json()["allowed_statuses"] == []

    outcome = ev.client.put(
        f"{url}/outcome",
        json={"outcome_notes": "The investor wants a second look at Renforsin Ranta."},
        headers=ev.headers,
    )
    assert outcome.json()["outcome_notes"] == "The investor wants a second look at Renforsin Ranta."
    due = (ev.now + timedelta(days=7)).date().isoformat()
    task = ev.post(
        f"{url}/follow-ups",
        {"lead_id": lead["id"], "subject": "Send the grid-connection offer", "due_on": due},
    )
    assert task.status_code == 201, task.text
    assert (task.json()["kind"], task.json()["origin_type"], task.json()["origin_id"]) == (
        "task",
        "event",
        event["id"],
    )
    assert task.json()["assignee_id"] == str(ev.coordinator.id)

    timeline = ev.client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=ev.headers).json()
    from_event = [
        (i["summary"], i["details"]["activity_kind"], i["details"]["due_on"])
        for i in timeline
        if i["kind"] == "activity" and i["details"]["origin_id"] == event["id"]
    ]
    assert sorted(from_event) == [
        ("Send the grid-connection offer", "task", due),
        ("Visit of Project Falcon", "meeting", None),
    ]
    detail = ev.client.get(url, headers=ev.headers).json()
    assert [f["subject"] for f in detail["follow_ups"]] == ["Send the grid-connection offer"]
    assert detail["participants"][0]["invitation"] == "sent"


def test_follow_up_only_on_the_events_leads(ev: Events) -> None:
    event = ev.event()
    other = ev.lead()
    response = ev.post(
        f"/api/v1/events/{event['id']}/follow-ups",
        {"lead_id": other["id"], "subject": "x", "due_on": "2030-01-01"},
    )
    assert problem_fields(response) == {("lead_id", "unknown")}


def test_cancelling_an_invited_event_sends_a_cancellation(ev: Events, db: Session) -> None:
    contact = ev.contact(email="guest@example.de", org_name="Gast GmbH")
    event = ev.event()
    url = f"/api/v1/events/{event['id']}"
    ev.post(f"{url}/participants", {"contact_id": contact["id"]})
    ev.post(f"{url}/invite")
    cancelled = ev.post(f"{url}/status", {"status": "cancelled"})
    assert (cancelled.json()["status"], cancelled.json()["sequence"]) == ("cancelled", 1)
    mail = db.scalar(
        select(OutboxEmail).where(
            OutboxEmail.reference == f"event:{event['id']}:"
            f"{cancelled.json()['participants'][0]['id']}:1"
        )
    )
    assert mail is not None
    assert mail.subject == "Cancelled: Visit of Project Falcon"
    calendar = parse_ics(base64.b64decode(mail.attachments[0]["data_base64"]))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(vevents(calendar)[0]["STATUS"]) == "CANCELLED"
    assert vevents(calendar)[0]["SEQUENCE"] == 1
    assert problem_fields(ev.post(f"{url}/status", {"status": "held"})) == {
        ("status", "not_allowed")
    }
    assert ev.post(f"{url}/invite").status_code == 409


def test_invalid_event_reports_every_field(ev: Events) -> None:
    response = ev.post(
        "/api/v1/events",
        {
            "kind": "investor_visit",
            "title": "x",
            "starts_at": "2030-05-02T10:00:00+03:00",
            "ends_at": "2030-05-02T09:00:00+03:00",
            "host_municipality_codes": ["999"],
        },
    )
    assert problem_fields(response) == {
        ("ends_at", "before_start"),
        ("host_municipality_codes", "unknown"),
    }
    naive = ev.post(
        "/api/v1/events",
        {
            "kind": "investor_visit",
            "title": "x",
            "starts_at": "2030-05-02T10:00:00",
            "ends_at": "2030-05-02T12:00:00+03:00",
        },
    )
    assert problem_fields(naive) == {("starts_at", "naive_datetime")}

"""Intake as its users meet it: the coordinator's screening rules (HTTP API and staff
page), screening of a portal inquiry and of a hand-entered lead, the working-day clock
across Finnish holidays and weekends, escalation, the first answer, the investor's
acknowledgement in Finnish and English, and the response-time report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadIntake, Notification, OutboxEmail, User
from app.domain.access import Role
from app.domain.intake import HELSINKI, deadline
from app.domain.organizations import COUNTRY_CODES
from app.domain.portal import clean_inquiry
from app.services import intake, portal
from app.settings import Settings
from tests.factories import Factory
from tests.portal.test_inquiry import GOOD, _form, _send


def _named(factory: Factory, role: Role, name: str, **kwargs: Any) -> User:
    user = factory.user(role, **kwargs)
    user.full_name = name
    factory.db.flush()
    return user


def _rule(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/screening-rules", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _inquiry(db: Session, settings: Settings, at: datetime, **values: str) -> Lead:
    """A portal inquiry that arrived at `at` (the service the form posts to)."""
    inquiry = clean_inquiry({**GOOD, "email": "anna@nordic.example", **values}, COUNTRY_CODES, "en")
    return portal.submit_inquiry(db, settings, inquiry, now=at)


def _clock(client: TestClient, headers: dict[str, str], lead_id: object) -> dict[str, Any]:
    response = client.get(f"/api/v1/leads/{lead_id}/intake", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_only_the_regional_team_edits_the_rules(client: TestClient, factory: Factory) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    owner = _named(factory, Role.COORDINATOR, "Olli Owner")
    rule = _rule(
        client,
        headers,
        name="Big data centres",
        capex_min_eur=50_000_000,
        priority="high",
        owner_id=str(owner.id),
        owner_action="assign",
    )
    for role in (Role.MUNICIPAL_CONTACT, Role.PARTNER, Role.FORUM_VIEWER):
        user, other = factory.api_user(role)
        assert (
            client.post("/api/v1/screening-rules", json={"name": "x"}, headers=other).status_code
            == 403
        )
        patched = client.patch(
            f"/api/v1/screening-rules/{rule['id']}", json={"name": "y"}, headers=other
        )
        assert patched.status_code == 403
        assert client.get("/api/v1/screening-rules", headers=other).status_code == 403
        factory.login(client, user)
        assert client.get("/intake/rules").status_code == 403
        client.cookies.clear()
    listed = client.get("/api/v1/screening-rules", headers=headers).json()
    assert [r["name"] for r in listed] == ["Big data centres"]
    bad = client.post(
        "/api/v1/screening-rules",
        json={"name": "Band", "capex_min_eur": 10, "capex_max_eur": 5, "countries": ["XX"]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"capex_max_eur", "countries"}


def test_the_coordinator_edits_rules_on_the_staff_page(
    client: TestClient, db: Session, factory: Factory
) -> None:
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    page = client.get("/intake/rules")
    assert page.status_code == 200
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    sent = client.post(
        "/intake/rules",
        data={
            "csrf_token": token,
            "name": "Mining in Sotkamo",
            "municipality_codes": "765",
            "priority": "high",
            "owner_action": "suggest",
            "active": "1",
            "position": "1",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = client.get("/intake/rules")
    assert "Mining in Sotkamo" in page.text and "Sotkamo" in page.text
    refused = client.post(
        "/intake/rules",
        data={"csrf_token": token, "name": "", "capex_min_eur": "9", "capex_max_eur": "1"},
    )
    assert refused.status_code == 422
    assert "Name the rule." in refused.text
    assert "The upper end of the band is below the lower end." in refused.text


def test_a_portal_inquiry_is_screened_and_acknowledged_in_english(
    client: TestClient, db: Session, factory: Factory
) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    owner = _named(factory, Role.COORDINATOR, "Olli Owner")
    _rule(client, headers, name="Small ones", position=1, capex_max_eur=1_000_000, priority="low")
    _rule(
        client,
        headers,
        name="Nordic data centres",
        position=2,
        countries=["SE", "NO"],
        capex_min_eur=100_000_000,
        priority="high",
        owner_id=str(owner.id),
        owner_action="assign",
    )
    sent = _send(client, {**_form(client), **GOOD})
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None and lead.priority == "high" and lead.owner_id == owner.id
    shown = _clock(client, headers, lead.id)
    assert shown["rule_name"] == "Nordic data centres"
    assert shown["working_days"] == 1 and shown["clock"]["state"] in ("running", "due_today")
    mail = db.scalar(
        select(OutboxEmail).where(OutboxEmail.reference == f"inquiry-confirmation:{lead.id}")
    )
    assert mail is not None
    assert f"Your reference: {shown['reference']}" in mail.body_text
    assert "Who answers: Olli Owner, Invest in Kainuu." in mail.body_text
    due = date.fromisoformat(shown["clock"]["due_day"])
    assert f"by {due.strftime('%A')}, " in mail.body_text
    for code in (lead.code_name, "portal_inquiry", "high"):
        assert code not in mail.body_text
    factory.login(client, owner)
    page = client.get(f"/leads/{lead.id}")
    assert "Rule “Nordic data centres” matched" in page.text
    assert "priority set to High" in page.text


def test_the_acknowledgement_is_in_finnish_and_names_the_team(
    client: TestClient, db: Session
) -> None:
    sent = _send(client, {**_form(client, "fi"), **GOOD}, "fi")
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    row = db.get(LeadIntake, lead.id)
    assert row is not None and row.rule_name is None
    mail = db.scalar(
        select(OutboxEmail).where(OutboxEmail.reference == f"inquiry-confirmation:{lead.id}")
    )
    assert mail is not None
    assert f"Viitteenne: {row.reference}" in mail.body_text
    assert "Vastaajana on alueellinen tiimi (Invest in Kainuu)." in mail.body_text
    assert "Saatte vastauksen sähköpostitse viimeistään" in mail.body_text


def test_a_hand_entered_lead_is_screened_with_an_owner_suggestion(
    client: TestClient, factory: Factory
) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    sotkamo = _named(factory, Role.MUNICIPAL_CONTACT, "Saara S", municipality="765")
    _rule(
        client,
        headers,
        name="Mining",
        industry_codes=["mining_chemicals"],
        industrial_only=True,
        priority="high",
        owner_id=str(sotkamo.id),
        owner_action="suggest",
    )
    created = client.post(
        "/api/v1/leads",
        json={
            "title": "Nickel refinery",
            "investment_type": "greenfield_fdi",
            "source": "partner",
            "industry_code": "mining_chemicals",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["priority"] == "high"
    shown = _clock(client, headers, created.json()["id"])
    assert shown["rule_name"] == "Mining"
    assert shown["suggested_owner_id"] == str(sotkamo.id)
    # Own prospecting: screened, but nobody waits for an answer.
    own = client.post(
        "/api/v1/leads",
        json={"title": "Prospect", "investment_type": "expansion", "source": "own_prospecting"},
        headers=headers,
    ).json()
    assert _clock(client, headers, own["id"])["clock"] is None


@pytest.mark.parametrize(
    ("received", "days", "due_day"),
    [
        # Thursday 5 Dec 2024; Friday 6 Dec is Independence Day, then a weekend.
        (datetime(2024, 12, 5, 9, 0, tzinfo=HELSINKI), 2, date(2024, 12, 10)),
        # Monday 23 Dec 2024: Christmas Eve, Christmas Day, St Stephen's Day, a weekend.
        (datetime(2024, 12, 23, 15, 0, tzinfo=HELSINKI), 2, date(2024, 12, 30)),
        # Saturday: the count starts from Monday.
        (datetime(2025, 3, 8, 12, 0, tzinfo=HELSINKI), 1, date(2025, 3, 10)),
        # Late on Friday evening in Helsinki is still Friday (21:30 UTC is 23:30).
        (datetime(2025, 3, 7, 21, 30, tzinfo=UTC), 1, date(2025, 3, 10)),
    ],
)
def test_the_clock_counts_finnish_working_days(
    client: TestClient,
    db: Session,
    factory: Factory,
    settings: Settings,
    received: datetime,
    days: int,
    due_day: date,
) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    assert (
        client.put(
            "/api/v1/response-commitments",
            json={"low": 5, "normal": days, "high": 1},
            headers=headers,
        ).status_code
        == 200
    )
    lead = _inquiry(db, settings, received, capex_eur="")
    shown = _clock(client, headers, lead.id)
    assert shown["clock"]["due_day"] == due_day.isoformat()
    expected = datetime.combine(due_day + timedelta(days=1), datetime.min.time(), HELSINKI)
    assert datetime.fromisoformat(shown["response_due_at"]) == expected
    assert deadline(received, days).due_day == due_day


def test_escalation_tells_the_coordinators_once_before_and_once_after(
    client: TestClient, db: Session, factory: Factory, settings: Settings
) -> None:
    coordinator, headers = factory.api_user(Role.COORDINATOR)
    lead = _inquiry(db, settings, datetime(2024, 12, 5, 9, 0, tzinfo=HELSINKI))
    row = db.get(LeadIntake, lead.id)
    assert row is not None and row.warn_at is not None and row.response_due_at is not None

    def kinds() -> list[str]:
        return sorted(
            db.scalars(
                select(Notification.kind).where(
                    Notification.lead_id == lead.id,
                    Notification.recipient_id == coordinator.id,
                    Notification.kind.like("response_%"),
                )
            )
        )

    assert intake.escalate(db, settings, now=row.warn_at - timedelta(minutes=1)) == 0
    assert intake.escalate(db, settings, now=row.warn_at + timedelta(hours=1)) == 1
    assert intake.escalate(db, settings, now=row.warn_at + timedelta(hours=2)) == 0
    assert kinds() == ["response_due_soon"]
    assert intake.escalate(db, settings, now=row.response_due_at + timedelta(hours=1)) == 1
    assert intake.escalate(db, settings, now=row.response_due_at + timedelta(days=3)) == 0
    assert kinds() == ["response_due_soon", "response_overdue"]
    listed = client.get("/api/v1/notifications", headers=headers).json()["items"]
    texts = " ".join(n["text"] for n in listed)
    assert f"The answer to lead {lead.code_name} is overdue" in texts


def test_the_first_answer_stops_the_clock(
    client: TestClient, db: Session, factory: Factory, settings: Settings
) -> None:
    coordinator, headers = factory.api_user(Role.COORDINATOR)
    called = _inquiry(db, settings, datetime.now(UTC) - timedelta(hours=3))
    marked = _inquiry(db, settings, datetime.now(UTC) - timedelta(hours=2), email="b@x.example")
    queue = client.get("/api/v1/intake/queue", headers=headers).json()
    assert {q["lead_id"] for q in queue} == {str(called.id), str(marked.id)}
    note = client.post(
        f"/api/v1/leads/{called.id}/activities",
        json={"kind": "note", "subject": "Read it"},
        headers=headers,
    )
    assert note.status_code == 201
    assert _clock(client, headers, called.id)["first_response_at"] is None
    call = client.post(
        f"/api/v1/leads/{called.id}/activities",
        json={"kind": "call", "subject": "Called Anna"},
        headers=headers,
    )
    assert call.status_code == 201
    shown = _clock(client, headers, called.id)
    assert shown["first_response_kind"] == "call" and shown["clock"]["state"] == "answered"
    assert client.post(f"/api/v1/leads/{marked.id}/responded", headers=headers).status_code == 200
    again = client.post(f"/api/v1/leads/{marked.id}/responded", headers=headers)
    assert again.status_code == 409
    assert client.get("/api/v1/intake/queue", headers=headers).json() == []
    assert intake.escalate(db, settings, now=datetime.now(UTC) + timedelta(days=30)) == 0
    factory.login(client, coordinator)
    page = client.get(f"/leads/{called.id}")
    assert "Answered on time" in page.text and "a call" in page.text


def test_the_report_shows_deadlines_met_and_the_median(
    client: TestClient, db: Session, factory: Factory, settings: Settings
) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    monday = datetime(2025, 3, 3, 9, 0, tzinfo=HELSINKI)  # normal: due by end of Wednesday
    on_time = _inquiry(db, settings, monday, email="a@x.example")
    late = _inquiry(db, settings, monday, email="b@x.example")
    _missed = _inquiry(db, settings, monday, email="c@x.example")
    for lead, hours in ((on_time, 2), (late, 80)):
        intake.record_response(
            db, lead.id, by=None, kind="email", at=monday + timedelta(hours=hours)
        )
    db.commit()
    query = {"start": "2025-03-01", "end": "2025-03-31"}
    english = {**headers, "Accept-Language": "en"}
    report = client.get("/api/v1/reports/response-times", params=query, headers=english).json()
    total = report["total"]
    assert (total["received"], total["met"], total["late"], total["missed"]) == (3, 1, 1, 1)
    assert total["met_percent"] == "33.3" and total["median_hours"] == "41.0"
    assert [row["label"] for row in report["by_municipality"]] == ["Not set"]
    forum, forum_headers = factory.api_user(Role.FORUM_VIEWER)
    seen = client.get("/api/v1/reports/response-times", params=query, headers=forum_headers)
    assert seen.status_code == 200 and "Nordic" not in seen.text
    factory.login(client, forum)
    page = client.get("/reports/response-times", params=query)
    assert page.status_code == 200 and "33.3" in page.text and "Nordic" not in page.text
    _user, municipal = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert client.get("/api/v1/reports/response-times", headers=municipal).status_code == 403
    bad = client.get(
        "/api/v1/reports/response-times",
        params={"start": "2025-03-31", "end": "2025-03-01"},
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end"

"""Counts for reports: visits per municipality and per quarter, leads that had a visit
against the landing rate, and the visits table of the pipeline report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db.models import Event
from app.domain.access import Role
from tests.events.conftest import Events


def _held(
    ev: Events, db: Session, starts: datetime, hosts: list[str], **values: Any
) -> dict[str, Any]:
    event = ev.event(starts_at=starts, host_municipality_codes=hosts, **values)
    db.execute(update(Event).where(Event.id == event["id"]).values(status="held"))
    return event


def test_visit_counts(ev: Events, db: Session) -> None:
    year = datetime.now(UTC).year - 1
    landed = ev.factory.lead(owner=ev.coordinator, stage="landed", capex_eur=1)
    open_lead = ev.factory.lead(owner=ev.coordinator, stage="qualified")
    ev.factory.lead(owner=ev.coordinator, stage="landed")  # landed without a visit
    ev.factory.lead(owner=ev.coordinator, stage="lost", lost_reason_code=None)
    ev.factory.lead(owner=ev.coordinator, stage="contacted")
    # Q1 (Finnish time: 31 March 23:30 UTC is already 1 April in Finland → Q2).
    _held(ev, db, datetime(year, 2, 10, 8, tzinfo=UTC), ["205", "765"], lead_ids=[str(landed.id)])
    _held(ev, db, datetime(year, 3, 31, 23, 30, tzinfo=UTC), ["205"], lead_ids=[str(open_lead.id)])
    _held(ev, db, datetime(year, 11, 3, 8, tzinfo=UTC), ["290"], kind="delegation")
    # Not visits: a fair meeting, a planned visit and a visit in another year.
    _held(ev, db, datetime(year, 5, 3, 8, tzinfo=UTC), ["205"], kind="fair_meeting")
    ev.event(starts_at=datetime(year, 6, 3, 8, tzinfo=UTC), host_municipality_codes=["205"])
    _held(ev, db, datetime(year + 1, 1, 3, 8, tzinfo=UTC), ["205"])

    report = ev.client.get("/api/v1/events/report", params={"year": year}, headers=ev.headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["by_municipality"] == [
        {"municipality_code": "205", "visits": 2},
        {"municipality_code": "290", "visits": 1},
        {"municipality_code": "765", "visits": 1},
    ]
    assert [(q["quarter"], q["visits"]) for q in body["by_quarter"]] == [
        (1, 1),
        (2, 1),
        (3, 0),
        (4, 1),
    ]
    # Leads with a held visit (any year): landed 1 of 2; without: landed 1 of 3.
    assert body["landing"] == [
        {"had_visit": True, "leads": 2, "landed": 1, "landing_percent": "50.0"},
        {"had_visit": False, "leads": 3, "landed": 1, "landing_percent": "33.3"},
    ]
    _, kajaani = ev.user(Role.MUNICIPAL_CONTACT, municipality="205")
    assert ev.client.get("/api/v1/events/report", headers=kajaani).status_code == 403


def test_pipeline_report_lists_visits_hosted_per_municipality(ev: Events, db: Session) -> None:
    now = datetime.now(UTC)
    start_of_year = datetime(now.year, 1, 1, 12, tzinfo=UTC)
    moment = max(start_of_year, now - timedelta(days=1))
    _held(ev, db, moment, ["765", "205"])
    _held(ev, db, moment, ["765"], kind="familiarisation_trip")
    _, forum = ev.user(Role.FORUM_VIEWER)
    report = ev.client.get(
        "/api/v1/reports/pipeline", params={"as_of": now.date().isoformat()}, headers=forum
    )
    assert report.status_code == 200, report.text
    assert report.json()["visits_by_municipality"] == [
        {"key": "765", "leads": 2, "capex_eur": 0},
        {"key": "205", "leads": 1, "capex_eur": 0},
    ]

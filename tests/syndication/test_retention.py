"""Retention: old finished deliveries, their attempts and events are deleted nightly;
pending work and the latest delivery of each site to each target stay."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Interval, func, literal, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import SyndicationAttempt, SyndicationDelivery, SyndicationEvent
from app.scheduler import JOBS
from app.services.syndication import deliver_due, purge_old_deliveries
from app.settings import Settings
from tests.syndication.conftest import Answer, People, Receiver, add_webhook, publish_site


def _counts(db: Session) -> tuple[int, int, int]:
    return (
        db.scalar(select(func.count()).select_from(SyndicationEvent)) or 0,
        db.scalar(select(func.count()).select_from(SyndicationDelivery)) or 0,
        db.scalar(select(func.count()).select_from(SyndicationAttempt)) or 0,
    )


def _age_everything(db: Session, days: int) -> None:
    back = literal(timedelta(days=days), Interval())
    db.execute(
        update(SyndicationDelivery).values(
            created_at=SyndicationDelivery.created_at - back,
            next_attempt_at=SyndicationDelivery.next_attempt_at - back,
        )
    )
    db.execute(update(SyndicationEvent).values(occurred_at=SyndicationEvent.occurred_at - back))
    db.execute(update(SyndicationAttempt).values(started_at=SyndicationAttempt.started_at - back))
    db.commit()


def _history(
    client: TestClient, db: Session, people: People, receiver: Receiver, settings: Settings
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Site A: three delivered events (the first after one retry); a delivered ping;
    site B: one delivered event and one still pending."""
    target = add_webhook(client, people.contact, receiver.url)
    first = publish_site(client, people)
    receiver.script = [Answer(500)]
    sent = [deliver_due(db, settings, now=utcnow() + timedelta(minutes=m * 10)) for m in range(2)]
    for n in (1, 2):
        client.patch(
            f"/api/v1/sites/{first['id']}",
            json={"name_fi": f"Nimi {n}"},
            headers=people.coordinator,
        )
        sent.append(deliver_due(db, settings, now=utcnow() + timedelta(minutes=30)))
    assert sum(sent) == 4
    test = client.post(f"/api/v1/syndication/targets/{target['id']}/test", headers=people.contact)
    assert test.status_code == 202
    second = publish_site(client, people, name_fi="Toinen tontti")
    assert deliver_due(db, settings) == 2
    client.patch(
        f"/api/v1/sites/{second['id']}", json={"name_fi": "Uusi nimi"}, headers=people.coordinator
    )
    return target, first, second


def test_old_finished_deliveries_go_and_pending_and_latest_stay(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target, first, second = _history(client, db, people, receiver, worker_settings)
    assert _counts(db) == (6, 6, 6)
    _age_everything(db, 91)

    assert purge_old_deliveries(db, worker_settings) == {
        "attempts": 5,
        "deliveries": 4,
        "events": 4,
    }
    assert _counts(db) == (2, 2, 1)
    listed = client.get(
        "/api/v1/syndication/deliveries",
        params={"target_id": target["id"]},
        headers=people.contact,
    )
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 2
    assert sorted((d["site_id"], d["status"]) for d in body["items"]) == sorted(
        [(first["id"], "succeeded"), (second["id"], "pending")]
    )
    kept = db.scalars(select(SyndicationEvent.data["name"]["fi"].as_string())).all()
    assert sorted(kept) == ["Nimi 2", "Uusi nimi"]

    # Again: nothing more goes, and the pending delivery still goes out.
    assert purge_old_deliveries(db, worker_settings) == {
        "attempts": 0,
        "deliveries": 0,
        "events": 0,
    }
    assert deliver_due(db, worker_settings) == 1
    assert receiver.requests[-1].json()["data"]["name"]["fi"] == "Uusi nimi"


def test_nothing_younger_than_the_retention_is_deleted(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    _history(client, db, people, receiver, worker_settings)
    _age_everything(db, 89)
    assert purge_old_deliveries(db, worker_settings) == {
        "attempts": 0,
        "deliveries": 0,
        "events": 0,
    }
    assert _counts(db) == (6, 6, 6)
    shorter = worker_settings.model_copy(update={"syndication_retention_days": 30})
    assert purge_old_deliveries(db, shorter)["deliveries"] == 4


def test_the_retention_job_is_scheduled() -> None:
    job = next(j for j in JOBS if j.id == "purge-syndication-deliveries")
    assert job.run is purge_old_deliveries
    assert job.trigger == {"trigger": "cron", "hour": 3, "minute": 45}

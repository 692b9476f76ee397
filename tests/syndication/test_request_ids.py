"""A delivery carries the request id of the change that caused it to the receiver, and
its attempts record the id they sent."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import SyndicationAttempt, SyndicationDelivery
from app.services.syndication import deliver_due
from app.settings import Settings
from tests.syndication.conftest import People, Receiver, add_webhook, publish_site


def test_the_receiver_gets_the_request_id_of_the_change(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    client.headers["X-Request-ID"] = "publish-7f3a"
    publish_site(client, people)
    del client.headers["X-Request-ID"]
    assert deliver_due(db, worker_settings) == 1
    [request] = receiver.requests
    assert request.headers["x-request-id"] == "publish-7f3a"
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    [attempt] = db.scalars(select(SyndicationAttempt)).all()
    assert delivery.request_id == attempt.request_id == "publish-7f3a"


def test_a_redelivery_goes_out_under_the_request_that_asked_for_it(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    deliver_due(db, worker_settings)
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    again = client.post(
        f"/api/v1/syndication/deliveries/{delivery.id}/redeliver",
        headers={**people.contact, "X-Request-ID": "redeliver-1"},
    )
    assert again.status_code == 200, again.text
    deliver_due(db, worker_settings)
    first, second = receiver.requests
    assert first.headers["x-request-id"] != "redeliver-1"
    assert second.headers["x-request-id"] == "redeliver-1"
    assert first.headers["webhook-id"] == second.headers["webhook-id"]

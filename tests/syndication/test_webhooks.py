"""Webhook push against a real local receiver: the outbox, signatures, retries,
410, Retry-After, order per site, leases and permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.db.base import utcnow
from app.db.models import OutboxEmail, SyndicationDelivery, SyndicationEvent, SyndicationTarget
from app.domain.access import Role
from app.domain.errors import ValidationFailed
from app.services.syndication import claim_due, deliver_due, lease_duration
from app.settings import Settings
from tests.factories import Factory
from tests.syndication.conftest import (
    Answer,
    People,
    Receiver,
    add_webhook,
    publish_site,
)


def _events(db: Session) -> list[tuple[str, str | None]]:
    rows = db.execute(
        select(SyndicationEvent.type, SyndicationEvent.data["name"]["fi"].as_string()).order_by(
            SyndicationEvent.id
        )
    )
    return [(t, n) for t, n in rows]


def _later(seconds: float) -> object:
    return utcnow() + timedelta(seconds=seconds)


def test_publish_change_and_withdraw_write_events_with_the_change(
    client: TestClient, db: Session, people: People, receiver: Receiver
) -> None:
    add_webhook(client, people.contact, receiver.url)
    site = publish_site(client, people)
    url = f"/api/v1/sites/{site['id']}"
    refused = client.patch(
        url, json={"latitude": 60.17, "longitude": 24.9}, headers=people.coordinator
    )
    assert refused.status_code == 422  # rolled back: no event either
    client.patch(url, json={"name_fi": "Uusi nimi"}, headers=people.coordinator)
    client.patch(url, json={"name_fi": "Uusi nimi"}, headers=people.coordinator)  # no change
    client.post(f"{url}/withdraw", headers=people.contact)
    assert _events(db) == [
        ("site.published", "Renforsin rannan tontti"),
        ("site.updated", "Uusi nimi"),
        ("site.withdrawn", None),
    ]
    # Only the newest state goes out: the two unsent deliveries before it are superseded.
    deliveries = db.execute(
        select(SyndicationDelivery.event_type, SyndicationDelivery.status).order_by(
            SyndicationDelivery.event_id
        )
    ).all()
    assert [tuple(d) for d in deliveries] == [
        ("site.published", "superseded"),
        ("site.updated", "superseded"),
        ("site.withdrawn", "pending"),
    ]


def test_signed_payload_verifies_with_standard_webhooks(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    site = publish_site(client, people)
    assert deliver_due(db, worker_settings) == 1
    [request] = receiver.requests
    payload = Webhook(target["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "site.published"
    data = payload["data"]
    base = worker_settings.base_url
    assert data["url"] == {
        "fi": f"{base}/fi/sites/{site['slug']}",
        "sv": f"{base}/sv/sites/{site['slug']}",
        "en": f"{base}/en/sites/{site['slug']}",
    }
    assert data["name"] == {"fi": "Renforsin rannan tontti", "en": "Renforsin ranta plot"}
    assert data["geojson"]["geometry"] == {"type": "Point", "coordinates": [27.7, 64.2]}
    assert data["industries"][0]["code"] == "metal_machinery"
    assert (data["facts"]["area_ha"], data["municipality"]["code"]) == (4.5, "205")
    assert request.headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)


def test_500_then_timeout_then_success_is_one_delivery_with_three_attempts(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    receiver.script = [Answer(500, "boom"), Answer(200, delay=1.5)]
    assert deliver_due(db, worker_settings) == 1
    assert deliver_due(db, worker_settings) == 0  # backoff: not due yet
    assert deliver_due(db, worker_settings, now=_later(6)) == 1  # the timeout
    assert deliver_due(db, worker_settings, now=_later(6)) == 0
    assert deliver_due(db, worker_settings, now=_later(6 * 60)) == 1
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 3)
    detail = client.get(f"/api/v1/syndication/deliveries/{delivery.id}", headers=people.contact)
    attempts = detail.json()["attempts"]
    assert [(a["number"], a["status_code"], a["success"]) for a in attempts] == [
        (1, 500, False),
        (2, None, False),
        (3, 200, True),
    ]
    assert attempts[0]["response_excerpt"] == "boom"
    assert attempts[1]["error"].startswith("timeout")
    assert detail.json()["webhook_id"] == ids.pop()


def test_410_switches_the_target_off_and_tells_the_contact(
    client: TestClient,
    db: Session,
    factory: Factory,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    contact = factory.user(Role.MUNICIPAL_CONTACT, municipality="205", email="kajaani@example.com")
    target = add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    receiver.script = [Answer(410, "gone")]
    deliver_due(db, worker_settings)
    shown = client.get(f"/api/v1/syndication/targets/{target['id']}", headers=people.contact)
    body = shown.json()
    assert (body["status"], body["disabled_reason"], body["health"]["state"]) == (
        "disabled",
        "The receiver answered 410 Gone.",
        "disabled",
    )
    mails = db.scalars(select(OutboxEmail)).all()
    assert contact.email in [a for m in mails for a in m.to_addresses]
    # A switched-off target keeps new changes for later, and sends nothing now.
    publish_site(client, people, name_fi="Toinen tontti")
    assert deliver_due(db, worker_settings, now=_later(3600)) == 0
    assert len(receiver.requests) == 1


def test_retry_after_is_honoured(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    receiver.script = [Answer(503, headers={"Retry-After": "600"})]
    deliver_due(db, worker_settings)
    assert deliver_due(db, worker_settings, now=_later(300)) == 0
    assert deliver_due(db, worker_settings, now=_later(601)) == 1
    assert len(receiver.requests) == 2


def test_deliveries_of_one_site_keep_their_order(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    first = publish_site(client, people)
    second = publish_site(client, people, name_fi="Toinen tontti")
    for n in (1, 2):
        client.patch(
            f"/api/v1/sites/{first['id']}",
            json={"name_fi": f"Nimi {n}"},
            headers=people.coordinator,
        )
    receiver.script = [Answer(500)]  # the first attempt fails once
    for minutes in (0, 1, 2, 3, 4):
        deliver_due(db, worker_settings, now=_later(minutes * 10))
    seen = [
        (r.json()["data"]["id"], r.json()["type"], r.json()["data"]["name"]["fi"])
        for r in receiver.requests
    ]
    # Only the newest state goes out: the changes made before the first attempt
    # superseded the publication, so every message about the first site carries
    # "Nimi 2" (never an older name after a newer one).
    assert {s for s in seen if s[0] == first["id"]} == {(first["id"], "site.updated", "Nimi 2")}
    assert len(seen) == 3  # two sites, one of them tried twice
    log = client.get(
        "/api/v1/syndication/deliveries", params={"site_id": first["id"]}, headers=people.contact
    ).json()
    assert sorted(d["status"] for d in log["items"]) == ["succeeded", "superseded", "superseded"]
    assert (second["id"], "site.published", "Toinen tontti") in seen


def test_a_worker_that_dies_leaves_the_delivery_to_be_retried_after_its_lease(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    [claim] = claim_due(db, worker_settings)  # ...and the worker is killed here
    assert deliver_due(db, worker_settings) == 0
    lease = lease_duration(worker_settings)
    assert deliver_due(db, worker_settings, now=utcnow() + lease - timedelta(seconds=5)) == 0
    assert deliver_due(db, worker_settings, now=utcnow() + lease + timedelta(seconds=1)) == 1
    [request] = receiver.requests
    assert request.headers["webhook-id"] == claim.webhook_id
    delivery = db.get(SyndicationDelivery, claim.delivery_id)
    assert delivery is not None
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)


def test_rotation_signs_with_both_secrets_during_the_overlap(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    rotated = client.post(
        f"/api/v1/syndication/targets/{target['id']}/rotate-secret", headers=people.contact
    ).json()
    assert rotated["secret"] != target["secret"] and rotated["secret"].startswith("whsec_")
    publish_site(client, people)
    deliver_due(db, worker_settings)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (target["secret"], rotated["secret"]):
        Webhook(secret).verify(request.body, request.headers)
    revealed = client.get(
        f"/api/v1/syndication/targets/{target['id']}/secret", headers=people.contact
    )
    assert revealed.json() == {"secret": rotated["secret"]}
    stored = db.get(SyndicationTarget, rotated["id"])
    assert stored is not None and rotated["secret"] not in (stored.secret_encrypted or "")


def test_paused_target_holds_updates_and_test_event_goes_through(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    base = f"/api/v1/syndication/targets/{target['id']}"
    assert client.post(f"{base}/pause", headers=people.contact).json()["status"] == "paused"
    publish_site(client, people)
    ping = client.post(f"{base}/test", headers=people.contact)
    assert ping.status_code == 202
    deliver_due(db, worker_settings)
    assert [r.json()["type"] for r in receiver.requests] == ["ping"]
    client.post(f"{base}/resume", headers=people.contact)
    deliver_due(db, worker_settings)
    assert [r.json()["type"] for r in receiver.requests] == ["ping", "site.published"]
    health = client.get(base, headers=people.contact).json()["health"]
    assert (health["state"], health["pending"], health["attempts_24h"]) == ("healthy", 0, 2)


def test_redeliver_one_and_all_failed_since(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    start = utcnow()
    publish_site(client, people)
    deliver_due(db, worker_settings)
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    delivery.status = "failed"
    db.commit()
    listed = client.get(
        "/api/v1/syndication/deliveries", params={"status": "failed"}, headers=people.contact
    ).json()
    assert (listed["total"], listed["items"][0]["id"]) == (1, str(delivery.id))
    redone = client.post(
        f"/api/v1/syndication/targets/{target['id']}/redeliver-failed",
        json={"since": start.isoformat()},
        headers=people.contact,
    )
    assert redone.json() == {"count": 1}
    deliver_due(db, worker_settings)
    again = client.post(
        f"/api/v1/syndication/deliveries/{delivery.id}/redeliver", headers=people.contact
    )
    assert again.json()["status"] == "pending"
    deliver_due(db, worker_settings)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert len(receiver.requests) == 3


def test_targets_belong_to_their_municipality(
    client: TestClient, factory: Factory, people: People
) -> None:
    target = add_webhook(client, people.contact, "https://hooks.example.com/kainuu")
    _, other = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    _, forum = factory.api_user(Role.FORUM_VIEWER)
    url = f"/api/v1/syndication/targets/{target['id']}"
    assert client.get(url, headers=other).status_code == 404
    assert client.get("/api/v1/syndication/targets", headers=other).json()["total"] == 0
    assert client.get("/api/v1/syndication/targets", headers=forum).status_code == 403
    refused = client.post(
        "/api/v1/syndication/targets",
        json={"municipality_code": "205", "name": "X", "kind": "webhook", "url": "https://a.fi"},
        headers=other,
    )
    assert refused.status_code == 403
    listed = client.get("/api/v1/syndication/targets", headers=people.coordinator).json()
    assert [t["id"] for t in listed["items"]] == [target["id"]]


def test_target_urls_are_checked(
    client: TestClient, db: Session, factory: Factory, people: People, settings: Settings
) -> None:
    response = client.post(
        "/api/v1/syndication/targets",
        json={"municipality_code": "205", "name": "", "kind": "webhook", "url": "ftp://x.fi/a"},
        headers=people.contact,
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("name", "required"),
        ("url", "scheme"),
    ]
    wp = client.post(
        "/api/v1/syndication/targets",
        json={"municipality_code": "205", "name": "WP", "kind": "wordpress", "url": "https://a.fi"},
        headers=people.contact,
    )
    assert [(e["field"], e["code"]) for e in wp.json()["errors"]] == [
        ("wp_username", "required"),
        ("wp_password", "required"),
    ]
    from app.services import syndication
    from app.services.auth import actor_for

    production = settings.model_copy(update={"environment": "production"})
    actor = actor_for(factory.user(Role.COORDINATOR))
    for url in ("http://127.0.0.1:8080/hook", "http://10.0.0.5/hook", "http://169.254.169.254/"):
        with pytest.raises(ValidationFailed) as refused:
            syndication.create_target(
                db,
                actor,
                production,
                syndication.TargetFields(
                    name="x", kind="webhook", url=url, municipality_code="205"
                ),
            )
        assert refused.value.errors[0].code == "private_address"

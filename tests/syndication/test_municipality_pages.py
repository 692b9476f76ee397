"""Issue 14: what a municipality's page ends up showing, against a real local receiver
and the WordPress stand-in with faults injected (save-then-hang, trickle, fail)."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Interval, literal, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import (
    OutboxEmail,
    Site,
    SyndicationAttempt,
    SyndicationDelivery,
    SyndicationEvent,
    SyndicationTarget,
)
from app.domain.access import Role
from app.domain.sites import add_months
from app.scheduler import JOBS
from app.services.sites import flag_stale_sites, helsinki_today
from app.services.syndication import (
    claim_due,
    complete,
    deliver_due,
    disable_failing_targets,
    perform,
)
from app.settings import Settings
from tests.factories import Factory
from tests.syndication.conftest import (
    Answer,
    People,
    Receiver,
    WordPress,
    add_webhook,
    publish_site,
)

PASSWORD = "abcd efgh ijkl mnop"
TWO_DAYS = literal(timedelta(days=2), Interval())


def _later(seconds: float) -> Any:
    return utcnow() + timedelta(seconds=seconds)


def _wp_target(
    client: TestClient,
    headers: dict[str, str],
    wordpress: WordPress,
    *,
    municipality: str = "205",
    language: str = "en",
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/syndication/targets",
        json={
            "municipality_code": municipality,
            "name": f"www.{municipality}.fi",
            "kind": "wordpress",
            "url": wordpress.url,
            "language": language,
            "wp_username": "syndication",
            "wp_password": PASSWORD,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def _drain(db: Session, settings: Settings, *, at: float = 0.0) -> None:
    for step in range(6):
        deliver_due(db, settings, now=_later(at + step * 3600))


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="JPEG")
    return out.getvalue()


# --- content is safe on the receiving site -------------------------------------------------


def test_markup_in_a_site_never_becomes_live_html_on_wordpress(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    publish_site(
        client,
        people,
        name_en='Plot <script>alert("x")</script><b>big</b>',
        description_en=(
            'Near <img src=x onerror="alert(1)"> the <a href="javascript:alert(2)">rail</a>'
        ),
    )
    deliver_due(db, worker_settings)
    [post] = wordpress.public_posts()
    shown = " ".join(str(post[k]) for k in ("title", "content", "excerpt"))
    for dangerous in ("<script", "<img", '<a href="javascript', "<b>"):
        assert dangerous not in shown
    assert post["title"].startswith("Plot ")
    feed = client.get("/feeds/205/sites.json?lang=en").json()
    assert "<script" not in feed["items"][0]["content_html"]
    assert "<img" not in feed["items"][0]["content_html"]


# --- exactly one post per site and target ----------------------------------------------------


def test_a_create_whose_answer_was_lost_is_found_and_updated_not_duplicated(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    site = publish_site(client, people)
    wordpress.hang_after_save = 2.0  # saves the post, then answers too late
    deliver_due(db, worker_settings)
    assert len(wordpress.posts) == 1  # saved on the CMS...
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    assert delivery.status == "pending" and "timeout" in (delivery.last_error or "")
    wordpress.hang_after_save = 0.0
    client.patch(
        f"/api/v1/sites/{site['id']}", json={"name_en": "Renamed"}, headers=people.coordinator
    )
    _drain(db, worker_settings)
    [post] = wordpress.posts.values()  # ...and still one post after the retries
    assert (post["title"], post["status"]) == ("Renamed", "publish")

    client.post(f"/api/v1/sites/{site['id']}/withdraw", headers=people.contact)
    _drain(db, worker_settings, at=36000)
    assert wordpress.public_posts() == []  # no copy stays public


def test_a_worker_killed_after_sending_leaves_one_post(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    publish_site(client, people)
    [claim] = claim_due(db, worker_settings)
    perform(claim, worker_settings)  # sent; the worker dies before recording it
    assert len(wordpress.posts) == 1
    _drain(db, worker_settings, at=600)  # claimed again when the lease ends
    assert len(wordpress.posts) == 1 and len(wordpress.public_posts()) == 1


def test_withdrawal_unpublishes_a_post_whose_id_was_never_learnt(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    site = publish_site(client, people)
    wordpress.hang_after_save = 2.0
    deliver_due(db, worker_settings)
    wordpress.hang_after_save = 0.0
    client.post(f"/api/v1/sites/{site['id']}/withdraw", headers=people.contact)
    _drain(db, worker_settings, at=10)
    assert len(wordpress.posts) == 1 and wordpress.public_posts() == []


# --- backfill ---------------------------------------------------------------------------------


def test_a_new_target_and_a_re_enabled_one_receive_everything_published(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    first = publish_site(client, people)
    second = publish_site(client, people, name_en="Second plot")
    target = _wp_target(client, people.contact, wordpress)
    deliver_due(db, worker_settings)
    assert sorted(p["title"] for p in wordpress.public_posts()) == [
        "Renforsin ranta plot",
        "Second plot",
    ]
    # Switched off (gone), its failed deliveries given up; the posts deleted meanwhile.
    client.post(f"/api/v1/syndication/targets/{target['id']}/pause", headers=people.contact)
    wordpress.posts.clear()
    db.execute(update(SyndicationDelivery).values(status="failed"))
    db.commit()
    resumed = client.post(
        f"/api/v1/syndication/targets/{target['id']}/resume", headers=people.contact
    )
    assert resumed.status_code == 200
    deliver_due(db, worker_settings)
    assert sorted(p["meta"]["invest_kainuu_site_id"] for p in wordpress.public_posts()) == sorted(
        [first["id"], second["id"]]
    )


# --- moving a site to another municipality -------------------------------------------------


def test_moving_a_site_withdraws_it_from_the_old_municipality_and_publishes_to_the_new(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    old_page = wordpress
    new_page = WordPress("syndication", PASSWORD)
    try:
        _wp_target(client, people.coordinator, old_page, municipality="205")
        _wp_target(client, people.coordinator, new_page, municipality="105")
        site = publish_site(client, people)
        deliver_due(db, worker_settings)
        assert len(old_page.public_posts()) == 1 and new_page.public_posts() == []
        before = client.get("/feeds/205/sites.json")
        db.execute(update(Site).values(public_changed_at=Site.public_changed_at - TWO_DAYS))
        db.execute(
            update(SyndicationEvent).values(occurred_at=SyndicationEvent.occurred_at - TWO_DAYS)
        )
        db.commit()
        stale = client.get("/feeds/205/sites.json")
        moved = client.patch(
            f"/api/v1/sites/{site['id']}",
            json={"municipality_code": "105"},
            headers=people.coordinator,
        )
        assert moved.status_code == 200, moved.text
        _drain(db, worker_settings)
        assert old_page.public_posts() == []
        [post] = new_page.public_posts()
        assert post["meta"]["invest_kainuu_municipality"] == "105"
        after = client.get("/feeds/205/sites.json")
        assert after.json()["items"] == [] and len(before.json()["items"]) == 1
        assert after.headers["etag"] != stale.headers["etag"]
        assert after.headers["last-modified"] != stale.headers["last-modified"]
        new_feed = client.get("/feeds/105/sites.json").json()
        assert [i["id"] for i in new_feed["items"]] == [site["id"]]
    finally:
        new_page.close()


# --- expiry by date -----------------------------------------------------------------------


def test_expiry_by_date_changes_the_feeds_at_that_moment_and_withdraws_every_minute(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    assert {"trigger": "interval", "minutes": 1} in [
        j.trigger for j in JOBS if j.id == "flag-stale-sites"
    ]
    _wp_target(client, people.contact, wordpress)
    site = publish_site(client, people)
    deliver_due(db, worker_settings)
    db.execute(update(Site).values(public_changed_at=Site.public_changed_at - TWO_DAYS))
    db.execute(update(SyndicationEvent).values(occurred_at=SyndicationEvent.occurred_at - TWO_DAYS))
    db.commit()
    fresh = client.get("/feeds/205/sites.json")
    # Midnight passed: the site's verification is now exactly the hiding age.
    lapsed = add_months(helsinki_today(), -worker_settings.site_hidden_after_months)
    db.execute(update(Site).where(Site.id == site["id"]).values(last_verified_on=lapsed))
    db.commit()
    due = client.get("/feeds/205/sites.json")  # before any job has run
    assert due.json()["items"] == []
    assert due.headers["etag"] != fresh.headers["etag"]
    assert due.headers["last-modified"] != fresh.headers["last-modified"]
    assert (
        client.get(
            "/feeds/205/sites.json", headers={"if-modified-since": fresh.headers["last-modified"]}
        ).status_code
        == 200
    )
    flag_stale_sites(db, worker_settings)  # the every-minute job
    deliver_due(db, worker_settings)
    assert wordpress.public_posts() == []


# --- never regress ---------------------------------------------------------------------------


def test_an_old_delivery_redelivered_sends_the_current_state(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    site = publish_site(client, people)
    deliver_due(db, worker_settings)
    client.patch(
        f"/api/v1/sites/{site['id']}", json={"name_fi": "Uusi"}, headers=people.coordinator
    )
    deliver_due(db, worker_settings)
    first = db.scalars(
        select(SyndicationDelivery).order_by(SyndicationDelivery.event_id).limit(1)
    ).one()
    again = client.post(
        f"/api/v1/syndication/deliveries/{first.id}/redeliver", headers=people.contact
    )
    assert again.status_code in (200, 202), again.text
    deliver_due(db, worker_settings)
    data = [r.json()["data"] for r in receiver.requests]
    names = [(d["name"]["fi"], d["version"]) for d in data]
    assert names[-1] == names[-2]  # the redelivery carries the newest state
    assert names[-1][0] == "Uusi"


def test_a_late_retry_does_not_overwrite_newer_content_on_wordpress(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    site = publish_site(client, people)
    wordpress.fail = 1
    deliver_due(db, worker_settings)  # the publication fails; retried later
    client.patch(
        f"/api/v1/sites/{site['id']}", json={"name_en": "Newest"}, headers=people.coordinator
    )
    _drain(db, worker_settings, at=10)
    [post] = wordpress.posts.values()
    assert post["title"] == "Newest"
    titles = [r.json().get("title") for r in wordpress.requests if r.method == "POST" and r.body]
    assert "Renforsin ranta plot" not in titles  # never sent after the newer one existed


# --- timeouts are total ----------------------------------------------------------------------


def test_a_trickling_receiver_cannot_hold_a_delivery_past_the_deadline(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    receiver.script = [Answer(200, "x" * 30, trickle=1.0)]  # one byte a second
    started = time.monotonic()
    deliver_due(db, worker_settings)
    assert time.monotonic() - started < 3.0  # timeout 0.5 s, not 30 s
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    assert delivery.status == "pending" and "timeout" in (delivery.last_error or "")


def test_a_receiver_trickling_its_headers_is_cut_off_by_the_deadline_too(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    # The status line and headers a byte every 0.2 s: each read gets a byte well within
    # the read timeout, so only a deadline for the whole exchange ends it.
    receiver.script = [Answer(200, "ok", trickle=0.2, trickle_headers=True)]
    started = time.monotonic()
    deliver_due(db, worker_settings)
    assert time.monotonic() - started < 2.0  # timeout 0.5 s; the answer takes ~8 s
    [delivery] = db.scalars(select(SyndicationDelivery)).all()
    assert delivery.status == "pending" and "timeout" in (delivery.last_error or "")


def test_a_trickling_wordpress_is_cut_off_by_the_attempt_budget(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    publish_site(client, people)
    wordpress.trickle = 0.2
    started = time.monotonic()
    deliver_due(db, worker_settings)
    assert time.monotonic() - started < 3.0  # budget 3 × 0.5 s
    wordpress.trickle = 0.0
    _drain(db, worker_settings, at=10)
    assert len(wordpress.public_posts()) == 1


# --- resume and the scheduled switch-off ---------------------------------------------------


def test_resume_sends_held_work_now(
    client: TestClient, db: Session, people: People, receiver: Receiver, worker_settings: Settings
) -> None:
    target = add_webhook(client, people.contact, receiver.url)
    publish_site(client, people)
    receiver.script = [Answer(503), Answer(503)]
    deliver_due(db, worker_settings)
    deliver_due(db, worker_settings, now=_later(6))  # next retry in 5 minutes
    client.post(f"/api/v1/syndication/targets/{target['id']}/pause", headers=people.contact)
    client.post(f"/api/v1/syndication/targets/{target['id']}/resume", headers=people.contact)
    assert deliver_due(db, worker_settings, now=_later(7)) == 1  # not at the old retry time
    assert receiver.requests[-1].json()["type"] == "site.published"


def test_failing_targets_are_switched_off_by_the_schedule_with_a_finnish_email(
    client: TestClient,
    db: Session,
    people: People,
    factory: Factory,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    finn = factory.user(Role.MUNICIPAL_CONTACT, municipality="205", language="fi")
    target = add_webhook(client, people.contact, receiver.url)
    db.execute(
        update(SyndicationTarget)
        .where(SyndicationTarget.id == target["id"])
        .values(failing_since=utcnow() - timedelta(hours=73))
    )
    db.commit()
    assert "disable-failing-syndication-targets" in {j.id for j in JOBS}
    assert disable_failing_targets(db, worker_settings) == 1  # no new change needed
    assert db.get(SyndicationTarget, target["id"]).status == "disabled"  # type: ignore[union-attr]
    mail = [m for m in db.scalars(select(OutboxEmail)) if finn.email in m.to_addresses]
    [message] = mail
    assert "keskeytetty" in message.subject
    assert "Failing since" not in message.body_text and "epäonnistunut" in message.body_text
    assert disable_failing_targets(db, worker_settings) == 0


# --- per-target concurrency across workers ---------------------------------------------------


def test_the_per_target_cap_is_counted_in_the_database(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    slow = Receiver()
    try:
        hanging = add_webhook(client, people.contact, slow.url, name="Hanging")
        healthy = add_webhook(client, people.contact, receiver.url, name="Healthy")
        for n in range(4):
            publish_site(client, people, name_fi=f"Tontti {n}")
        _have_answered(db, hanging["id"], healthy["id"])
        # Worker one takes two of each target's; worker two (no shared memory) only
        # what is left under the cap: nothing.
        one = claim_due(db, worker_settings, limit=10, per_target=2)
        two = claim_due(db, worker_settings, limit=10, per_target=2)
        assert sorted(str(c.target_id) == healthy["id"] for c in one) == [False, False, True, True]
        assert two == []
        for claim in one:
            if str(claim.target_id) == healthy["id"]:
                complete(db, worker_settings, claim, perform(claim, worker_settings))
        three = claim_due(db, worker_settings, limit=10, per_target=2)
        assert [str(c.target_id) for c in three] == [healthy["id"], healthy["id"]]
    finally:
        slow.close()


def test_a_request_that_has_ended_frees_its_slot_before_its_outcome_is_committed(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    """The worker whose request to a target has ended may send the target's next one
    while that outcome is still being committed; another worker still counts the lease."""
    target = add_webhook(client, people.contact, receiver.url, name="Healthy")
    for n in range(4):
        publish_site(client, people, name_fi=f"Tontti {n}")
    _have_answered(db, target["id"])
    first = claim_due(db, worker_settings, limit=10, per_target=2)
    assert len(first) == 2
    ended = {first[0].delivery_id}
    in_flight = {first[1].target_id: 1}
    # Another worker (nothing ended there) gets nothing: both leases are live.
    assert claim_due(db, worker_settings, limit=10, per_target=2) == []
    [next_one] = claim_due(
        db, worker_settings, limit=10, per_target=2, in_flight=in_flight, finishing=ended
    )
    assert next_one.delivery_id not in {c.delivery_id for c in first}
    # Three leases live, two of them in flight: still at the cap for everyone.
    assert claim_due(db, worker_settings, limit=10, per_target=2, finishing=ended) == []


def test_a_worker_alone_on_a_healthy_target_leases_a_chain_per_slot(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    """Chains of four per request slot: the worker sends them one after another per
    slot, so the target still has two requests in flight at most. Another worker keeps
    off the target while those leases live; the first takes more once a chain ends."""
    target = add_webhook(client, people.contact, receiver.url, name="Healthy")
    for n in range(10):
        publish_site(client, people, name_fi=f"Tontti {n}")
    _have_answered(db, target["id"])
    chained = {"per_target": 2, "chain_length": 4, "limit": 20}
    first = claim_due(db, worker_settings, **chained)
    assert len(first) == 8
    target_id = first[0].target_id
    assert claim_due(db, worker_settings, **chained) == []  # another worker
    # The same worker, both chains still running: no slot is free.
    running = {"in_flight": {target_id: 8}, "chains": {target_id: 2}}
    assert claim_due(db, worker_settings, **chained, **running) == []
    # One chain has ended (its four are being completed): a new chain takes the rest.
    ended = {c.delivery_id for c in first[:4]}
    after = {"in_flight": {target_id: 4}, "chains": {target_id: 1}, "finishing": ended}
    rest = claim_due(db, worker_settings, **chained, **after)
    assert len(rest) == 2


def _have_answered(db: Session, *target_ids: str) -> None:
    db.execute(
        update(SyndicationTarget)
        .where(SyndicationTarget.id.in_(target_ids))
        .values(last_success_at=utcnow())
    )
    db.commit()


def test_a_target_that_never_answered_gets_one_request_at_a_time(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    """A new target that hangs holds one of the workers' threads, not its full share,
    until its first answer shows it is healthy."""
    new = add_webhook(client, people.contact, receiver.url, name="New")
    for n in range(4):
        publish_site(client, people, name_fi=f"Tontti {n}")
    [first] = claim_due(db, worker_settings, limit=10, per_target=2)
    assert claim_due(db, worker_settings, limit=10, per_target=2) == []
    complete(db, worker_settings, first, perform(first, worker_settings))
    after_answer = claim_due(db, worker_settings, limit=10, per_target=2)
    assert [str(c.target_id) for c in after_answer] == [new["id"], new["id"]]


# --- Finnish content, personal data, replaced photos ----------------------------------------


def test_finnish_posts_use_the_decimal_comma(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress, language="fi")
    publish_site(client, people, area_ha="4.5", price_eur="125000")
    deliver_due(db, worker_settings)
    [post] = wordpress.public_posts()
    assert "<td>4,5</td>" in post["content"] and "4.5" not in post["content"]
    assert "<td>125&nbsp;000</td>" in post["content"]  # a no-break space


def test_the_log_keeps_no_personal_data_of_the_cms_user(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    target = _wp_target(client, people.contact, wordpress)
    client.post(f"/api/v1/syndication/targets/{target['id']}/test", headers=people.contact)
    publish_site(client, people)
    deliver_due(db, worker_settings)
    stored = " ".join(a.response_excerpt or "" for a in db.scalars(select(SyndicationAttempt)))
    assert "Maija" not in stored and "@" not in stored and "gravatar" not in stored
    assert '"id": 1' in stored


def test_a_replaced_photo_leaves_the_media_library(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    _wp_target(client, people.contact, wordpress)
    site = publish_site(client, people)
    url = f"/api/v1/sites/{site['id']}/attachments"
    first = client.post(
        url, files={"file": ("a.jpg", _jpeg((200, 0, 0)), "image/jpeg")}, headers=people.coordinator
    )
    assert first.status_code == 201, first.text
    deliver_due(db, worker_settings)
    [old_media] = wordpress.media
    client.delete(f"{url}/{first.json()['id']}", headers=people.coordinator)
    client.post(
        url, files={"file": ("b.jpg", _jpeg((0, 0, 200)), "image/jpeg")}, headers=people.coordinator
    )
    _drain(db, worker_settings)
    [new_media] = wordpress.media
    assert new_media != old_media
    [post] = wordpress.public_posts()
    assert post["featured_media"] == new_media


def test_failing_targets_are_claimed_in_their_own_lane_one_at_a_time(
    client: TestClient,
    db: Session,
    people: People,
    receiver: Receiver,
    worker_settings: Settings,
) -> None:
    hanging = add_webhook(client, people.contact, receiver.url, name="Hanging")
    healthy = add_webhook(client, people.contact, receiver.url, name="Healthy")
    for n in range(3):
        publish_site(client, people, name_fi=f"Tontti {n}")
    db.execute(
        update(SyndicationTarget)
        .where(SyndicationTarget.id == hanging["id"])
        .values(failing_since=utcnow())
    )
    db.commit()
    main = claim_due(db, worker_settings, limit=10, per_target=2, lane="healthy")
    assert {str(c.target_id) for c in main} == {healthy["id"]}
    slow = claim_due(db, worker_settings, limit=10, per_target=2, lane="failing")
    assert [str(c.target_id) for c in slow] == [hanging["id"]]  # one at a time
    assert claim_due(db, worker_settings, limit=10, per_target=2, lane="failing") == []

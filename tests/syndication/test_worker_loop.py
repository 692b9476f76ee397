"""The threaded worker as it runs in the scheduler process, on PostgreSQL with real
commits and real local receivers: everything arrives once, and hanging receivers do
not hold back the healthy ones."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.audit import bind_actor
from app.db.base import utcnow
from app.db.migrations import upgrade_to_head
from app.db.models import Site, SyndicationDelivery, SyndicationTarget
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR
from app.services.reference import ensure_reference_data
from app.services.sites import helsinki_today
from app.services.syndication import SyndicationWorker, encrypt, record_site_event
from app.settings import Settings
from tests.syndication.conftest import Answer, Receiver

SECRET = "whsec_" + "QUJD" * 8


@contextmanager
def running_worker(url: str, settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as db:
        ensure_reference_data(db)
    worker = SyndicationWorker(engine, settings, poll_seconds=0.2)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield factory
    finally:
        worker.stop()
        thread.join(timeout=30)
        engine.dispose()
    assert not thread.is_alive()


def _targets(db: Session, settings: Settings, *receivers: Receiver) -> list[SyndicationTarget]:
    bind_actor(db, SYSTEM_ACTOR)
    targets = [
        SyndicationTarget(
            municipality_code="205",
            name=f"Receiver {n}",
            kind="webhook",
            url=r.url,
            secret_encrypted=encrypt(settings, SECRET),
        )
        for n, r in enumerate(receivers)
    ]
    db.add_all(targets)
    db.commit()
    return targets


def _publish(db: Session, count: int, changes: int = 0) -> list[Site]:
    bind_actor(db, SYSTEM_ACTOR)
    sites = []
    for n in range(count):
        site = Site(
            slug=f"site-{n}",
            municipality_code="205",
            kind="industrial_plot",
            status="published",
            name_fi=f"Tontti {n}",
            latitude=64.2,
            longitude=27.7,
            last_verified_on=helsinki_today(),
        )
        db.add(site)
        db.flush()
        record_site_event(db, site, "published")
        db.commit()
        sites.append(site)
    for n in range(changes):
        site = sites[n % count]
        site.name_fi = f"Tontti {n % count} / muutos {n}"
        site.version += 1
        record_site_event(db, site, "changed")
        db.commit()
    return sites


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_worker_delivers_the_newest_state_of_every_site_once(
    scratch_database: str, settings: Settings
) -> None:
    receivers = [Receiver(), Receiver()]
    worker_settings = settings.model_copy(update={"database_url": scratch_database})
    try:
        with running_worker(scratch_database, worker_settings) as factory:
            with factory() as db:
                _targets(db, worker_settings, *receivers)
                sites = _publish(db, 20, changes=60)
                newest = {str(s.id): s.version for s in sites}

            def all_newest_arrived() -> bool:
                return all(
                    {
                        (r.json()["data"]["id"], r.json()["data"]["version"])
                        for r in list(receiver.requests)
                    }
                    >= set(newest.items())
                    for receiver in receivers
                )

            assert _wait_for(all_newest_arrived, 60)
            with factory() as db:

                def settled() -> bool:
                    db.expire_all()
                    statuses = Counter(db.scalars(select(SyndicationDelivery.status)))
                    return statuses["pending"] == 0

                assert _wait_for(settled, 10)
        for receiver in receivers:
            ids = Counter(r.headers["webhook-id"] for r in receiver.requests)
            assert set(ids.values()) == {1}  # no message sent twice
            versions: dict[str, int] = {}
            for request in receiver.requests:  # in the order they arrived
                data = request.json()["data"]
                assert data["version"] >= versions.get(data["id"], 0)  # never older
                versions[data["id"]] = data["version"]
    finally:
        for receiver in receivers:
            receiver.close()


def test_hanging_receivers_do_not_hold_back_the_healthy_ones(
    scratch_database: str, settings: Settings
) -> None:
    """Eight receivers answer their headers and then one byte a second; the healthy one
    gets every site while those attempts are still hanging."""
    healthy = Receiver()
    hanging = [Receiver() for _ in range(8)]
    for receiver in hanging:
        receiver.script = [Answer(200, "x" * 60, trickle=1.0) for _ in range(100)]
    worker_settings = settings.model_copy(
        update={
            "database_url": scratch_database,
            "syndication_timeout_seconds": 8.0,
            "syndication_worker_threads": 8,
            "syndication_per_target_concurrency": 2,
        }
    )
    try:
        with running_worker(scratch_database, worker_settings) as factory:
            with factory() as db:
                _targets(db, worker_settings, *hanging)
                [healthy_target] = _targets(db, worker_settings, healthy)
                started = time.monotonic()
                sites = _publish(db, 12)
            assert _wait_for(lambda: len(healthy.requests) >= len(sites), 6)
            # Every hanging receiver still holds its first request: its 8-second budget
            # has not run out, yet the healthy target got all twelve sites.
            assert time.monotonic() - started < 8.0
            assert {r.json()["data"]["slug"] for r in healthy.requests} == {s.slug for s in sites}
            assert all(len(r.requests) == 1 for r in hanging)  # one at a time each
            with factory() as db:
                fine = db.get(SyndicationTarget, healthy_target.id)
                assert fine is not None and fine.failing_since is None
    finally:
        for receiver in [healthy, *hanging]:
            receiver.close()


def test_a_failed_request_keeps_its_targets_slot_until_the_retry_time_is_recorded(
    scratch_database: str, settings: Settings
) -> None:
    """A request that ended in failure does not free its target for the next delivery:
    that one would meet the same fault at once. The target's other deliveries wait for
    the retry time the failure sets (5 s after a first failure)."""
    failing = Receiver()
    failing.script = [Answer(500, "down") for _ in range(100)]
    worker_settings = settings.model_copy(update={"database_url": scratch_database})
    engine = make_engine(scratch_database)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    try:
        with factory() as db:
            ensure_reference_data(db)
            _targets(db, worker_settings, failing)
            _publish(db, 12)  # twelve deliveries waiting before the worker starts
        engine.dispose()
        with running_worker(scratch_database, worker_settings):
            assert _wait_for(lambda: len(failing.requests) >= 1, 5)
            time.sleep(2.0)
            assert len(failing.requests) == 1
    finally:
        failing.close()


def _healthy_target_with_waiting_sites(
    url: str, settings: Settings, receiver: Receiver, sites: int
) -> None:
    """A target that has answered before, and `sites` deliveries waiting for it before
    the worker starts."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as db:
        ensure_reference_data(db)
        [target] = _targets(db, settings, receiver)
        target.last_success_at = utcnow()
        db.commit()
        _publish(db, sites)
    engine.dispose()


def _deliveries(url: str) -> list[SyndicationDelivery]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            return list(db.scalars(select(SyndicationDelivery)))
    finally:
        engine.dispose()


def test_a_failure_in_a_chain_gives_the_rest_back_unsent_to_wait_for_the_retry(
    scratch_database: str, settings: Settings
) -> None:
    """Two chains of four go out to a healthy target, and its first answer to each is a
    failure: the six behind them are not sent, count no attempt and wait for the retry
    time the failure sets, as the target's other deliveries do."""
    failing = Receiver()
    failing.script = [Answer(500, "down") for _ in range(100)]
    worker_settings = settings.model_copy(
        update={
            "database_url": scratch_database,
            "syndication_per_target_concurrency": 2,
            "syndication_chain_length": 4,
        }
    )
    try:
        _healthy_target_with_waiting_sites(scratch_database, worker_settings, failing, 8)
        with running_worker(scratch_database, worker_settings):
            assert _wait_for(lambda: len(failing.requests) >= 2, 5)
            time.sleep(2.0)
            assert len(failing.requests) == 2
            deliveries = _deliveries(scratch_database)
        unsent = [d for d in deliveries if d.attempt_count == 0]
        assert len(unsent) == 6
        soon = utcnow() + timedelta(seconds=2)
        for delivery in unsent:
            assert delivery.status == "pending" and delivery.lease_token is None
            assert delivery.next_attempt_at > soon  # held with the failed ones
    finally:
        failing.close()


def test_a_stopping_worker_gives_back_what_its_chains_have_not_sent(
    scratch_database: str, settings: Settings
) -> None:
    """Stopped while chains are under way, the worker finishes the requests in flight
    and gives the rest back at once, not leased until their leases run out."""
    slow = Receiver()
    slow.script = [Answer(200, "ok", delay=0.5) for _ in range(100)]
    worker_settings = settings.model_copy(
        update={"database_url": scratch_database, "syndication_chain_length": 4}
    )
    try:
        _healthy_target_with_waiting_sites(scratch_database, worker_settings, slow, 8)
        with running_worker(scratch_database, worker_settings):
            assert _wait_for(lambda: len(slow.requests) >= 1, 5)
        deliveries = _deliveries(scratch_database)
        sent = len(slow.requests)
        assert sent < 8
        assert all(d.lease_token is None for d in deliveries)
        assert sum(d.status == "succeeded" for d in deliveries) == sent
        assert sum(d.status == "pending" and d.attempt_count == 0 for d in deliveries) == 8 - sent
    finally:
        slow.close()

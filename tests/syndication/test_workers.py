"""Two workers on one PostgreSQL with real commits: every delivery goes out once."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.models import Site, SyndicationAttempt, SyndicationDelivery, SyndicationTarget
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR
from app.services.reference import ensure_reference_data
from app.services.sites import helsinki_today
from app.services.syndication import deliver_due, encrypt, record_site_event
from app.settings import Settings
from tests.syndication.conftest import Receiver


def test_two_workers_in_parallel_never_send_the_same_attempt_twice(
    scratch_database: str, settings: Settings, receiver: Receiver
) -> None:
    engine = make_engine(scratch_database)
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    worker_settings = settings.model_copy(update={"database_url": scratch_database})
    with factory() as db:
        ensure_reference_data(db)
        bind_actor(db, SYSTEM_ACTOR)
        for n in range(2):
            db.add(
                SyndicationTarget(
                    municipality_code="205",
                    name=f"Receiver {n}",
                    kind="webhook",
                    url=receiver.url,
                    secret_encrypted=encrypt(worker_settings, "whsec_" + "QUJD" * 8),
                )
            )
        db.commit()
        for n in range(30):
            site = Site(
                slug=f"site-{n}",
                municipality_code="205",
                kind="industrial_plot",
                status="published",
                name_fi=f"Tontti {n}",
                last_verified_on=helsinki_today(),
            )
            db.add(site)
            db.flush()
            record_site_event(db, site, "published")
            site.name_fi = f"Tontti {n} (muutettu)"
            site.version += 1
            record_site_event(db, site, "changed")
        db.commit()

    def work() -> None:
        with factory() as db:
            while deliver_due(db, worker_settings, limit=7):
                pass

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Order per site may hold a later delivery until its predecessor is done: finish up.
    work()

    ids = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert set(ids.values()) == {1}  # no attempt made twice
    # The change superseded each site's publication before anything was sent: one
    # message per site and target, carrying the current name.
    names = {(r.json()["data"]["slug"], r.json()["data"]["name"]["fi"]) for r in receiver.requests}
    assert names == {(f"site-{n}", f"Tontti {n} (muutettu)") for n in range(30)} and len(ids) == 60
    with factory() as db:
        deliveries, attempts, statuses = check(db)
        assert (deliveries, statuses) == (120, {"succeeded": 60, "superseded": 60})
        assert attempts == len(ids)
    engine.dispose()


def check(db: Session) -> tuple[int, int, dict[str, int]]:
    deliveries = db.scalar(select(func.count()).select_from(SyndicationDelivery)) or 0
    attempts = db.scalar(select(func.count()).select_from(SyndicationAttempt)) or 0
    statuses = dict(
        db.execute(
            select(SyndicationDelivery.status, func.count()).group_by(SyndicationDelivery.status)
        ).all()
    )
    return deliveries, attempts, statuses

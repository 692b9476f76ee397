"""/readyz tells a stopped scheduler or syndication worker from a running one."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.models import Heartbeat
from app.main import create_app
from app.scheduler import beat
from app.services import operations
from app.services.syndication import SyndicationWorker
from app.settings import Settings
from tests.conftest import serve_sessions_from


def test_fresh_heartbeats_are_ready(client: TestClient, db: Session) -> None:
    operations.beat(db, operations.SCHEDULER, utcnow())
    operations.beat(db, operations.SYNDICATION_WORKER, utcnow() - timedelta(seconds=30))
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    workers = response.json()["workers"]
    assert workers["scheduler"]["status"] == "ok"
    assert 30 <= workers["syndication-worker"]["age_seconds"] < 90


def test_a_stale_heartbeat_is_not_ready_and_says_why(client: TestClient, db: Session) -> None:
    operations.beat(db, operations.SCHEDULER, utcnow())
    operations.beat(db, operations.SYNDICATION_WORKER, utcnow() - timedelta(minutes=10))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["workers"]["scheduler"]["status"] == "ok"
    assert body["workers"]["syndication-worker"]["status"] == "unavailable"
    [reason] = body["reasons"]
    assert reason.startswith("the syndication-worker has not reported for 6")
    assert "(limit 120 s)" in reason


def test_workers_never_seen_are_fine_unless_required(
    client: TestClient, settings: Settings, db: Session
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["workers"]["scheduler"]["last_heartbeat"] is None

    required = create_app(settings.model_copy(update={"readyz_require_workers": True}))
    serve_sessions_from(required, lambda: db)
    with TestClient(required) as strict:
        refused = strict.get("/readyz")
        operations.beat(db, operations.SCHEDULER, utcnow())
        operations.beat(db, operations.SYNDICATION_WORKER, utcnow())
        accepted = strict.get("/readyz")
    required.state.engine.dispose()
    assert refused.status_code == 503
    assert refused.json()["reasons"] == [
        "no heartbeat from the scheduler has been recorded",
        "no heartbeat from the syndication-worker has been recorded",
    ]
    assert accepted.status_code == 200


def test_the_scheduler_and_the_worker_loop_write_their_heartbeats(
    engine: Engine, settings: Settings
) -> None:
    """The beats the processes write are the ones /readyz reads: the scheduler's job,
    and the syndication worker's loop while it turns."""
    factory = sessionmaker(engine)
    worker = SyndicationWorker(engine, settings, poll_seconds=0.1)
    loop = threading.Thread(target=worker.run, daemon=True)
    try:
        beat(factory)
        loop.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with factory() as db:
                beats = operations.heartbeats(db)
            if "syndication-worker" in beats:
                break
            time.sleep(0.1)
    finally:
        worker.stop()
        loop.join(timeout=20)
        with factory() as db:
            db.execute(delete(Heartbeat))
            db.commit()
    assert set(beats) == {"scheduler", "syndication-worker"}
    assert all((utcnow() - b.beat_at).total_seconds() < 60 for b in beats.values())
    assert {b.instance for b in beats.values()} == {operations.INSTANCE}

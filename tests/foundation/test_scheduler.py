"""Scheduled jobs run once across instances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.models import UserSession
from app.scheduler import JOBS, Job, lock_key, run_exclusively
from app.services.auth import purge_expired_sessions
from tests.factories import Factory


def test_job_is_skipped_while_another_instance_holds_its_lock(engine, settings) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks exist on PostgreSQL only")
    runs: list[str] = []
    job = Job("test-job", lambda _db, _s: runs.append("ran"))
    factory = sessionmaker(engine)
    with engine.connect() as other_instance:
        other_instance.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(job.id)})
        assert run_exclusively(job, engine, factory, settings) is False
        other_instance.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(job.id)})
        other_instance.commit()
    assert run_exclusively(job, engine, factory, settings) is True
    assert runs == ["ran"]


def test_purge_removes_only_expired_sessions(factory: Factory, db: Session) -> None:
    user = factory.user()
    now = utcnow()
    db.add_all(
        [
            UserSession(
                token_hash="a" * 64, user_id=user.id, expires_at=now - timedelta(minutes=1)
            ),
            UserSession(token_hash="b" * 64, user_id=user.id, expires_at=now + timedelta(hours=1)),
        ]
    )
    db.commit()
    assert purge_expired_sessions(db, now) == 1
    assert [s.token_hash for s in db.query(UserSession).filter_by(user_id=user.id)] == ["b" * 64]


def test_every_job_has_a_unique_id() -> None:
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids))

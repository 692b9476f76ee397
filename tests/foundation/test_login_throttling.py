"""Login throttling: failed logins counted in the database per account and per client
address, a lockout that says so (429, Retry-After, Finnish or English), and a count that
stays exact under concurrent failures."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.db.models import LoginThrottle
from app.main import create_app
from app.services import auth
from app.settings import Settings
from app.web.session import LANG_COOKIE, SESSION_COOKIE
from tests.conftest import serve_sessions_from
from tests.factories import PASSWORD, Factory, csrf_from


def _post_login(client: TestClient, email: str, password: str) -> object:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": password},
        follow_redirects=False,
    )


@pytest.fixture
def strict_app(settings: Settings, db: Session) -> Iterator[FastAPI]:
    """The service with a low limit per address, so a test reaches it in a few tries."""
    app = create_app(settings.model_copy(update={"login_address_max_failures": 3}))

    def _test_db() -> Iterator[Session]:
        yield db

    serve_sessions_from(app, _test_db)
    yield app
    app.state.engine.dispose()


def test_the_fifth_failure_locks_the_account_and_says_for_how_long(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user()
    for _ in range(4):
        assert _post_login(client, user.email, "not the password").status_code == 401
    locked = _post_login(client, user.email, "not the password")
    assert locked.status_code == 429
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    assert "Liian monta epäonnistunutta kirjautumista. Yritä uudelleen 15 min kuluttua." in (
        locked.text
    )
    # Locked: even the right password is not checked.
    right = _post_login(client, user.email, PASSWORD)
    assert right.status_code == 429
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(LANG_COOKIE, "en")
    assert "Too many failed logins. Try again in 15 min." in (
        _post_login(client, user.email, PASSWORD).text
    )


def test_unknown_accounts_are_locked_like_real_ones(client: TestClient) -> None:
    answers = [
        _post_login(client, "nobody@example.com", "not the password").status_code for _ in range(5)
    ]
    assert answers == [401, 401, 401, 401, 429]


def test_the_lockout_ends_and_a_success_forgives_the_account_only(
    strict_app: FastAPI, factory: Factory, db: Session
) -> None:
    user = factory.user()
    client = TestClient(strict_app)
    assert _post_login(client, user.email, "not the password").status_code == 401
    assert _post_login(client, user.email, "not the password").status_code == 401
    assert _post_login(client, user.email, PASSWORD).status_code == 303
    failures = sorted(db.scalars(select(LoginThrottle.failures)))
    # The account's row is gone; the address keeps its two failures.
    assert failures == [2]
    # The third failure from the address locks it, for every account.
    other = factory.user()
    assert _post_login(client, other.email, "not the password").status_code == 429
    assert _post_login(TestClient(strict_app), user.email, PASSWORD).status_code == 429
    # When the lockout has run out, the address starts a new window.
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.locked_until.is_not(None))
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    assert _post_login(client, user.email, PASSWORD).status_code == 303
    # The other account's one failure, and the address's three (its lockout over).
    assert sorted(db.scalars(select(LoginThrottle.failures))) == [1, 3]
    assert _post_login(client, other.email, "not the password").status_code == 401
    assert sorted(db.scalars(select(LoginThrottle.failures))) == [1, 2]


def test_failures_from_another_address_count_only_for_the_account(
    strict_app: FastAPI, factory: Factory
) -> None:
    user = factory.user()
    first = TestClient(strict_app, client=("198.51.100.1", 40000))
    second = TestClient(strict_app, client=("198.51.100.2", 40000))
    for n in range(3):
        answer = _post_login(first, f"guess{n}@example.com", "not the password")
        assert answer.status_code == (429 if n == 2 else 401)
    assert _post_login(first, user.email, PASSWORD).status_code == 429
    assert _post_login(second, user.email, PASSWORD).status_code == 303


def test_concurrent_failures_are_each_counted(engine: Engine, settings: Settings) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the race is PostgreSQL's: SQLite serialises every writer")
    generous = settings.model_copy(update={"login_max_failures": 1000})
    email = f"race-{uuid.uuid4().hex}@example.com"
    threads, attempts = 8, 2
    start = threading.Barrier(threads)
    outcomes: list[str] = []

    def guess(thread: int) -> None:
        start.wait()
        for attempt in range(attempts):
            with Session(engine) as db:
                try:
                    auth.authenticate(
                        db, generous, email, "not the password", f"192.0.2.{thread * 10 + attempt}"
                    )
                except auth.LoginFailed:
                    outcomes.append("failed")

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    account, _address = auth.failure_counters(generous, email, "192.0.2.0")
    try:
        with Session(engine) as db:
            counted = db.scalar(
                select(LoginThrottle.failures).where(LoginThrottle.bucket == account.bucket)
            )
        assert outcomes == ["failed"] * (threads * attempts)
        assert counted == threads * attempts
    finally:
        addresses = [
            auth.failure_counters(generous, email, f"192.0.2.{n}")[1].bucket
            for n in range(threads * 10)
        ]
        with Session(engine) as db:
            db.execute(
                delete(LoginThrottle).where(LoginThrottle.bucket.in_([account.bucket, *addresses]))
            )
            db.commit()


def test_old_counters_are_purged(db: Session, settings: Settings) -> None:
    now = utcnow()
    db.add_all(
        [
            LoginThrottle(bucket="old", window_started_at=now - timedelta(days=2), failures=3),
            LoginThrottle(bucket="recent", window_started_at=now - timedelta(hours=2), failures=1),
            LoginThrottle(
                bucket="locked-long",
                window_started_at=now - timedelta(days=2),
                failures=5,
                locked_until=now + timedelta(hours=1),
            ),
        ]
    )
    db.commit()
    assert auth.purge_login_throttles(db, settings) == 1
    assert sorted(db.scalars(select(LoginThrottle.bucket))) == ["locked-long", "recent"]

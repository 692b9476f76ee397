"""Test harness: PostgreSQL whenever it can be had, one migration per run, and every test
rolled back (SQLAlchemy's "joining a session into an external transaction" recipe)."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.api.deps import get_db, get_reading_db
from app.db.migrations import upgrade_to_head
from app.db.session import make_engine
from app.main import create_app
from app.services import auth
from app.services.reference import ensure_reference_data
from app.settings import Settings
from tests.factories import Factory

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _start_container() -> str | None:
    try:
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver="psycopg")
        container.start()
    except Exception as exc:  # docker.errors.DockerException and friends: no engine here
        warnings.warn(f"testcontainers could not start PostgreSQL: {exc}", stacklevel=1)
        return None
    return str(container.get_connection_url())


def _resolve_database_url(tmp_dir: str) -> str:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    if url := _start_container():
        return url
    if os.environ.get("CI") == "true":
        pytest.exit("CI must test against PostgreSQL: set TEST_DATABASE_URL", returncode=1)
    warnings.warn(
        "\n\n*** NO POSTGRESQL: the tests run on SQLite. Production runs on PostgreSQL; "
        "set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test ***\n",
        stacklevel=1,
    )
    return f"sqlite:///{tmp_dir}/test.db"


def _per_worker_database(base_url: str, worker_id: str) -> str:
    """Under pytest-xdist each worker gets a fresh database of its own, since every
    session starts from an empty schema. Dropping a whole database takes no lock per
    table, unlike dropping a schema of them, so workers never exhaust the lock table."""
    url = make_url(base_url)
    if worker_id == "master":
        return base_url
    if url.get_backend_name() == "sqlite" and url.database:
        # A new file of its own beside the named one (with its write-ahead log).
        path = Path(url.database)
        path = path.with_name(f"{path.stem}_{worker_id}{path.suffix}")
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return url.set(database=str(path)).render_as_string(hide_password=False)
    if url.get_backend_name() != "postgresql":
        return base_url
    name = f"{url.database}_{worker_id}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    return _per_worker_database(
        _resolve_database_url(str(tmp_path_factory.mktemp("db"))), worker_id
    )


@contextmanager
def fresh_database(base_url: str, tmp_dir: str) -> Iterator[str]:
    """An empty database of the same kind as the test database, dropped afterwards."""
    url = make_url(base_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_dir}/fresh-{uuid.uuid4().hex}.db"
        return
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def scratch_database(database_url: str, tmp_path: os.PathLike[str]) -> Iterator[str]:
    with fresh_database(database_url, str(tmp_path)) as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Argon2id at its recommended cost takes about 0.2 s per hash and per check; the
    suite creates and logs in thousands of users. The same algorithm at its lowest
    cost keeps hashing real (the hashes still verify and never equal the password)
    without that cost, as Django advises for test settings. Production keeps
    pwdlib's recommended parameters."""
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", cheap)
        patch.setattr(auth, "_DUMMY_HASH", cheap.hash("not-a-real-password"))
        yield


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        storage_dir=tmp_path_factory.mktemp("storage"),
    )


def serve_sessions_from(app: FastAPI, provider: Callable[..., Any]) -> None:
    """Every session the app's routes ask for, read-write or reading, from `provider`."""
    for dependency in (get_db, get_reading_db):
        app.dependency_overrides[dependency] = provider


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    with rolled_back_session(engine) as session:
        yield session


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    def _test_db(request: Request) -> Iterator[Session]:
        request.state.db = db
        yield db

    serve_sessions_from(app, _test_db)
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()


@pytest.fixture
def make_client(app: FastAPI, db: Session) -> Iterator[Callable[[], TestClient]]:
    """Extra independent browsers/clients sharing the test's transaction."""

    def _test_db(request: Request) -> Iterator[Session]:
        request.state.db = db
        yield db

    serve_sessions_from(app, _test_db)
    clients: list[TestClient] = []

    def _make() -> TestClient:
        c = TestClient(app)
        clients.append(c)
        return c

    yield _make
    for c in clients:
        c.close()
    app.dependency_overrides.clear()


@pytest.fixture
def factory(db: Session) -> Factory:
    return Factory(db)

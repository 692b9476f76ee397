"""Engine and session factory. One engine per process; one session per request or job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

# Connections a PostgreSQL pool may open beyond its size during a burst (closed once
# returned): with the size, a process's ceiling against the server's max_connections.
BURST_CONNECTIONS = 5


def make_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> Engine:
    """An engine for the URL. `pool_size` sizes a PostgreSQL pool (a request thread holds
    one connection); SQLite keeps its driver's own pool."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # SQLite ignores foreign keys unless asked on every connection.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    # Sessions in UTC: psycopg then returns timestamps already in UTC, so reading a
    # list of rows needs no time zone conversions.
    connect_args = {"options": "-c timezone=UTC", **kwargs.pop("connect_args", {})}
    if pool_size is not None:
        kwargs.update(pool_size=pool_size, max_overflow=BURST_CONNECTIONS)
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class ReadOnlySessionError(RuntimeError):
    """A write was attempted through a session made for reading."""


def make_reading_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read (the public portal's pages). Each statement
    runs on its own (autocommit): no BEGIN before the first and no ROLLBACK when the
    session closes (a site page made five round trips, now three). The statements of
    one page may therefore see different commits. A write through one is refused."""
    factory = sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )

    @event.listens_for(factory, "do_orm_execute")
    def _refuse_writes(state: ORMExecuteState) -> None:
        if not state.is_select:
            raise ReadOnlySessionError("This session only reads.")

    # Called only when the session holds changes to write.
    @event.listens_for(factory, "before_flush")
    def _refuse_flush(_session: Session, _context: Any, _instances: Any) -> None:
        raise ReadOnlySessionError("This session only reads.")

    return factory


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for a job or command; the code inside commits what it means to keep."""
    db = factory()
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    finally:
        db.close()

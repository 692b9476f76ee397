"""What an app process sets up for serving under load: as many database connections
kept open as it serves requests at once (`DATABASE_POOL_SIZE`), templates read from
disk once outside development, and public pages read without a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, event, func, select, update

from app.api.deps import get_reading_db
from app.db.models.reference import Industry
from app.db.session import ReadOnlySessionError, make_reading_session_factory
from app.main import create_app
from app.settings import Settings
from app.web import portal, templating


def test_a_burst_of_requests_leaves_its_connections_open_for_the_next(
    settings: Settings,
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("the pool is sized for PostgreSQL only")
    app = create_app(settings.model_copy(update={"database_pool_size": 8}))
    engine = app.state.engine
    try:
        burst = [engine.connect() for _ in range(8)]
        for connection in burst:
            connection.close()
        # All eight wait for the next burst. SQLAlchemy's default pool kept five and
        # closed the others: under load, every request beyond five connected anew.
        assert engine.pool.checkedin() == 8  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_the_pool_size_is_checked_when_the_settings_load() -> None:
    with pytest.raises(ValidationError, match="database_pool_size"):
        Settings(database_pool_size=0)


@pytest.mark.parametrize(("environment", "reloads"), [("development", True), ("test", False)])
def test_templates_are_checked_for_changes_only_while_developing(
    settings: Settings, environment: str, reloads: bool
) -> None:
    app = create_app(settings.model_copy(update={"environment": environment}))
    try:
        assert portal.templates.env.auto_reload is reloads
        assert templating.templates.env.auto_reload is reloads
    finally:
        app.state.engine.dispose()
        create_app(settings).state.engine.dispose()  # as the other tests expect


def _in_autocommit(dbapi_connection: Any) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.isolation_level is None
    return bool(dbapi_connection.autocommit)  # psycopg


@pytest.mark.parametrize(
    "path",
    [
        "/en/sites",
        "/fi/sites?kind=premises",
        "/en/sites/no-such-site",
        "/en/municipalities/205",
        "/en/industries/technology",
        "/en/compare?sites=one,two",
        "/sitemap.xml",
        "/ogc/collections/sites/items?f=json",
        "/ogc/collections/sites/items/no-such-site?f=json",
        "/feeds/sites.atom",
        "/feeds/205/sites.json",
        "/embed/205",
    ],
)
def test_a_portal_page_reads_without_opening_a_transaction(
    settings: Settings, engine: Engine, path: str
) -> None:
    """Every statement of a public page, feed or open-data answer runs on its own: no
    BEGIN before the first, no ROLLBACK after the last (two round trips of a page's few),
    and none of them writes (the session would refuse)."""
    app = create_app(settings)
    portal.render_cache.clear()  # else the content version may be known from before
    statements: list[tuple[str, bool]] = []

    @event.listens_for(app.state.engine, "before_cursor_execute")
    def _record(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append((statement, _in_autocommit(conn.connection.dbapi_connection)))

    try:
        with TestClient(app) as client:
            answer = client.get(path)
        assert answer.status_code in (200, 404), answer.text
        assert statements
        assert all(autocommit for _, autocommit in statements), statements
    finally:
        app.state.engine.dispose()


def test_a_reading_session_refuses_to_write(engine: Engine) -> None:
    factory = make_reading_session_factory(engine)
    with factory() as db:
        assert db.execute(select(func.count()).select_from(Industry)).scalar_one() >= 0
        with pytest.raises(ReadOnlySessionError):
            db.execute(update(Industry).values(name_en="Changed"))
        db.add(Industry(code="read_only_probe", name_fi="Koe", name_en="Probe"))
        with pytest.raises(ReadOnlySessionError):
            db.flush()
        db.rollback()
    with factory() as db:
        assert db.get(Industry, "read_only_probe") is None
        assert "Changed" not in db.scalars(select(Industry.name_en)).all()


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def test_only_routes_that_answer_get_read_through_a_reading_session(app: FastAPI) -> None:
    reading = [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
        and get_reading_db in _dependencies(route.original_route.dependant)
    ]
    assert len(reading) > 20  # the portal's pages in each language, feeds, open data
    assert all(route.methods == {"GET"} for route in reading), [
        (route.path, route.methods) for route in reading if route.methods != {"GET"}
    ]

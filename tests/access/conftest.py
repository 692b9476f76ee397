"""The planted world and one client per role, shared by the read and write matrices.

The world lives in one outer transaction on one connection for the whole module; each
request gets a fresh ORM session joined to that connection through a SAVEPOINT."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.settings import Settings
from app.web.session import SESSION_COOKIE
from tests.access.world import ROLES, World, build_world
from tests.conftest import serve_sessions_from


@pytest.fixture(scope="module")
def world_connection(engine: Engine, settings: Settings) -> Iterator[tuple[Session, World]]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    world = build_world(session, settings)
    try:
        yield session, world
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def matrix_clients(
    app: FastAPI, world_connection: tuple[Session, World]
) -> Iterator[dict[str, TestClient]]:
    session, world = world_connection
    connection = session.connection()

    def _request_db() -> Iterator[Session]:
        db = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield db
        finally:
            db.close()

    serve_sessions_from(app, _request_db)
    clients = {}
    for role in ROLES:
        creds = world.roles[role]
        client = TestClient(app, raise_server_exceptions=False)
        if creds.api_token:
            client.headers["Authorization"] = f"Bearer {creds.api_token}"
        if creds.session_token:
            client.cookies.set(SESSION_COOKIE, creds.session_token)
        clients[role] = client
    try:
        yield clients
    finally:
        for client in clients.values():
            client.close()
        app.dependency_overrides.clear()

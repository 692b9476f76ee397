"""Property-based fuzzing of every operation in /openapi.json (Schemathesis), as a
coordinator and as a municipal contact, against PostgreSQL.

It fails on any 5xx, on any response whose body does not match the documented schema, and
on any status code, content type or header the document does not declare. The seed is
fixed and the number of examples per operation bounded, so a run is repeatable and takes
a minute or two. Records are planted once per module (tests/foundation/api_world.py) so
that most generated path ids exist; each request runs in a savepoint that is rolled back,
so no example sees another's writes and the database is left as it was.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from app.api.openapi import build_openapi
from app.main import create_app
from app.settings import Settings
from tests.conftest import serve_sessions_from
from tests.factories import Factory
from tests.foundation.api_world import ApiWorld, plant

SEED = 20261130
MAX_EXAMPLES = 6

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "allow-x00": True,
            "database": "none",
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
            "fuzzing": {"enabled": True},
        },
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "response_headers_conformance": {"enabled": True},
        },
    }
)

# The document as the application builds it; no database is touched to build it.
_DOCUMENT = build_openapi(
    create_app(Settings(environment="test", database_url="sqlite://", secret_key="x" * 48))
)
schema = schemathesis.openapi.from_dict(_DOCUMENT, config=CONFIG)


class FuzzWorld:
    def __init__(self, connection: Connection, world: ApiWorld) -> None:
        self.connection = connection
        self.world = world


@pytest.fixture(scope="module")
def fuzz_world(app: FastAPI, engine: Engine) -> Iterator[FuzzWorld]:
    """One transaction for the module, the planted records in it; every request of the
    fuzz test gets a savepoint inside it (see `_send`)."""
    connection = engine.connect()
    outer = connection.begin()

    def _db() -> Iterator[Session]:
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()

    serve_sessions_from(app, _db)
    planting = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        with TestClient(app) as client:
            world = plant(client, Factory(planting))
        yield FuzzWorld(connection, world)
    finally:
        planting.close()
        app.dependency_overrides.clear()
        outer.rollback()
        connection.close()


def _keeps_generated(value: Any) -> bool:
    """About one path value in four stays as generated, so 404s are exercised too."""
    return hashlib.sha256(str(value).encode()).digest()[0] % 4 == 0


def _plant_ids(case: Any, world: ApiWorld) -> None:
    for name in re.findall(r"{(\w+)}", case.path):
        value = (case.path_parameters or {}).get(name)
        planted = world.id_for(case.path, name)
        if planted is None or value is None or _keeps_generated(value):
            continue
        if name.endswith("_id"):
            try:
                uuid.UUID(str(value))
            except ValueError:
                continue  # a negative example: keep the malformed id
        case.path_parameters[name] = planted


def _send(case: Any, fuzz: FuzzWorld, app: FastAPI, role: str) -> None:
    _plant_ids(case, fuzz.world)
    savepoint = fuzz.connection.begin_nested()
    try:
        case.call_and_validate(headers=fuzz.world.headers[role], app=app)
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@schema.parametrize()
def test_api_as_coordinator(case: Any, fuzz_world: FuzzWorld, app: FastAPI) -> None:
    _send(case, fuzz_world, app, "coordinator")


@schema.parametrize()
def test_api_as_municipal_contact(case: Any, fuzz_world: FuzzWorld, app: FastAPI) -> None:
    _send(case, fuzz_world, app, "municipal_contact")

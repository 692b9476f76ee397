"""Liveness, readiness, and readiness refusing a database behind the code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database_revision"] == response.json()["code_revision"]


def test_readyz_is_503_when_database_is_behind(scratch_database: str) -> None:
    app = create_app(
        Settings(environment="test", database_url=scratch_database, secret_key=TEST_SECRET)
    )
    with TestClient(app) as client:
        response = client.get("/readyz")
    app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["database_revision"] == []


def test_readyz_is_503_when_database_is_unreachable() -> None:
    app = create_app(
        Settings(
            environment="test",
            secret_key=TEST_SECRET,
            database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        )
    )
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"

"""Clients of the operators' endpoints: from this host (as Prometheus beside the
service), sharing the test's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import serve_sessions_from

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def local_client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    def _test_db() -> Iterator[Session]:
        yield db

    serve_sessions_from(app, _test_db)
    with TestClient(app, client=LOOPBACK) as test_client:
        yield test_client
    app.dependency_overrides.clear()

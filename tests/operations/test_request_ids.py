"""One request id per request: in the answer's header, every JSON log line of the
request and the audit entries of what it changed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry
from app.domain.access import Role
from app.logs import RequestIdFilter, formatter, logging_config
from tests.factories import Factory


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger writing JSON lines into a buffer, as with LOG_FORMAT=json."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter("json"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_request_id_reaches_the_header_the_log_and_the_audit_entry(
    client: TestClient, db: Session, factory: Factory, json_log: io.StringIO
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    response = client.post(
        "/api/v1/organizations",
        json={"name": "Kainuun Datakeskus Oy", "type": "company", "country": "FI"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    # The application's lines (not the test client's own about its request).
    lines = [line for line in lines if line["logger"].startswith(("app", "invest_kainuu"))]
    [access] = [line for line in lines if line["logger"] == "invest_kainuu.access"]
    assert access["request_id"] == request_id
    assert (access["method"], access["path"], access["status"]) == (
        "POST",
        "/api/v1/organizations",
        201,
    )
    assert access["level"] == "INFO" and access["duration_ms"] >= 0
    assert datetime.fromisoformat(access["time"]).utcoffset().total_seconds() == 0
    assert all(line["request_id"] == request_id for line in lines)

    [entry] = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "organizations",
            AuditEntry.entity_id == response.json()["id"],
        )
    ).all()
    assert entry.request_id == request_id


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("edge-7f3a:42.1", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_well_formed(
    client: TestClient, incoming: str, kept: bool
) -> None:
    answered = client.get("/healthz", headers={"X-Request-ID": incoming})
    request_id = answered.headers["x-request-id"]
    assert (request_id == incoming) is kept
    assert 1 <= len(request_id) <= 64


def test_refusals_at_the_edge_carry_a_request_id_too(client: TestClient) -> None:
    refused = client.get("/leads?q=%00", headers={"X-Request-ID": "probe-1"})
    assert refused.status_code == 400
    assert refused.headers["x-request-id"] == "probe-1"


def test_the_logging_configuration_of_the_processes_writes_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        logging.config.dictConfig(logging_config("json"))
        logging.getLogger("invest_kainuu.scheduler").info("job %s finished", "send-email")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    [line] = capsys.readouterr().err.splitlines()
    assert json.loads(line) | {"time": None} == {
        "time": None,
        "level": "INFO",
        "logger": "invest_kainuu.scheduler",
        "message": "job send-email finished",
        "request_id": None,
    }

"""Builders for the lead-pipeline tests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.models import User
from app.domain.access import Role
from tests.factories import Factory


class Pipeline:
    """A coordinator with a token, and helpers that go through the HTTP API."""

    def __init__(self, client: TestClient, factory: Factory) -> None:
        self.client = client
        self.factory = factory
        self.coordinator, self.headers = factory.api_user(Role.COORDINATOR)

    def user(self, role: Role, **kwargs: Any) -> tuple[User, dict[str, str]]:
        return self.factory.api_user(role, **kwargs)

    def org(self, headers: dict[str, str] | None = None, **values: Any) -> dict[str, Any]:
        body = {"name": "Nordic Batteries Oy", "type": "company", "country": "FI", **values}
        response = self.client.post(
            "/api/v1/organizations", json=body, headers=headers or self.headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def lead(self, headers: dict[str, str] | None = None, **values: Any) -> dict[str, Any]:
        body = {
            "title": "Battery precursor plant",
            "investment_type": "greenfield_fdi",
            "source": "invest_in_finland",
            **values,
        }
        response = self.client.post("/api/v1/leads", json=body, headers=headers or self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def move(self, lead_id: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
        return self.client.post(
            f"/api/v1/leads/{lead_id}/stage", json=body, headers=headers or self.headers
        )


@pytest.fixture
def pipeline(client: TestClient, factory: Factory) -> Pipeline:
    return Pipeline(client, factory)


def problem_fields(response: Any) -> set[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {(e["field"], e["code"]) for e in response.json()["errors"]}

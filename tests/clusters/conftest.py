"""Builders for the cluster tests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.models import Organization
from app.domain.access import Role
from tests.factories import Factory


class Clusters:
    def __init__(self, client: TestClient, factory: Factory) -> None:
        self.client = client
        self.factory = factory
        self.coordinator, self.headers = factory.api_user(Role.COORDINATOR)

    def org(self, name: str) -> Organization:
        return self.factory.organization(name=name)

    def cluster(self, **values: Any) -> dict[str, Any]:
        body = {
            "name": "Battery minerals cluster",
            "industry_codes": ["mining_chemicals"],
            **values,
        }
        response = self.client.post("/api/v1/clusters", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=headers or self.headers)

    def page(self, cluster_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/clusters/{cluster_id}", headers=headers or self.headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def cl(client: TestClient, factory: Factory) -> Clusters:
    return Clusters(client, factory)


def problem_fields(response: Any) -> set[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {(e["field"], e["code"]) for e in response.json()["errors"]}

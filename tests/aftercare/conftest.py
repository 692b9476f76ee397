"""Builders for the aftercare tests: API callers per role and a landed lead."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db.models import Lead, Organization, User
from app.domain.access import Role
from tests.factories import Factory


class Aftercare:
    def __init__(self, client: TestClient, factory: Factory) -> None:
        self.client = client
        self.factory = factory
        self.coordinator, self.headers = factory.api_user(Role.COORDINATOR)

    def org(self, name: str, **values: Any) -> Organization:
        return self.factory.organization(name=name, **values)

    def land(
        self,
        org: Organization,
        *,
        municipality: str = "205",
        realised: int = 12_000_000,
        landed_on: date,
        owner: User | None = None,
        **values: Any,
    ) -> Lead:
        """A lead of `org` moved to landed through the API."""
        lead = self.factory.lead(
            owner=owner or self.coordinator,
            stage="negotiation",
            organization_id=org.id,
            industry_code="forest_bioeconomy",
            capex_eur=realised,
            **values,
        )
        response = self.client.post(
            f"/api/v1/leads/{lead.id}/stage",
            json={
                "to_stage": "landed",
                "landing_municipality_code": municipality,
                "realised_capex_eur": realised,
                "capex_status": "realised",
                "landed_on": landed_on.isoformat(),
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return lead

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=headers or self.headers)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=headers or self.headers)

    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.patch(path, json=body, headers=headers or self.headers)

    def accounts(self, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        response = self.get("/api/v1/aftercare/accounts", headers)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def account(self, account_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.get(f"/api/v1/aftercare/accounts/{account_id}", headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def checkin_tasks(self, account_id: str) -> list[dict[str, Any]]:
        response = self.get("/api/v1/tasks", status="all", limit=200)
        assert response.status_code == 200, response.text
        return [
            t
            for t in response.json()["items"]
            if t["origin_type"] == "aftercare_checkin" and t["origin_id"] == account_id
        ]


@pytest.fixture
def ac(client: TestClient, factory: Factory) -> Aftercare:
    return Aftercare(client, factory)


def problem_fields(response: Any) -> set[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {(e["field"], e["code"]) for e in response.json()["errors"]}

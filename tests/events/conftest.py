"""Builders for the event tests: a coordinator, host contacts and API helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from app.db.models import User
from app.domain.access import Role
from tests.factories import Factory


class Events:
    def __init__(self, client: TestClient, factory: Factory) -> None:
        self.client = client
        self.factory = factory
        self.coordinator, self.headers = factory.api_user(Role.COORDINATOR)
        # Whole minutes: iCalendar carries seconds, never microseconds.
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)

    def user(self, role: Role, **kwargs: Any) -> tuple[User, dict[str, str]]:
        return self.factory.api_user(role, **kwargs)

    def contact(self, email: str = "li.wei@example.cn", **values: Any) -> dict[str, Any]:
        org = self.factory.organization(name=values.pop("org_name", "Nordic Cathode Ltd"))
        body = {
            "full_name": "Li Wei",
            "email": email,
            "organization_id": str(org.id),
            "lawful_basis": "legitimate_interest",
            "source": "Invest in Finland referral",
            "language": "en",
            **values,
        }
        response = self.client.post("/api/v1/contacts", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def lead(self, **values: Any) -> dict[str, Any]:
        body = {
            "title": "Cathode materials plant",
            "investment_type": "greenfield_fdi",
            "source": "invest_in_finland",
            **values,
        }
        response = self.client.post("/api/v1/leads", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def event(self, **values: Any) -> dict[str, Any]:
        starts = values.pop("starts_at", self.now + timedelta(days=10))
        body = {
            "kind": "investor_visit",
            "title": "Visit of Project Falcon",
            "location": "Kajaani",
            "starts_at": starts.isoformat(),
            "ends_at": values.pop("ends_at", starts + timedelta(hours=8)).isoformat(),
            "host_municipality_codes": ["205", "765"],
            **values,
        }
        response = self.client.post("/api/v1/events", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(path, json=body, headers=headers or self.headers)


@pytest.fixture
def ev(client: TestClient, factory: Factory) -> Events:
    return Events(client, factory)


def parse_ics(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def vevents(calendar: Calendar) -> list[Any]:
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def problem_fields(response: Any) -> set[tuple[str, str]]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {(e["field"], e["code"]) for e in response.json()["errors"]}

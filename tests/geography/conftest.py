"""Sites made the way users make them (the API), so their distances are computed by the
same path as in production, and published by the coordinator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.access import Role
from app.services.sites import helsinki_today
from app.settings import Settings
from app.web.portal import render_cache
from tests.factories import Factory


@pytest.fixture(autouse=True)
def fresh_pages(settings: Settings) -> Iterator[None]:
    """Each test's rolled-back data must not meet pages cached by another test."""
    settings.portal_version_ttl_seconds = 0
    render_cache.clear()
    yield
    render_cache.clear()


@pytest.fixture
def coordinator(factory: Factory) -> dict[str, str]:
    return factory.api_user(Role.COORDINATOR)[1]


@pytest.fixture
def new_site(client: TestClient, coordinator: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """A site created over the API and published; returns its JSON."""

    def make(publish: bool = True, **values: Any) -> dict[str, Any]:
        body = {
            "kind": "industrial_plot",
            "name_fi": "Testitontti",
            "municipality_code": "205",
            "latitude": 64.2270,
            "longitude": 27.7285,
            "last_verified_on": (helsinki_today() - timedelta(days=10)).isoformat(),
            **values,
        }
        response = client.post("/api/v1/sites", json=body, headers=coordinator)
        assert response.status_code == 201, response.text
        site = response.json()
        if publish:
            published = client.post(f"/api/v1/sites/{site['id']}/publish", headers=coordinator)
            assert published.status_code == 200, published.text
            site = published.json()
        return site

    return make

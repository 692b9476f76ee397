"""Staff pages of clusters: the list, creating one, and its page with flagged agreements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from app.services.clusters import today
from tests.clusters.conftest import Clusters
from tests.factories import csrf_from


def test_cluster_pages(cl: Clusters, make_client: Callable[[], TestClient]) -> None:
    browser = make_client()
    cl.factory.login(browser, cl.coordinator)
    listing = browser.get("/clusters")
    assert listing.status_code == 200
    created = browser.post(
        "/clusters",
        data={
            "csrf_token": csrf_from(listing.text),
            "name": "Wood construction cluster",
            "industry_codes": ["forest_bioeconomy"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    org = cl.org("Paltamon Puu Oy")
    page = browser.get(url)
    member = browser.post(
        f"{url}/members",
        data={
            "csrf_token": csrf_from(page.text),
            "organization_id": str(org.id),
            "role": "member",
            "joined_on": "2025-01-01",
        },
        follow_redirects=False,
    )
    assert member.status_code == 303
    agreement = browser.post(
        f"{url}/agreements",
        data={
            "csrf_token": csrf_from(page.text),
            "party_organization_id": str(org.id),
            "title": "Sitoumus",
            "signed_on": "2025-01-01",
            "valid_until": (today() + timedelta(days=10)).isoformat(),
        },
        follow_redirects=False,
    )
    assert agreement.status_code == 303
    page = browser.get(url)
    assert "Paltamon Puu Oy" in page.text
    assert "state-expiring" in page.text
    invalid = browser.post(
        f"{url}/meetings",
        data={"csrf_token": csrf_from(page.text), "title": "", "held_on": ""},
    )
    assert invalid.status_code == 422
    assert "Please correct the following" in invalid.text

"""Rules of docs/access.md that the matrix found broken, each at the level a user meets it:
a municipality's internal work on a site (versions, audit trail) stays with it, and cluster
meeting minutes and attendees are not shared with the forum."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.domain.access import Role
from tests.factories import Factory


def test_site_history_stays_with_its_municipality(client: TestClient, factory: Factory) -> None:
    owner_headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")[1]
    body = {"municipality_code": "765", "kind": "industrial_plot", "name_fi": "Tontti A"}
    site = client.post("/api/v1/sites", json=body, headers=owner_headers)
    assert site.status_code == 201, site.text
    site_id = site.json()["id"]
    coordinator_headers = factory.api_user(Role.COORDINATOR)[1]
    for action in ("submit", "publish"):
        headers = owner_headers if action == "submit" else coordinator_headers
        moved = client.post(
            f"/api/v1/sites/{site_id}/{action}",
            json={"comment": "Kunnan sisäinen"},
            headers=headers,
        )
        assert moved.status_code == 200, moved.text

    outsiders = [
        factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")[1],
        factory.api_user(Role.PARTNER)[1],
        factory.api_user(Role.FORUM_VIEWER)[1],
    ]
    for headers in outsiders:
        # The published site itself is public ...
        assert client.get(f"/api/v1/sites/{site_id}", headers=headers).status_code == 200
        # ... its history is not, and is refused like a missing site.
        for url in (f"/api/v1/sites/{site_id}/versions", f"/api/v1/audit/sites/{site_id}"):
            refused = client.get(url, headers=headers)
            assert refused.status_code == 404, (url, refused.text)
    for headers in (owner_headers, coordinator_headers):
        versions = client.get(f"/api/v1/sites/{site_id}/versions", headers=headers)
        assert versions.status_code == 200
        assert "Kunnan sisäinen" in versions.text


def test_site_page_shows_versions_only_to_the_municipality(
    make_client: object, factory: Factory
) -> None:
    author = factory.user(Role.MUNICIPAL_CONTACT, municipality="765")
    site = factory.site(municipality="765", status="published", name_fi="Julkinen tontti")
    pages = {}
    for key, user in {
        "own": author,
        "other": factory.user(Role.MUNICIPAL_CONTACT, municipality="205"),
    }.items():
        browser = make_client()  # type: ignore[operator]
        factory.login(browser, user)
        page = browser.get(f"/sites/{site.id}")
        assert page.status_code == 200
        pages[key] = page.text
    assert 'id="versions-h"' in pages["own"]
    assert 'id="versions-h"' not in pages["other"]


def test_forum_reads_no_meeting_minutes_or_attendees(client: TestClient, factory: Factory) -> None:
    coordinator_headers = factory.api_user(Role.COORDINATOR)[1]
    cluster = client.post(
        "/api/v1/clusters",
        json={"name": "Forest bioeconomy", "industry_codes": ["forest_bioeconomy"]},
        headers=coordinator_headers,
    ).json()
    meetings_url = f"/api/v1/clusters/{cluster['id']}/meetings"
    made = client.post(
        meetings_url,
        json={
            "held_on": "2026-02-01",
            "title": "Quarterly meeting",
            "minutes": "Confidential negotiation status",
            "decisions": "Approach the investor in March",
        },
        headers=coordinator_headers,
    )
    assert made.status_code == 201, made.text

    forum_headers = factory.api_user(Role.FORUM_VIEWER)[1]
    page = client.get(f"/api/v1/clusters/{cluster['id']}", headers=forum_headers)
    assert page.status_code == 200
    assert "Confidential negotiation" not in page.text
    assert page.json()["recent_meetings"] == []
    assert client.get(meetings_url, headers=forum_headers).status_code == 403

    municipal_headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")[1]
    shared = client.get(meetings_url, headers=municipal_headers)
    assert shared.status_code == 200
    assert "Confidential negotiation" in shared.text

"""Sites over HTTP: creating, changing, the publish workflow, versions and permissions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.domain.access import Role
from tests.factories import Factory

PLOT: dict[str, Any] = {
    "kind": "industrial_plot",
    "name_fi": "Otanmäen teollisuustontti",
    "name_en": "Otanmäki industrial plot",
    "municipality_code": "205",
    "latitude": 64.12,
    "longitude": 27.1,
    "area_ha": "2.5",
    "area_m2": "25000",
    "available_power_mw": "5",
    "industry_codes": ["metal_machinery"],
    "external_ref": "KAJ-OT-1",
}


def create(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/sites", json={**PLOT, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_contact_creates_a_draft_in_their_own_municipality(
    client: TestClient, factory: Factory
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    site = create(client, headers)
    assert (site["status"], site["version"], site["slug"]) == (
        "draft",
        1,
        "kajaani-otanmaen-teollisuustontti",
    )
    assert (site["area_ha"], site["industry_codes"]) == (2.5, ["metal_machinery"])
    other = client.post("/api/v1/sites", json={**PLOT, "municipality_code": "765"}, headers=headers)
    assert other.status_code == 403


def test_invalid_site_reports_every_field(client: TestClient, factory: Factory) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    response = client.post(
        "/api/v1/sites",
        json={**PLOT, "area_m2": "30000", "latitude": 60.17, "longitude": 24.94},
        headers=headers,
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("area_m2", "area_mismatch"),
        ("latitude", "outside_region"),
    ]


def test_partner_and_forum_cannot_create(client: TestClient, factory: Factory) -> None:
    for role in (Role.PARTNER, Role.FORUM_VIEWER):
        _, headers = factory.api_user(role)
        assert client.post("/api/v1/sites", json=PLOT, headers=headers).status_code == 403


def test_submit_publish_withdraw_reopen_with_versions(client: TestClient, factory: Factory) -> None:
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = create(client, contact)
    url = f"/api/v1/sites/{site['id']}"

    submitted = client.post(f"{url}/submit", headers=contact).json()
    assert (submitted["status"], submitted["version"]) == ("submitted", 2)
    assert submitted["last_verified_on"] is not None  # submitting vouches for the data
    assert submitted["public_changed_at"] is None

    refused = client.post(f"{url}/publish", headers=contact)
    assert refused.status_code == 403
    queue = client.get("/api/v1/sites/review-queue", headers=coordinator).json()
    assert [s["id"] for s in queue] == [site["id"]]
    assert client.get("/api/v1/sites/review-queue", headers=contact).status_code == 403

    published = client.post(f"{url}/publish", headers=coordinator).json()
    assert (published["status"], published["version"]) == ("published", 3)
    assert published["public_changed_at"] is not None

    withdrawn = client.post(f"{url}/withdraw", headers=contact).json()
    assert (withdrawn["status"], withdrawn["version"]) == ("withdrawn", 4)
    assert withdrawn["public_changed_at"] > published["public_changed_at"]
    reopened = client.post(f"{url}/reopen", headers=contact).json()
    assert reopened["status"] == "draft"

    versions = client.get(f"{url}/versions", headers=contact).json()
    assert [(v["version"], v["action"]) for v in versions] == [
        (5, "reopen"),
        (4, "withdraw"),
        (3, "publish"),
        (2, "submit"),
        (1, "create"),
    ]
    assert versions[2]["snapshot"]["status"] == "published"
    assert versions[4]["snapshot"]["industry_codes"] == ["metal_machinery"]

    trail = client.get(f"/api/v1/audit/sites/{site['id']}", headers=coordinator).json()
    assert [e["action"] for e in trail][:1] == ["create"]
    assert any(e["changes"].get("status") == ["submitted", "published"] for e in trail)


def test_return_needs_a_comment_and_resubmission_is_allowed(
    client: TestClient, factory: Factory
) -> None:
    _, contact = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    _, coordinator = factory.api_user(Role.COORDINATOR)
    url = f"/api/v1/sites/{create(client, contact)['id']}"
    client.post(f"{url}/submit", headers=contact)
    missing = client.post(f"{url}/return", json={"comment": " "}, headers=coordinator)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["code"] == "required"
    returned = client.post(
        f"{url}/return", json={"comment": "Lisää kuvat."}, headers=coordinator
    ).json()
    assert (returned["status"], returned["review_comment"]) == ("returned", "Lisää kuvat.")
    again = client.post(f"{url}/submit", headers=contact).json()
    assert again["status"] == "submitted"
    wrong = client.post(f"{url}/withdraw", headers=contact)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["code"] == "invalid_transition"


def test_changes_are_versioned_and_public_ones_marked(client: TestClient, factory: Factory) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    site = create(client, coordinator)
    url = f"/api/v1/sites/{site['id']}"
    client.post(f"{url}/publish", headers=coordinator)
    before = client.get(url, headers=coordinator).json()

    same = client.patch(url, json={"name_fi": PLOT["name_fi"]}, headers=coordinator).json()
    assert same["version"] == before["version"]  # nothing changed, no new version

    changed = client.patch(
        url, json={"available_power_mw": "8", "industry_codes": []}, headers=coordinator
    ).json()
    assert (changed["version"], changed["available_power_mw"], changed["industry_codes"]) == (
        before["version"] + 1,
        8.0,
        [],
    )
    assert changed["public_changed_at"] > before["public_changed_at"]


def test_contacts_see_and_change_only_their_own(client: TestClient, factory: Factory) -> None:
    _, kajaani = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    _, sotkamo = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    draft = create(client, kajaani)
    published = factory.site(municipality="205", status="published")
    assert client.get(f"/api/v1/sites/{draft['id']}", headers=sotkamo).status_code == 404
    assert client.get(f"/api/v1/sites/{published.id}", headers=sotkamo).status_code == 200
    change = client.patch(
        f"/api/v1/sites/{published.id}", json={"name_fi": "Uusi"}, headers=sotkamo
    )
    assert change.status_code == 403
    moved = client.patch(
        f"/api/v1/sites/{draft['id']}", json={"municipality_code": "765"}, headers=kajaani
    )
    assert moved.status_code == 403
    listing = client.get("/api/v1/sites", headers=sotkamo).json()
    assert draft["id"] not in [s["id"] for s in listing["items"]]


def test_duplicate_external_ref_is_a_conflict(client: TestClient, factory: Factory) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    create(client, coordinator)
    again = client.post("/api/v1/sites", json=PLOT, headers=coordinator)
    assert again.status_code == 409

"""WordPress push against a stand-in for the WP REST API."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import SyndicationWordpressPost
from app.services.syndication import deliver_due, wordpress_slug
from app.settings import Settings
from tests.syndication.conftest import People, WordPress, publish_site


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (20, 90, 140)).save(out, format="JPEG")
    return out.getvalue()


def _add_target(client: TestClient, people: People, wordpress: WordPress, password: str) -> dict:
    response = client.post(
        "/api/v1/syndication/targets",
        json={
            "municipality_code": "205",
            "name": "kajaani.fi",
            "kind": "wordpress",
            "url": wordpress.url,
            "language": "en",
            "wp_username": "syndication",
            "wp_password": password,
        },
        headers=people.contact,
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_post_is_created_updated_and_unpublished(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    target = _add_target(client, people, wordpress, "abcd efgh ijkl mnop")
    assert (target["secret"], target["wp_post_type"]) == (None, "posts")
    created = client.post(
        "/api/v1/sites",
        json={
            "kind": "premises",
            "name_fi": "Halli",
            "name_en": "Hall",
            "description_en": "A hall.\n\nNear the airport.",
            "municipality_code": "205",
            "area_ha": "1.5",
        },
        headers=people.contact,
    ).json()
    upload = client.post(
        f"/api/v1/sites/{created['id']}/attachments",
        files={"file": ("hall.jpg", _jpeg(), "image/jpeg")},
        data={"title_en": "The hall from the yard"},
        headers=people.contact,
    )
    assert upload.status_code == 201, upload.text
    url = f"/api/v1/sites/{created['id']}"
    client.post(f"{url}/submit", headers=people.contact)
    site = client.post(f"{url}/publish", headers=people.coordinator).json()

    deliver_due(db, worker_settings)
    [(post_id, post)] = wordpress.posts.items()
    [(media_id, media)] = wordpress.media.items()
    assert (post["title"], post["status"], post["slug"], post["featured_media"]) == (
        "Hall",
        "publish",
        wordpress_slug(site),
        media_id,
    )
    assert post["slug"].startswith(site["slug"] + "-ik")
    assert "<p>Near the airport.</p>" in post["content"]
    assert f"{worker_settings.base_url}/en/sites/{site['slug']}" in post["content"]
    assert post["meta"]["invest_kainuu_site_id"] == site["id"]
    assert (media["type"], media["alt_text"]) == ("image/jpeg", "The hall from the yard")
    stored = db.scalars(select(SyndicationWordpressPost)).one()
    assert (stored.post_id, stored.media_id) == (post_id, media_id)

    client.patch(url, json={"name_en": "Large hall"}, headers=people.coordinator)
    deliver_due(db, worker_settings)
    assert list(wordpress.posts) == [post_id]  # updated in place
    assert wordpress.posts[post_id]["title"] == "Large hall"
    assert len(wordpress.media) == 1  # the photo did not change: not uploaded again

    client.post(f"{url}/withdraw", headers=people.contact)
    deliver_due(db, worker_settings)
    assert wordpress.posts[post_id]["status"] == "draft"


def test_wrong_application_password_fails_the_attempt(
    client: TestClient,
    db: Session,
    people: People,
    wordpress: WordPress,
    worker_settings: Settings,
) -> None:
    target = _add_target(client, people, wordpress, "wrong password")
    client.post(f"/api/v1/syndication/targets/{target['id']}/test", headers=people.contact)
    publish_site(client, people)
    deliver_due(db, worker_settings)
    assert wordpress.posts == {}
    log = client.get(
        "/api/v1/syndication/deliveries", params={"target_id": target["id"]}, headers=people.contact
    ).json()
    assert sorted((d["event_type"], d["status"], d["last_status_code"]) for d in log["items"]) == [
        ("ping", "failed", 401),
        ("site.published", "pending", 401),
    ]

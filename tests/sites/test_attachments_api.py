"""Attachments: content-sniffed, thumbnailed, private until the site is published."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.domain.access import Role
from tests.domain.test_packages import bilevel_png, png
from tests.factories import Factory
from tests.sites.conftest import db_counts, stored_files

PDF = b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


def test_photo_is_sniffed_thumbnailed_and_served(
    client: TestClient, factory: Factory, storage_dir: Path
) -> None:
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")
    site = factory.site(municipality="205", status="draft")
    photo = png((1200, 800))
    response = client.post(
        f"/api/v1/sites/{site.id}/attachments",
        files={"file": ("esite.pdf", photo, "application/pdf")},
        data={"title_fi": "Ilmakuva", "title_en": "Aerial view"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["content_type"], body["width"], body["has_thumbnail"]) == (
        "photo",
        "image/png",
        1200,
        True,
    )
    assert len(stored_files(storage_dir)) == 2
    url = f"/api/v1/sites/{site.id}/attachments/{body['id']}/content"
    content = client.get(url, headers=headers)
    assert (content.headers["content-type"], content.content) == ("image/png", photo)
    thumb = client.get(f"{url}?thumbnail=true", headers=headers)
    assert thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content.startswith(b"\xff\xd8\xff")
    again = client.get(f"/api/v1/sites/{site.id}", headers=headers).json()
    assert again["version"] == 2  # the attachment is a new version of the site


def test_private_until_published(client: TestClient, factory: Factory) -> None:
    _, coordinator = factory.api_user(Role.COORDINATOR)
    _, sotkamo = factory.api_user(Role.MUNICIPAL_CONTACT, municipality="765")
    site = factory.site(municipality="205", status="submitted")
    attachment = client.post(
        f"/api/v1/sites/{site.id}/attachments",
        files={"file": ("b.pdf", PDF, "application/pdf")},
        headers=coordinator,
    ).json()
    assert attachment["kind"] == "document"
    public_url = f"/site-files/{attachment['id']}"
    api_url = f"/api/v1/sites/{site.id}/attachments/{attachment['id']}/content"
    assert client.get(public_url).status_code == 404
    assert client.get(api_url, headers=sotkamo).status_code == 404
    client.post(f"/api/v1/sites/{site.id}/publish", headers=coordinator)
    public = client.get(public_url)
    assert (public.status_code, public.headers["content-type"]) == (200, "application/pdf")
    assert client.get(api_url, headers=sotkamo).status_code == 200


def test_refused_files_store_nothing(
    client: TestClient, factory: Factory, db: Session, storage_dir: Path
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    site = factory.site(municipality="205", status="draft")
    before = db_counts(db)
    cases = [
        ("kuva.jpg", b"<html>not an image</html>", "attachment_type"),
        ("pommi.png", bilevel_png(20_000, 20_000), "image_too_large"),
        ("tyhja.pdf", b"", "empty_file"),
    ]
    for name, data, code in cases:
        response = client.post(
            f"/api/v1/sites/{site.id}/attachments",
            files={"file": (name, data, "image/jpeg")},
            headers=headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == code
    photo = client.post(
        f"/api/v1/sites/{site.id}/attachments",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        data={"kind": "photo"},
        headers=headers,
    )
    assert photo.status_code == 422
    assert db_counts(db) == before
    assert stored_files(storage_dir) == []


def test_update_and_delete_attachment(
    client: TestClient, factory: Factory, storage_dir: Path
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    site = factory.site(municipality="205", status="published")
    base = f"/api/v1/sites/{site.id}/attachments"
    attachment = client.post(
        base, files={"file": ("k.pdf", PDF, "application/pdf")}, headers=headers
    ).json()
    changed = client.patch(
        f"{base}/{attachment['id']}", json={"kind": "map", "title_en": "Map"}, headers=headers
    ).json()
    assert (changed["kind"], changed["title_en"]) == ("map", "Map")
    other = factory.site(municipality="205", status="draft")
    wrong_site = client.delete(
        f"/api/v1/sites/{other.id}/attachments/{attachment['id']}", headers=headers
    )
    assert wrong_site.status_code == 404
    assert client.delete(f"{base}/{attachment['id']}", headers=headers).status_code == 204
    assert client.get(base, headers=headers).json() == []
    assert stored_files(storage_dir) == []
    versions = client.get(f"/api/v1/sites/{site.id}/versions", headers=headers).json()
    assert [v["action"] for v in versions] == ["attachment", "attachment", "attachment"]

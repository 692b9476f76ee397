"""STORAGE_BACKEND=database over HTTP: a site's photo goes into `stored_files`, comes back
from there, and leaves no row behind when the upload's transaction fails."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.domain.access import Role
from app.settings import Settings
from app.storage import DatabaseStorage, storage_for
from tests.domain.test_packages import png
from tests.factories import Factory
from tests.sites.conftest import stored_files


@pytest.fixture
def database_storage(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DatabaseStorage]:
    if settings.is_sqlite:
        pytest.skip("the database backend needs PostgreSQL")
    monkeypatch.setattr(settings, "storage_backend", "database")
    storage = storage_for(settings)
    assert isinstance(storage, DatabaseStorage)
    # Files are committed on the storage's own connection, outside the test's transaction.
    yield storage
    for key in list(storage.keys()):
        storage.delete(key)


def test_photo_upload_and_download_through_the_database(
    client: TestClient,
    factory: Factory,
    database_storage: DatabaseStorage,
    storage_dir: Path,
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    site = factory.site(municipality="205", status="submitted")
    photo = png((640, 480))
    response = client.post(
        f"/api/v1/sites/{site.id}/attachments",
        files={"file": ("kuva.png", photo, "image/png")},
        data={"title_fi": "Ilmakuva"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    attachment = response.json()
    sha = hashlib.sha256(photo).hexdigest()
    assert sorted(database_storage.keys()) == [
        f"sites/{sha[:2]}/{sha}",
        f"thumbs/{sha[:2]}/{sha}.jpg",
    ]
    assert stored_files(storage_dir) == []  # nothing in the local folder
    content = client.get(
        f"/api/v1/sites/{site.id}/attachments/{attachment['id']}/content", headers=headers
    )
    assert (content.status_code, content.content) == (200, photo)
    client.post(f"/api/v1/sites/{site.id}/publish", headers=headers)
    public = client.get(f"/site-files/{attachment['id']}")
    assert (public.status_code, public.content) == (200, photo)
    thumbnail = client.get(f"/site-files/{attachment['id']}/thumbnail")
    assert thumbnail.content.startswith(b"\xff\xd8\xff")


def test_a_failed_upload_leaves_no_stored_file(
    client: TestClient,
    factory: Factory,
    database_storage: DatabaseStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    site = factory.site(municipality="205", status="draft")

    def fail_after_the_files_were_put(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the database gave up")

    monkeypatch.setattr("app.services.sites.attachment_row", fail_after_the_files_were_put)
    with pytest.raises(RuntimeError, match="gave up"):
        client.post(
            f"/api/v1/sites/{site.id}/attachments",
            files={"file": ("kuva.png", png((64, 48)), "image/png")},
            headers=headers,
        )
    assert list(database_storage.keys()) == []

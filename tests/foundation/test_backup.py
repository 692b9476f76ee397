"""`invest-kainuu backup` and `restore`: a world with a published site, its photo and its
audit trail survives a backup restored into an empty database and an empty storage."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app import cli
from app.db.models import AuditEntry
from app.db.session import make_engine
from app.main import create_app
from app.settings import get_settings
from tests.conftest import TEST_SECRET, fresh_database
from tests.domain.test_packages import png
from tests.factories import Factory


@dataclass(frozen=True)
class World:
    backup: Path
    site_id: str
    attachment_id: str
    headers: dict[str, str]
    photo: bytes
    audit_trail: list[tuple[Any, ...]]


def use(monkeypatch: pytest.MonkeyPatch, database_url: str, storage_dir: Path, **env: str) -> None:
    """Points the command line (and `get_settings`) at one database and storage."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STORAGE_DIR", str(storage_dir))
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("STORAGE_BACKEND", env.get("STORAGE_BACKEND", "local"))
    get_settings.cache_clear()


def audit_trail(database_url: str) -> list[tuple[Any, ...]]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            entries = db.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [
                (e.id, e.at, e.actor_user_id, e.action, e.entity_type, e.entity_id, e.changes)
                for e in entries
            ]
    finally:
        engine.dispose()


def build_world(database_url: str, folder: Path) -> World:
    """Migrates, then publishes a site with a photo through the API, and backs it up."""
    assert cli.main(["migrate"]) == 0
    app = create_app(get_settings())
    with Session(app.state.engine) as db:
        factory = Factory(db)
        _, headers = factory.api_user()
        site_id = str(factory.site(municipality="205", status="submitted").id)
    photo = png((320, 200))
    with TestClient(app) as client:
        uploaded = client.post(
            f"/api/v1/sites/{site_id}/attachments",
            files={"file": ("ilmakuva.png", photo, "image/png")},
            data={"title_fi": "Ilmakuva"},
            headers=headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        published = client.post(f"/api/v1/sites/{site_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
    app.state.engine.dispose()
    trail = audit_trail(database_url)
    assert {entry[4] for entry in trail} >= {"sites", "site_attachments"}
    assert cli.main(["backup", str(folder)]) == 0
    return World(folder, site_id, uploaded.json()["id"], headers, photo, trail)


@pytest.fixture(scope="module")
def postgres_world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if database_url.startswith("sqlite"):
        pytest.skip("pg_dump and pg_restore need PostgreSQL")
    folder = tmp_path_factory.mktemp("backup-source")
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        fresh_database(database_url, str(folder)) as source,
    ):
        use(monkeypatch, source, folder / "storage")
        yield build_world(source, folder / "backup")
    get_settings.cache_clear()


@pytest.fixture
def empty_target(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    with fresh_database(database_url, str(tmp_path)) as target:
        storage_dir = tmp_path / "restored-storage"
        use(monkeypatch, target, storage_dir)
        yield target, storage_dir
    get_settings.cache_clear()


def assert_everything_is_back(world: World, database_url: str) -> None:
    app = create_app(get_settings())
    try:
        with TestClient(app) as client:
            ready = client.get("/readyz")
            assert (ready.status_code, ready.json()["status"]) == (200, "ok")
            public = client.get(f"/site-files/{world.attachment_id}")
            assert (public.status_code, public.content) == (200, world.photo)
            staff = client.get(
                f"/api/v1/sites/{world.site_id}/attachments/{world.attachment_id}/content",
                headers=world.headers,  # the API token came back with the database
            )
            assert (staff.status_code, staff.content) == (200, world.photo)
    finally:
        app.state.engine.dispose()
    assert audit_trail(database_url) == world.audit_trail


def test_restore_into_an_empty_database_and_storage(
    postgres_world: World, empty_target: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    target, storage_dir = empty_target
    manifest = json.loads((postgres_world.backup / "manifest.json").read_text())
    assert manifest["database"] == "postgresql"
    assert manifest["alembic_revision"]
    assert manifest["app_version"]
    listed = sorted(entry["path"] for entry in manifest["files"])
    assert listed[0] == "database.dump"
    assert [p for p in listed if p.startswith("files/")] == sorted(
        f"files/{p.relative_to(postgres_world.backup / 'files').as_posix()}"
        for p in (postgres_world.backup / "files").rglob("*")
        if p.is_file()
    )
    assert len(listed) == 3  # the dump, the photo, its thumbnail
    assert cli.main(["restore", str(postgres_world.backup)]) == 0
    assert "the storage holds 2 files" in capsys.readouterr().out
    assert len([p for p in storage_dir.rglob("*") if p.is_file()]) == 2
    assert_everything_is_back(postgres_world, target)
    # A second restore would overwrite what is there now: only when asked to.
    assert cli.main(["restore", str(postgres_world.backup)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert cli.main(["restore", str(postgres_world.backup), "--force"]) == 0
    assert_everything_is_back(postgres_world, target)


def test_a_damaged_backup_restores_nothing(
    postgres_world: World,
    empty_target: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target, storage_dir = empty_target
    damaged = tmp_path / "damaged"
    shutil.copytree(postgres_world.backup, damaged)
    photo_file = next(p for p in (damaged / "files" / "sites").rglob("*") if p.is_file())
    data = bytearray(photo_file.read_bytes())
    data[100] ^= 0xFF
    photo_file.write_bytes(bytes(data))
    assert cli.main(["restore", str(damaged)]) == 2
    error = capsys.readouterr().err
    assert "damaged; nothing was restored" in error
    assert f"{photo_file.relative_to(damaged).as_posix()}: checksum mismatch" in error
    engine = make_engine(target)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
    assert not storage_dir.exists()
    manifest = json.loads((damaged / "manifest.json").read_text())
    manifest["files"].append({"path": "files/../../etc/passwd", "size": 1, "sha256": "0"})
    (damaged / "manifest.json").write_text(json.dumps(manifest))
    assert cli.main(["restore", str(damaged)]) == 2
    assert "lists files that are not part of a backup" in capsys.readouterr().err
    (damaged / "manifest.json").unlink()
    assert cli.main(["restore", str(damaged)]) == 2
    assert "has no manifest.json" in capsys.readouterr().err


def test_backup_refuses_a_folder_in_use(
    postgres_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["backup", str(postgres_world.backup)]) == 2
    assert "is not empty" in capsys.readouterr().err


def test_a_database_storage_backup_restores_into_a_local_folder(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database backend's files travel inside the dump; a target that keeps files in
    a folder gets them written there."""
    if database_url.startswith("sqlite"):
        pytest.skip("the database backend needs PostgreSQL")
    with fresh_database(database_url, str(tmp_path)) as source:
        use(monkeypatch, source, tmp_path / "unused", STORAGE_BACKEND="database")
        world = build_world(source, tmp_path / "backup")
        manifest = json.loads((world.backup / "manifest.json").read_text())
        assert [entry["path"] for entry in manifest["files"]] == ["database.dump"]
    with fresh_database(database_url, str(tmp_path)) as target:
        use(monkeypatch, target, tmp_path / "restored")
        assert cli.main(["restore", str(world.backup)]) == 0
        assert len([p for p in (tmp_path / "restored").rglob("*") if p.is_file()]) == 2
        assert_everything_is_back(world, target)
    get_settings.cache_clear()


def test_sqlite_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = f"sqlite:///{tmp_path}/source.db"
    use(monkeypatch, source, tmp_path / "storage")
    world = build_world(source, tmp_path / "backup")
    assert (world.backup / "database.sqlite3").is_file()
    target = f"sqlite:///{tmp_path}/restored.db"
    use(monkeypatch, target, tmp_path / "restored-storage")
    assert cli.main(["restore", str(world.backup)]) == 0
    assert_everything_is_back(world, target)
    get_settings.cache_clear()

"""Builders for the sites tests: a private storage folder per test, and snapshots of
everything a refused upload must leave alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry, Site, SiteAttachment, SitePackageUpload, SiteVersion
from app.settings import Settings


@pytest.fixture(autouse=True)
def storage_dir(settings: Settings, tmp_path: Path) -> Iterator[Path]:
    """Uploaded files of this test only (the app shares the `settings` object)."""
    folder = tmp_path / "storage"
    original = settings.storage_dir
    settings.storage_dir = folder
    yield folder
    settings.storage_dir = original


def stored_files(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def db_counts(db: Session) -> dict[str, int]:
    return {
        model.__tablename__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Site, SiteAttachment, SiteVersion, SitePackageUpload, AuditEntry)
    }

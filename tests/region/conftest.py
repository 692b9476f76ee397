"""The main flows run once per shipped region: Kainuu (the default, seeded by the test
database's setup) and Ostrobothnia (stored over it inside the test's transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.domain.access import SYSTEM_ACTOR
from app.domain.region import RegionFile
from app.regions import REGIONS_DIR
from app.services.region import load_region_file, store_region
from app.settings import Settings
from app.web.portal import render_cache

SHIPPED = ("kainuu", "ostrobothnia")


def region_path(slug: str) -> Path:
    return REGIONS_DIR / slug / "region.yaml"


@pytest.fixture(autouse=True)
def fresh_portal_pages(settings: Settings) -> Iterator[None]:
    """Each test's rolled-back data must not meet pages cached by another test."""
    original = settings.portal_version_ttl_seconds
    settings.portal_version_ttl_seconds = 0
    render_cache.clear()
    yield
    settings.portal_version_ttl_seconds = original
    render_cache.clear()


@pytest.fixture(params=SHIPPED)
def region(request: pytest.FixtureRequest, db: Session) -> RegionFile:
    """The region the test runs in, stored as `init-region` stores it."""
    shipped = load_region_file(region_path(request.param))
    bind_actor(db, SYSTEM_ACTOR)
    store_region(db, shipped, overwrite=True)
    db.commit()
    return shipped

"""Builders for the portal tests: published fresh sites, and settings the inquiry's
bot checks can be met with in a test (no waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Site, SiteIndustry
from app.domain.access import SYSTEM_ACTOR
from app.settings import Settings
from app.web.portal import render_cache
from tests.factories import Factory


@pytest.fixture(autouse=True)
def portal_settings(settings: Settings) -> Iterator[None]:
    """The minimum fill time is a setting; tests fill the form instantly."""
    original = settings.portal_inquiry_min_seconds, settings.portal_inquiry_limit
    settings.portal_inquiry_min_seconds = 0
    # Each test's rolled-back data must not meet pages cached by another test.
    settings.portal_version_ttl_seconds = 0
    render_cache.clear()
    yield
    settings.portal_inquiry_min_seconds, settings.portal_inquiry_limit = original
    render_cache.clear()


def today() -> Any:
    return datetime.now(UTC).date()


@pytest.fixture
def publish(factory: Factory, db: Session):  # type: ignore[no-untyped-def]
    """A published site, verified last month, with its key industries."""

    def _publish(
        municipality: str = "205", industries: tuple[str, ...] = (), **values: Any
    ) -> Site:
        values.setdefault("last_verified_on", today() - timedelta(days=30))
        values.setdefault("published_at", datetime.now(UTC))
        values.setdefault("public_changed_at", datetime.now(UTC))
        values.setdefault("latitude", 64.22)
        values.setdefault("longitude", 27.73)
        site = factory.site(municipality=municipality, status="published", **values)
        bind_actor(db, SYSTEM_ACTOR)
        for code in industries:
            db.add(SiteIndustry(site_id=site.id, industry_code=code))
        db.commit()
        return site

    return _publish

"""Two coordinators approving the same revision at the same moment, on PostgreSQL with
real concurrent transactions: the site row's lock lets exactly one of them apply it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.migrations import upgrade_to_head
from app.db.models import Site, SiteRevision, SiteVersion
from app.db.session import make_engine
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.errors import Conflict
from app.domain.sites import SiteDraft, SiteKind
from app.services import site_revisions, users
from app.services import sites as site_service
from app.services.auth import actor_for
from app.services.reference import ensure_reference_data
from app.storage import LocalStorage


def test_two_approvals_at_once_apply_the_revision_once(
    scratch_database: str, tmp_path: Path
) -> None:
    if not scratch_database.startswith("postgresql"):
        pytest.skip("row locks need PostgreSQL")
    engine = make_engine(scratch_database)
    try:
        upgrade_to_head(engine)
        with Session(engine) as db:
            ensure_reference_data(db)
            people = [
                users.create_user(
                    db,
                    SYSTEM_ACTOR,
                    email=f"{name}@example.com",
                    full_name=name,
                    role=role.value,
                    password="a long enough password 1",
                    municipality_code=code,
                    organization_id=None,
                    language="en",
                )
                for name, role, code in (
                    ("first", Role.COORDINATOR, None),
                    ("second", Role.COORDINATOR, None),
                    ("contact", Role.MUNICIPAL_CONTACT, "205"),
                )
            ]
            first, second, contact = (actor_for(user) for user in people)
            draft = SiteDraft(
                kind=SiteKind.INDUSTRIAL_PLOT,
                name_fi="Tontti",
                municipality_code="205",
                latitude=64.2,
                longitude=28.1,
                area_ha=Decimal("4.5"),
                last_verified_on=datetime.now(UTC).date(),
            )
            site = site_service.create_site(db, first, draft)
            site_service.transition_site(db, first, site.id, "publish")
            site_revisions.propose_changes(db, contact, site.id, {"name_en": "Lake plot"})
            site_id, version = site.id, site.version

        storage = LocalStorage(tmp_path)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def approve(actor: object) -> None:
            with Session(engine) as db:
                barrier.wait()
                try:
                    site_revisions.approve(db, actor, storage, site_id)  # type: ignore[arg-type]
                    outcomes.append("approved")
                except Conflict:
                    outcomes.append("refused")

        threads = [threading.Thread(target=approve, args=(a,)) for a in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["approved", "refused"]
        with Session(engine) as db:
            site_row = db.get(Site, site_id)
            assert site_row is not None
            assert (site_row.name_en, site_row.version) == ("Lake plot", version + 1)
            assert db.scalar(select(func.count()).select_from(SiteRevision)) == 0
            approvals = select(func.count()).where(
                SiteVersion.site_id == site_id, SiteVersion.action == "revision"
            )
            assert db.scalar(approvals) == 1
    finally:
        engine.dispose()

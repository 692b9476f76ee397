"""Containers starting together: `invest-kainuu migrate` in each, at the same moment,
on an empty PostgreSQL database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.db.migrations import code_heads
from app.db.models import Industry, LostReason, Municipality, Stage
from app.db.session import make_engine
from app.regions import DEFAULT_REGION_FILE
from app.services.reference import prepare_database
from app.services.region import load_region_file

INSTANCES = 4


def test_concurrent_start_ups_migrate_once_and_seed_once(scratch_database: str) -> None:
    if not scratch_database.startswith("postgresql"):
        pytest.skip("the start-up lock is PostgreSQL's advisory lock")
    engines = [make_engine(scratch_database) for _ in range(INSTANCES)]
    start = threading.Barrier(INSTANCES)

    def start_up(index: int) -> int:
        start.wait()
        return prepare_database(engines[index])

    try:
        with ThreadPoolExecutor(INSTANCES) as pool:
            added = list(pool.map(start_up, range(INSTANCES)))
        with Session(engines[0]) as db:
            heads = db.scalars(text("SELECT version_num FROM alembic_version")).all()
            counts = {
                model.__tablename__: db.scalar(select(func.count()).select_from(model))
                for model in (Municipality, Industry, Stage, LostReason)
            }
    finally:
        for engine in engines:
            engine.dispose()
    assert set(heads) == code_heads() and len(heads) == 1
    # One instance seeded everything; the others found nothing missing.
    assert sorted(added)[:-1] == [0] * (INSTANCES - 1) and added.count(0) == INSTANCES - 1
    kainuu = load_region_file(DEFAULT_REGION_FILE)
    assert counts["municipalities"] == len(kainuu.municipalities)
    assert counts["industries"] == len(kainuu.industries)
    assert counts["stages"] > 0 and counts["lost_reasons"] > 0

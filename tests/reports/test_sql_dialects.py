"""The reports take PostgreSQL-only paths (GROUPING SETS, summed intervals, session
settings): the same pipeline on SQLite, the development database, gives the same figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.session import make_engine
from app.domain.access import SYSTEM_ACTOR
from app.domain.targets import Dimension
from app.services import reports, targets
from app.services.reference import ensure_reference_data
from tests.factories import Factory
from tests.reports.conftest import Pipeline, at

TODAY = date(2025, 3, 1)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path}/reports.db")
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
        yield db
    engine.dispose()


def _build(db: Session) -> Pipeline:
    factory = Factory(db)
    pipeline = Pipeline(db, factory)
    owner = factory.user(email="owner@example.com")
    bind_actor(db, SYSTEM_ACTOR)
    owner.full_name = "Olli Omistaja"
    db.commit()
    pipeline.lead(
        [("identified", "2024-01-10"), ("negotiation", "2024-09-01"), ("landed", "2025-01-10")],
        candidates=("765", "205"),
        owner=owner,
        industry_code="mining_chemicals",
        capex_eur=240_000_000,
        capex_status="realised",
        landing_municipality_code="765",
        landed_on=date(2025, 1, 10),
        source="partner",
    )
    # Back and forth: two visits of each stage add up to one time in stage.
    pipeline.lead(
        [
            ("identified", "2024-02-01"),
            ("contacted", "2024-02-11"),
            ("identified", "2024-03-01"),
            ("contacted", "2024-03-06"),
        ],
        candidates=("205",),
        industry_code="ict_data_centres",
        origin_country="US",
        capex_eur=100_000_001,
        expected_decision_on=date(2025, 6, 30),
    )
    pipeline.lead(
        [("identified", "2024-03-01"), ("negotiation", "2024-06-01"), ("lost", "2024-10-01")],
        owner=owner,
        industry_code="mining_chemicals",
        capex_eur=300_000_000,
        expected_decision_on=date(2025, 3, 1),
        lost_reason_code="chose_other_country",
    )
    pipeline.lead(
        [("identified", "2024-05-01"), ("site_visit", "2024-08-01")],
        industry_code="metal_machinery",
        capex_eur=10_000_010,
        capex_basis="confirmed",
        capex_status="announced",
        probability_override=33,
        expected_decision_on=date(2025, 2, 1),
    )
    # No stage log at all: in its stage since it was created.
    factory.lead(
        stage="qualified",
        created_at=at("2024-04-01"),
        industry_code="mining_chemicals",
        capex_eur=20_000_000,
        expected_decision_on=date(2025, 5, 1),
    )
    return pipeline


def _figures(db: Session, pipeline: Pipeline) -> list[object]:
    target = pipeline.target()
    results: list[object] = []
    for as_of in (TODAY, date(2024, 6, 30)):
        results.append(reports.pipeline_report(db, SYSTEM_ACTOR, as_of=as_of, today=TODAY))
        _target, progress = targets.progress(
            db, SYSTEM_ACTOR, target.id, as_of=as_of, today=TODAY, group_by=tuple(Dimension)
        )
        results.append(progress)
    return results


def test_postgresql_and_sqlite_give_the_same_figures(db: Session, sqlite_db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("compares the PostgreSQL paths with SQLite")
    on_postgresql = _figures(db, _build(db))
    on_sqlite = _figures(sqlite_db, _build(sqlite_db))
    assert on_postgresql == on_sqlite

    now, past = on_postgresql[0], on_postgresql[2]
    assert isinstance(now, reports.PipelineReport) and isinstance(past, reports.PipelineReport)

    def funnel(report: reports.PipelineReport) -> dict[str, tuple[object, ...]]:
        return {
            row.stage_code: (row.leads, row.capex_eur, row.reached, row.median_days)
            for row in report.funnel
        }

    # The report day ends at 22:00 UTC (midnight in Finland); the log is at noon UTC.
    # Identified lasted 235, 10 + 5, 92 and 92 days: median 92. Contacted, visited
    # twice, 19 days plus 6 March 2024 to the report day: 379.4. The unlogged lead has
    # been qualified since it was created on 1 April 2024: 334.4 days.
    assert funnel(now)["identified"] == (0, 0, 5, Decimal("92.0"))
    assert funnel(now)["contacted"] == (1, 100_000_001, 5, Decimal("379.4"))
    assert funnel(now)["qualified"] == (1, 20_000_000, 4, Decimal("334.4"))
    assert funnel(now)["lost"] == (1, 300_000_000, None, Decimal("151.4"))
    # On 30 June 2024: identified 172.4, 15, 92 and 60.4 days; the unlogged lead 90.4.
    assert funnel(past)["identified"] == (2, 250_000_010, 5, Decimal("76.2"))
    assert funnel(past)["qualified"] == (1, 20_000_000, 2, Decimal("90.4"))
    assert funnel(past)["negotiation"] == (1, 300_000_000, 1, Decimal("29.4"))
    assert [(row.key, row.leads) for row in now.lost_by_reason] == [("chose_other_country", 1)]
    assert past.lost_by_reason == []

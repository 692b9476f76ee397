"""The stage log tiles time: each lead's visits follow each other without gaps or
overlaps from its creation on, and exactly one of them — its current stage — is open.
The reports rely on it to find the stage at a moment and the time spent in a stage."""

from __future__ import annotations

import uuid
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import column, insert, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.migrations import alembic_config
from app.db.models import Lead, LeadStageChange
from app.db.session import make_engine
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.leads import DEFAULT_STAGES
from app.services.leads import record_stage_change
from tests.factories import Factory
from tests.reports.conftest import Pipeline, at


def _visits(db: Session, lead_id: uuid.UUID | str) -> list[tuple[str, datetime, datetime | None]]:
    rows = db.execute(
        select(LeadStageChange.to_stage, LeadStageChange.at, LeadStageChange.ended_at)
        .where(LeadStageChange.lead_id == uuid.UUID(str(lead_id)))
        .order_by(LeadStageChange.at, LeadStageChange.ended_at.is_(None), LeadStageChange.ended_at)
    )
    return [(stage, start, end) for stage, start, end in rows]


def _assert_tiled(db: Session, lead_id: uuid.UUID | str) -> None:
    visits = _visits(db, lead_id)
    assert visits, "every lead has its first stage-log entry"
    for (_stage, _start, end), (_next, next_start, _next_end) in pairwise(visits):
        assert end == next_start
    assert visits[-1][2] is None
    lead = db.get(Lead, uuid.UUID(str(lead_id)))
    assert lead is not None and lead.stage_code == visits[-1][0]


def test_transitions_over_http_close_the_visit_they_end(
    client: TestClient, db: Session, factory: Factory
) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    response = client.post(
        "/api/v1/leads",
        json={"title": "Pilot plant", "investment_type": "expansion", "source": "event"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    lead_id = response.json()["id"]
    for stage in ("contacted", "identified", "qualified", "on_hold", "qualified"):
        moved = client.post(
            f"/api/v1/leads/{lead_id}/stage", json={"to_stage": stage}, headers=headers
        )
        assert moved.status_code == 200, moved.text
    refused = client.post(
        f"/api/v1/leads/{lead_id}/stage", json={"to_stage": "teleported"}, headers=headers
    )
    assert refused.status_code == 422

    visits = _visits(db, lead_id)
    assert [stage for stage, _start, _end in visits] == [
        "identified",
        "contacted",
        "identified",
        "qualified",
        "on_hold",
        "qualified",
    ]
    assert [end is None for _stage, _start, end in visits] == [False] * 5 + [True]
    _assert_tiled(db, lead_id)


def test_history_entered_afterwards_fits_in_without_changing_the_stage(
    db: Session, pipeline: Pipeline
) -> None:
    lead = pipeline.lead([("identified", "2024-01-01"), ("negotiation", "2024-06-01")])
    # A call on 1 March that nobody logged, and a first contact before the lead was entered.
    record_stage_change(db, lead, "contacted", SYSTEM_ACTOR, at=at("2024-03-01"))
    record_stage_change(db, lead, "contacted", SYSTEM_ACTOR, at=at("2023-12-01"))
    db.commit()

    assert _visits(db, lead.id) == [
        ("contacted", at("2023-12-01"), at("2024-01-01")),
        ("identified", at("2024-01-01"), at("2024-03-01")),
        ("contacted", at("2024-03-01"), at("2024-06-01")),
        ("negotiation", at("2024-06-01"), None),
    ]
    assert lead.stage_code == "negotiation"
    assert lead.stage_changed_at == at("2024-06-01")
    _assert_tiled(db, lead.id)


def test_a_change_at_the_same_moment_follows_the_one_logged_first(
    db: Session, pipeline: Pipeline
) -> None:
    lead = pipeline.lead([("identified", "2024-01-01"), ("contacted", "2024-02-01")])
    record_stage_change(db, lead, "qualified", SYSTEM_ACTOR, at=at("2024-02-01"))
    db.commit()

    assert _visits(db, lead.id) == [
        ("identified", at("2024-01-01"), at("2024-02-01")),
        ("contacted", at("2024-02-01"), at("2024-02-01")),
        ("qualified", at("2024-02-01"), None),
    ]
    assert lead.stage_code == "qualified"


def test_the_database_refuses_a_second_open_visit(db: Session, factory: Factory) -> None:
    lead = factory.lead(stage="contacted")
    db.add(LeadStageChange(lead_id=lead.id, from_stage="contacted", to_stage="qualified"))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def _stages_at_0010(db: Session) -> None:
    """The default stages, in the columns the schema had at 0010 (the model has more)."""
    names = ("code", "name_fi", "name_en", "default_probability", "kind", "sort_order")
    stages_then = table("stages", *(column(name) for name in (*names, "active")))
    for stage in DEFAULT_STAGES:
        values = {name: getattr(stage, name) for name in names}
        db.execute(insert(stages_then).values({**values, "kind": stage.kind.value, "active": True}))


def test_migration_backfills_the_ends_and_the_missing_first_entries(tmp_path: Path) -> None:
    """On SQLite, the development database: the statement PostgreSQL runs as well."""
    engine = make_engine(f"sqlite:///{tmp_path}/migrate.db")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
    with Session(engine) as db:
        _stages_at_0010(db)
        logged, unlogged = uuid.uuid4(), uuid.uuid4()
        for lead_id, code, stage in ((logged, "Project A", "qualified"), (unlogged, "B", "lost")):
            row = {
                "id": lead_id,
                "code_name": code,
                "title": code,
                "investment_type": "expansion",
                "source": "event",
                "stage_code": stage,
                "stage_changed_at": at("2024-05-01"),
                "created_at": at("2024-01-01"),
                "updated_at": at("2024-01-01"),
                "last_activity_at": at("2024-05-01"),
                "capex_basis": "estimated",
                "capex_status": "estimate",
                "jobs_basis": "estimated",
                "priority": "normal",
                "requirements": {},
            }
            # Only the columns of the schema at 0010: the model's later columns (with
            # their defaults) do not exist yet.
            leads_then = table(
                "leads", *(column(name, Lead.__table__.c[name].type) for name in row)
            )
            db.execute(insert(leads_then).values(**row))
        # Two changes at the same moment: the log's order is (at, id).
        first, second = sorted((uuid.uuid4(), uuid.uuid4()))
        log = [
            (uuid.uuid4(), "identified", at("2024-01-01")),
            (second, "qualified", at("2024-03-01")),
            (first, "contacted", at("2024-03-01")),
        ]
        for row_id, stage, moment in log:
            db.execute(
                insert(LeadStageChange.__table__).values(
                    id=row_id, lead_id=logged, to_stage=stage, at=moment
                )
            )
        db.commit()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with Session(engine) as db:
        assert _visits(db, logged) == [
            ("identified", at("2024-01-01"), at("2024-03-01")),
            ("contacted", at("2024-03-01"), at("2024-03-01")),
            ("qualified", at("2024-03-01"), None),
        ]
        assert _visits(db, unlogged) == [("lost", at("2024-01-01"), None)]
    engine.dispose()

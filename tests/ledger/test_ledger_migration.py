"""Migration 0019 on SQLite (the development database): the ledger starts with each
lead's current amounts, the default decision stages are flagged, nothing is copied."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import column, insert, select, table, text
from sqlalchemy.orm import Session

from app.db.migrations import alembic_config
from app.db.models import Lead, LeadAmount, LeadStageChange, Stage
from app.db.session import make_engine
from app.domain.leads import DEFAULT_STAGES


def test_migration_starts_the_ledger_with_the_current_amounts(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/migrate.db")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0015")
    created = datetime(2024, 1, 1, 12, tzinfo=UTC)
    lead_id = uuid.uuid4()
    with Session(engine) as db:
        names = ("code", "name_fi", "name_en", "default_probability", "kind", "sort_order")
        stages_then = table("stages", *(column(n) for n in (*names, "active")))
        for stage in DEFAULT_STAGES:
            values = {n: getattr(stage, n) for n in names}
            db.execute(
                insert(stages_then).values({**values, "kind": stage.kind.value, "active": True})
            )
        row = {
            "id": lead_id,
            "code_name": "Project Vanha",
            "title": "Old lead",
            "investment_type": "expansion",
            "source": "event",
            "stage_code": "landed",
            "stage_changed_at": created,
            "created_at": created,
            "updated_at": created,
            "last_activity_at": created,
            "capex_eur": 50_000_000,
            "capex_basis": "confirmed",
            "capex_status": "realised",
            "jobs": 40,
            "jobs_basis": "estimated",
            "landed_on": date(2024, 5, 1),
            "expected_decision_on": date(2024, 4, 1),
            "priority": "normal",
            "requirements": {},
            "confidentiality": "confidential",
        }
        leads_then = table("leads", *(column(n, Lead.__table__.c[n].type) for n in row))
        db.execute(insert(leads_then).values(**row))
        db.execute(
            insert(LeadStageChange.__table__).values(
                id=uuid.uuid4(), lead_id=lead_id, to_stage="landed", at=created
            )
        )
        db.commit()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    with Session(engine) as db:
        rows = db.scalars(select(LeadAmount).where(LeadAmount.lead_id == lead_id)).all()
        assert {(r.measure, r.kind, r.amount, r.basis, r.dated_on) for r in rows} == {
            ("capex", "realised", 50_000_000, "confirmed", date(2024, 5, 1)),
            ("jobs", "realised", 40, "estimated", date(2024, 5, 1)),
        }
        assert all(r.recorded_at == created for r in rows)
        decision = set(db.scalars(select(Stage.code).where(Stage.decision)))
        assert decision == {"negotiation", "decision_pending"}
        # Nothing was copied: the stage log survived the new columns of `leads`.
        assert db.scalar(text("SELECT count(*) FROM lead_stage_changes")) == 1
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0015")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM lead_stage_changes")).scalar() == 1
    engine.dispose()

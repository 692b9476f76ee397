"""The stage log's summary (`reached_order`: how far in the funnel each lead had come by
each visit) stays exactly what the raw log says, whatever happens to the leads: random
sequences of new leads, stage moves (forward, back, lost, on hold, reopened), history
entered afterwards and reordered stages, through the HTTP API and the service that
enters history. The funnel of the pipeline report, which reads the summary, equals the
funnel counted from the raw log."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadStageChange, Stage
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.leads import FUNNEL_KINDS
from app.domain.reports import end_of_day_utc
from app.services.auth import actor_for
from app.services.leads import record_stage_change
from app.services.reports import pipeline_report
from tests.factories import Factory

MOVES = ["identified", "contacted", "qualified", "site_search", "site_visit", "lost", "on_hold"]


def _log_order(change: LeadStageChange) -> tuple[datetime, bool, datetime, uuid.UUID]:
    """The log's order: by start, a visit that ended at its start first, the open last."""
    ended = change.ended_at
    return (change.at, ended is None, ended or change.at, change.id)


def _recomputed(db: Session) -> dict[uuid.UUID, int | None]:
    """Each visit's furthest funnel position so far, from the raw log and the stages."""
    order = {s.code: s.sort_order for s in db.scalars(select(Stage)) if s.kind in FUNNEL_KINDS}
    by_lead: dict[uuid.UUID, list[LeadStageChange]] = {}
    for change in db.scalars(select(LeadStageChange)):
        by_lead.setdefault(change.lead_id, []).append(change)
    expected: dict[uuid.UUID, int | None] = {}
    for changes in by_lead.values():
        furthest: int | None = None
        for change in sorted(changes, key=_log_order):
            if change.to_stage in order:
                position = order[change.to_stage]
                furthest = position if furthest is None else max(furthest, position)
            expected[change.id] = furthest
    return expected


def _reached_from_log(db: Session, moment: datetime) -> dict[str, int]:
    """Per funnel stage, the leads whose visits begun before the moment include it or a
    funnel stage after it (the definition, read from the raw log)."""
    stages = [s for s in db.scalars(select(Stage)) if s.kind in FUNNEL_KINDS]
    order = {s.code: s.sort_order for s in stages}
    furthest: dict[uuid.UUID, int] = {}
    for change in db.scalars(select(LeadStageChange).where(LeadStageChange.at < moment)):
        if change.to_stage in order:
            furthest[change.lead_id] = max(
                order[change.to_stage], furthest.get(change.lead_id, order[change.to_stage])
            )
    return {s.code: sum(1 for f in furthest.values() if f >= s.sort_order) for s in stages}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_equals_a_recomputation_after_random_operations(
    client: TestClient, db: Session, factory: Factory, seed: int
) -> None:
    rng = random.Random(seed)
    user, headers = factory.api_user(Role.COORDINATOR)
    lead_ids: list[str] = []
    for _step in range(40):
        roll = rng.random()
        if roll < 0.2 or not lead_ids:
            created = client.post(
                "/api/v1/leads",
                json={"title": "Plant", "investment_type": "expansion", "source": "event"},
                headers=headers,
            )
            assert created.status_code == 201, created.text
            lead_ids.append(created.json()["id"])
        elif roll < 0.8:
            to_stage = rng.choice(MOVES)
            body: dict[str, str] = {"to_stage": to_stage}
            if to_stage == "lost":
                body["lost_reason_code"] = "other"
            moved = client.post(
                f"/api/v1/leads/{rng.choice(lead_ids)}/stage", json=body, headers=headers
            )
            # The pipeline rules refuse some moves (e.g. out of a lost lead): nothing changes.
            assert moved.status_code in (200, 409, 422), moved.text
        elif roll < 0.9:
            # History entered afterwards: a visit before the lead's latest change.
            lead = db.get(Lead, uuid.UUID(rng.choice(lead_ids)))
            assert lead is not None
            earlier = lead.created_at - timedelta(days=rng.randrange(1, 30))
            record_stage_change(db, lead, rng.choice(MOVES[:5]), SYSTEM_ACTOR, at=earlier)
            db.commit()
        else:
            stage = rng.choice(["contacted", "qualified", "site_search", "site_visit"])
            reordered = client.patch(
                f"/api/v1/stages/{stage}",
                json={"sort_order": rng.randrange(5, 75)},
                headers=headers,
            )
            assert reordered.status_code == 200, reordered.text

    db.expire_all()
    stored = {c.id: c.reached_order for c in db.scalars(select(LeadStageChange))}
    assert stored == _recomputed(db)

    today = datetime.now(UTC).date()
    for as_of in (today, today - timedelta(days=10)):
        report = pipeline_report(db, actor_for(user), as_of=as_of, today=today)
        counted = {row.stage_code: row.reached for row in report.funnel if row.reached is not None}
        assert counted == _reached_from_log(db, end_of_day_utc(as_of))


def test_reordering_the_stages_moves_how_far_leads_had_come(
    client: TestClient, db: Session, factory: Factory
) -> None:
    _user, headers = factory.api_user(Role.COORDINATOR)
    lead = factory.lead(stage="identified")
    for stage in ("qualified", "contacted"):
        record_stage_change(db, lead, stage, SYSTEM_ACTOR)
    db.commit()
    last = db.scalars(
        select(LeadStageChange.reached_order).where(
            LeadStageChange.lead_id == lead.id, LeadStageChange.ended_at.is_(None)
        )
    ).one()
    assert last == 30  # qualified

    moved = client.patch("/api/v1/stages/contacted", json={"sort_order": 35}, headers=headers)
    assert moved.status_code == 200, moved.text
    db.expire_all()
    last = db.scalars(
        select(LeadStageChange.reached_order).where(
            LeadStageChange.lead_id == lead.id, LeadStageChange.ended_at.is_(None)
        )
    ).one()
    assert last == 35  # contacted now comes after qualified

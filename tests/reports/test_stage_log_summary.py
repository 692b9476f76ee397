"""The stage log's summary (`reached_order`: how far in the funnel each lead had come by
each visit; `stage_spent_before` and `next_visit_of_stage_at`: its time in the visit's
stage before it, and when it next visited the stage) stays exactly what the raw log says,
whatever happens to the leads: random sequences of new leads, stage moves (forward, back,
lost, on hold, reopened), history entered afterwards, reordered stages and merged
duplicates, through the HTTP API and the service that enters history. The funnel and the
median days in stage of the pipeline report, which read the summary, equal those counted
from the raw log."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Lead, LeadStageChange, Stage
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.leads import FUNNEL_KINDS
from app.domain.reports import days, end_of_day_utc
from app.services import reports
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


def _stage_time_recomputed(
    db: Session,
) -> dict[uuid.UUID, tuple[int, datetime | None]]:
    """Each visit's time in its stage before it (microseconds; whole milliseconds on
    SQLite, whose date functions count no finer) and the start of its lead's next visit
    of the stage, from the raw log."""
    precision = 1000 if db.get_bind().dialect.name == "sqlite" else 1
    by_stage: dict[tuple[uuid.UUID, str], list[LeadStageChange]] = {}
    for change in db.scalars(select(LeadStageChange)):
        by_stage.setdefault((change.lead_id, change.to_stage), []).append(change)
    expected: dict[uuid.UUID, tuple[int, datetime | None]] = {}
    for changes in by_stage.values():
        visits = sorted(changes, key=_log_order)
        spent = 0
        for visit, following in zip(visits, [*visits[1:], None], strict=True):
            expected[visit.id] = (spent, following.at if following else None)
            if visit.ended_at is not None:
                lasted = (visit.ended_at - visit.at) // timedelta(microseconds=1)
                spent += round(lasted / precision) * precision
    return expected


def _median_days_from_log(db: Session, moment: datetime, now: datetime) -> dict[str, Decimal]:
    """Per stage, the median over the leads of the time each had spent in it by the
    moment (its visits begun before it, each until it ended or `now`), in days."""
    spent: dict[tuple[str, uuid.UUID], timedelta] = {}
    for change in db.scalars(select(LeadStageChange).where(LeadStageChange.at < moment)):
        end = now if change.ended_at is None or change.ended_at > now else change.ended_at
        key = (change.to_stage, change.lead_id)
        spent[key] = spent.get(key, timedelta(0)) + (end - change.at)
    per_stage: dict[str, list[float]] = {}
    for (stage, _lead), total in spent.items():
        per_stage.setdefault(stage, []).append(total.total_seconds())
    medians = {}
    for stage, values in per_stage.items():
        values.sort()
        lower, upper = values[(len(values) + 1) // 2 - 1], values[len(values) // 2]
        median = days((lower + upper) / 2)
        assert median is not None
        medians[stage] = median
    return medians


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
    client: TestClient,
    db: Session,
    factory: Factory,
    seed: int,
    monkeypatch: pytest.MonkeyPatch,
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
        elif roll < 0.75:
            to_stage = rng.choice(MOVES)
            body: dict[str, str] = {"to_stage": to_stage}
            if to_stage == "lost":
                body["lost_reason_code"] = "other"
            moved = client.post(
                f"/api/v1/leads/{rng.choice(lead_ids)}/stage", json=body, headers=headers
            )
            # The pipeline rules refuse some moves (e.g. out of a lost lead): nothing changes.
            assert moved.status_code in (200, 409, 422), moved.text
        elif roll < 0.85:
            # History entered afterwards: a visit before the lead's latest change.
            lead = db.get(Lead, uuid.UUID(rng.choice(lead_ids)))
            assert lead is not None
            earlier = lead.created_at - timedelta(days=rng.randrange(1, 30))
            record_stage_change(db, lead, rng.choice(MOVES[:5]), SYSTEM_ACTOR, at=earlier)
            db.commit()
        elif roll < 0.92:
            # A duplicate merged away keeps its stage log, which still counts.
            keep, duplicate = rng.sample(lead_ids, 2) if len(lead_ids) > 1 else (None, None)
            if keep is not None:
                merged = client.post(
                    f"/api/v1/leads/{keep}/merge", json={"duplicate_id": duplicate}, headers=headers
                )
                assert merged.status_code in (200, 422), merged.text
        else:
            stage = rng.choice(["contacted", "qualified", "site_search", "site_visit"])
            reordered = client.patch(
                f"/api/v1/stages/{stage}",
                json={"sort_order": rng.randrange(5, 75)},
                headers=headers,
            )
            assert reordered.status_code == 200, reordered.text

    db.expire_all()
    changes = list(db.scalars(select(LeadStageChange)))
    assert {c.id: c.reached_order for c in changes} == _recomputed(db)
    assert {
        c.id: (c.stage_spent_before, c.next_visit_of_stage_at) for c in changes
    } == _stage_time_recomputed(db)

    # The report's "now" held still, so the time in the visits going on is known.
    now = datetime.now(UTC)
    monkeypatch.setattr(reports, "utcnow", lambda: now)
    today = now.date()
    as_of_dates: list[date] = [today - timedelta(days=n) for n in (0, 3, 10, 20)]
    for as_of in as_of_dates:
        moment = end_of_day_utc(as_of)
        report = pipeline_report(db, actor_for(user), as_of=as_of, today=today)
        counted = {row.stage_code: row.reached for row in report.funnel if row.reached is not None}
        assert counted == _reached_from_log(db, moment)
        medians = {
            row.stage_code: row.median_days for row in report.funnel if row.median_days is not None
        }
        assert medians == _median_days_from_log(db, moment, min(moment, now))


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

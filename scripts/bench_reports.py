"""Benchmark the target progress and pipeline reports on 100k leads with stage logs.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python scripts/bench_reports.py [--leads 100000] [--runs 5]

Creates a scratch database next to the given one, fills it, prints timings, drops it.
Goal: each report under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, exists, insert, select, text
from sqlalchemy.orm import Session, aliased

from app.db.migrations import upgrade_to_head
from app.db.models import (
    InvestmentTarget,
    Lead,
    LeadAmount,
    LeadMunicipality,
    LeadStageChange,
)
from app.db.session import make_engine
from app.domain.access import SYSTEM_ACTOR
from app.domain.leads import DEFAULT_STAGES, StageKind
from app.domain.reference import KEY_INDUSTRIES, MUNICIPALITIES
from app.domain.targets import Dimension
from app.services import reports, targets
from app.services.reference import ensure_reference_data

from benchlib import bench_server_url, scratch_database

OPEN = [s.code for s in DEFAULT_STAGES if s.kind is StageKind.OPEN]
BATCH = 10_000


def _fill(db: Session, count: int, rng: random.Random) -> None:
    industries = [i.code for i in KEY_INDUSTRIES]
    municipalities = [m.code for m in MUNICIPALITIES]
    types = ["greenfield_fdi", "expansion", "brownfield", "business_transfer"]
    sources = ["portal_inquiry", "invest_in_finland", "partner", "event", "own_prospecting"]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    leads, changes, candidates, amounts = [], [], [], []
    for n in range(count):
        lead_id = uuid.uuid4()
        created = start + timedelta(days=rng.randrange(0, 2500), hours=rng.randrange(24))
        path = OPEN[: rng.randrange(1, len(OPEN) + 1)]
        outcome = rng.random()
        if outcome < 0.15:
            path = [*path, "landed"]
        elif outcome < 0.35:
            path = [*path, "lost"]
        moment = created
        previous = None
        for stage in path:
            if previous is not None:
                # What record_stage_change writes for a change after the last one.
                changes[-1]["ended_at"] = moment
            changes.append(
                {
                    "id": uuid.uuid4(),
                    "lead_id": lead_id,
                    "from_stage": previous,
                    "to_stage": stage,
                    "at": moment,
                    "ended_at": None,
                }
            )
            previous = stage
            moment += timedelta(days=rng.randrange(5, 120))
        landed = path[-1] == "landed"
        landing = rng.choice(municipalities) if landed else None
        capex = rng.randrange(100_000, 500_000_000)
        jobs = rng.randrange(0, 400) if rng.random() < 0.8 else None
        basis = rng.choice(["estimated", "confirmed", "public"])
        expected = (created + timedelta(days=rng.randrange(90, 1500))).date()
        announced = rng.random() < 0.3
        early_status = "announced" if announced else "estimate"
        status = rng.choice(["committed", "realised"]) if landed else early_status
        landed_on = changes[-1]["at"].date() if landed else None
        # The amount ledger as the service writes it: the first amounts at creation, a
        # revised estimate now and then, and the realised (or committed) ones at landing.
        history = [(created, early_status, capex // 2 if rng.random() < 0.3 else capex, None)]
        if rng.random() < 0.3:
            history.append((created + timedelta(days=1), early_status, capex, None))
        if landed:
            history.append((changes[-1]["at"], status, capex, landed_on))
        ends = [moment_then for moment_then, *_rest in history[1:]] + [None]
        for (moment_then, kind, amount, landed_then), superseded in zip(history, ends, strict=True):
            dated = landed_then or expected
            amounts.append(
                {
                    "lead_id": lead_id,
                    "measure": "capex",
                    "kind": kind,
                    "amount": amount,
                    "basis": basis,
                    "dated_on": dated,
                    "recorded_at": moment_then,
                    "superseded_at": superseded,
                }
            )
            if jobs is not None:
                amounts.append(
                    {
                        "lead_id": lead_id,
                        "measure": "jobs",
                        "kind": kind,
                        "amount": jobs,
                        "basis": "estimated",
                        "dated_on": dated,
                        "recorded_at": moment_then,
                        "superseded_at": superseded,
                    }
                )
        leads.append(
            {
                "id": lead_id,
                "code_name": f"Project Bench {n}",
                "title": f"Bench lead {n}",
                "industry_code": rng.choice(industries),
                "investment_type": rng.choice(types),
                "origin_country": rng.choice(["FI", "SE", "DE", "US", "CN", "NO", None]),
                "capex_eur": capex,
                "capex_basis": basis,
                "capex_status": status,
                "jobs": jobs,
                "jobs_basis": "estimated",
                "announced_on": created.date() if announced else None,
                "source": rng.choice(sources),
                "stage_code": path[-1],
                "stage_changed_at": changes[-1]["at"],
                "expected_decision_on": expected,
                "landing_municipality_code": landing,
                "landed_on": landed_on,
                "lost_reason_code": "other" if path[-1] == "lost" else None,
                "created_at": created,
                "updated_at": created,
                "last_activity_at": moment,
                "requirements": {},
            }
        )
        for code in rng.sample(municipalities, rng.randrange(0, 3)):
            candidates.append({"lead_id": lead_id, "municipality_code": code})
        if len(leads) >= BATCH:
            _flush(db, leads, changes, candidates, amounts)
    _flush(db, leads, changes, candidates, amounts)
    # The steady state autovacuum keeps a table in: statistics and the visibility map.
    autocommit = db.get_bind().execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _flush(db: Session, leads: list, changes: list, candidates: list, amounts: list) -> None:
    # Core inserts: the audit log is not what is measured here.
    if leads:
        db.execute(insert(Lead), leads)
        db.execute(insert(LeadStageChange), changes)
        db.execute(insert(LeadAmount), amounts)
        if candidates:
            db.execute(insert(LeadMunicipality), candidates)
        db.commit()
    leads.clear()
    changes.clear()
    candidates.clear()
    amounts.clear()


def _tiled(db: Session, leads: int) -> bool:
    """One open visit per lead, and every other visit ends where another one begins."""
    open_visits = db.scalar(
        select(text("count(*)"))
        .select_from(LeadStageChange)
        .where(LeadStageChange.ended_at.is_(None))
    )
    ended = aliased(LeadStageChange)
    loose_ends = db.scalar(
        select(text("count(*)"))
        .select_from(ended)
        .where(
            ended.ended_at.is_not(None),
            ~exists().where(
                LeadStageChange.lead_id == ended.lead_id, LeadStageChange.at == ended.ended_at
            ),
        )
    )
    return open_visits == leads and loose_ends == 0


def _time(label: str, runs: int, work: Callable[[], object]) -> float:
    work()  # warm-up: plans and caches
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1000)
    median = statistics.median(samples)
    print(f"{label:<52} median {median:7.1f} ms   min {min(samples):7.1f} ms", flush=True)
    return median


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    base = bench_server_url()
    if base is None:
        print("Set BENCH_DATABASE_URL to a PostgreSQL URL.", file=sys.stderr)
        return 2
    with scratch_database(base, "bench_reports") as url:
        engine = make_engine(url)
        try:
            return _measure(engine, args)
        finally:
            engine.dispose()


def _measure(engine: Engine, args: argparse.Namespace) -> int:
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
        began = time.perf_counter()
        _fill(db, args.leads, random.Random(7))
        logs = db.scalar(select(text("count(*)")).select_from(LeadStageChange))
        ledger = db.scalar(select(text("count(*)")).select_from(LeadAmount))
        print(
            f"{args.leads} leads, {logs} stage changes, {ledger} ledger rows loaded in "
            f"{time.perf_counter() - began:.1f} s",
            flush=True,
        )
        print(f"stage log tiles time: {_tiled(db, args.leads)}")
        target_id = db.scalar(select(InvestmentTarget.id).limit(1))
        assert target_id is not None
        today = datetime.now(UTC).date()
        past = date(2024, 6, 30)
        everything = tuple(Dimension)
        results = [
            _time(
                "progress, now, totals and years",
                args.runs,
                lambda: targets.progress(db, SYSTEM_ACTOR, target_id, as_of=today, today=today),
            ),
            _time(
                "progress, now, with all four splits",
                args.runs,
                lambda: targets.progress(
                    db, SYSTEM_ACTOR, target_id, as_of=today, today=today, group_by=everything
                ),
            ),
            _time(
                "progress, as of 2024-06-30 (stage log), all splits",
                args.runs,
                lambda: targets.progress(
                    db, SYSTEM_ACTOR, target_id, as_of=past, today=today, group_by=everything
                ),
            ),
            _time(
                "pipeline report, now",
                args.runs,
                lambda: reports.pipeline_report(db, SYSTEM_ACTOR, as_of=today, today=today),
            ),
            _time(
                "pipeline report, as of 2024-06-30",
                args.runs,
                lambda: reports.pipeline_report(db, SYSTEM_ACTOR, as_of=past, today=today),
            ),
        ]
        print(f"goal < 300 ms: {'met' if max(results) < 300 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the filtered, paged lead list: HTTP API against the same SQL run raw.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_leads.py [--leads 100000] [--requests 200]

Creates a scratch database, seeds leads with activities by COPY, serves the app with
uvicorn on 127.0.0.1 in a subprocess, measures both paths in the same run, prints
p50/p95 and the ratio, and drops the database. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.domain.access import SYSTEM_ACTOR, Actor, Role  # noqa: E402
from app.services import auth, users  # noqa: E402
from app.services.auth import actor_for  # noqa: E402
from app.services.leads import LeadFilters, _sort_clause, lead_list_query  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402

from benchlib import bench_server_url, scratch_database  # noqa: E402

STAGES = ["identified", "contacted", "qualified", "site_search", "site_visit", "negotiation"]
INDUSTRIES = ["forest_bioeconomy", "mining_chemicals", "ict_data_centres", "tourism", "food"]
MUNICIPALITIES = ["105", "205", "290", "578", "620", "697", "765", "777"]
PORT = 8765
FILTER = {"stage": "qualified", "industry": "ict_data_centres", "sort": "-updated_at"}
LIMIT = 50


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seed(url: str, count: int) -> tuple[str, LeadFilters, Actor]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
        user = users.create_user(
            db,
            SYSTEM_ACTOR,
            email="bench@example.com",
            full_name="Bench Coordinator",
            role=Role.COORDINATOR.value,
            password=None,
            municipality_code=None,
            organization_id=None,
            language="en",
        )
        token = auth.issue_token(db, user, "bench").token
        owner_id = user.id
        actor = actor_for(user)
    engine.dispose()
    rng = random.Random(7)
    now = datetime.now(UTC)
    org_ids = [uuid.uuid4() for _ in range(1000)]
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy("COPY organizations (id, name, name_key, type, country) FROM STDIN") as cp:
            for i, org_id in enumerate(org_ids):
                cp.write_row((org_id, f"Bench Org {i}", f"bench org {i}", "company", "DE"))
        lead_ids = [uuid.uuid4() for _ in range(count)]
        columns = (
            "id, code_name, title, organization_id, industry_code, investment_type, capex_eur, "
            "capex_basis, capex_status, jobs_basis, source, stage_code, stage_changed_at, "
            "priority, owner_id, requirements, last_activity_at, created_at, updated_at"
        )
        with cur.copy(f"COPY leads ({columns}) FROM STDIN") as cp:
            for i, lead_id in enumerate(lead_ids):
                at = now - timedelta(minutes=rng.randint(0, 500_000))
                cp.write_row(
                    (
                        lead_id,
                        f"Project Bench {i}",
                        f"Bench lead {i}",
                        rng.choice(org_ids),
                        INDUSTRIES[i % len(INDUSTRIES)],
                        "greenfield_fdi",
                        rng.randint(1, 500) * 1_000_000,
                        "estimated",
                        "estimate",
                        "estimated",
                        "own_prospecting",
                        STAGES[i % len(STAGES)],
                        at,
                        "normal",
                        owner_id,
                        "{}",
                        at,
                        at,
                        at,
                    )
                )
        with cur.copy("COPY lead_municipalities (lead_id, municipality_code) FROM STDIN") as cp:
            for i, lead_id in enumerate(lead_ids):
                cp.write_row((lead_id, MUNICIPALITIES[i % len(MUNICIPALITIES)]))
        with cur.copy(
            "COPY activities (id, kind, subject, lead_id, occurred_at, created_by_id) FROM STDIN"
        ) as cp:
            for lead_id in lead_ids:
                for n in range(2):
                    cp.write_row((uuid.uuid4(), "note", f"Note {n}", lead_id, now, owner_id))
        conn.commit()
        cur.execute("ANALYZE")
    filters = LeadFilters(
        stages=[FILTER["stage"]], industry=FILTER["industry"], sort=FILTER["sort"]
    )
    return token, filters, actor


def raw_statements(filters: LeadFilters, actor: Actor, offset: int) -> list[tuple[str, dict]]:
    """The count and page statements the service runs, compiled for psycopg."""
    query = lead_list_query(actor, filters)
    count = select(func.count()).select_from(query.order_by(None).subquery())
    page = query.order_by(*_sort_clause(filters.sort)).limit(LIMIT).offset(offset)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    out = []
    for statement in (count, page):
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        out.append((str(compiled), dict(compiled.params)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    base = bench_server_url()
    if base is None:
        print("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
        return 2
    with scratch_database(base, "bench_leads") as url:
        return _run(url, args)


def _run(url: str, args: argparse.Namespace) -> int:
    server = None
    try:
        started = time.perf_counter()
        token, filters, actor = seed(url, args.leads)
        print(
            f"seeded {args.leads} leads, {2 * args.leads} activities "
            f"in {time.perf_counter() - started:.1f} s"
        )
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ENVIRONMENT": "test",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.asgi:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(PORT),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        headers = {"Authorization": f"Bearer {token}"}
        client = httpx.Client(base_url=f"http://127.0.0.1:{PORT}", headers=headers, timeout=30)
        for _ in range(100):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        offsets = [LIMIT * (i % 10) for i in range(args.requests)]
        for offset in offsets[:20]:  # warm-up: connection pools, caches, plans
            client.get("/api/v1/leads", params={**FILTER, "limit": LIMIT, "offset": offset})
        api_ms: list[float] = []
        total = None
        for offset in offsets:
            t0 = time.perf_counter()
            response = client.get(
                "/api/v1/leads", params={**FILTER, "limit": LIMIT, "offset": offset}
            )
            api_ms.append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()
            total = response.json()["total"]
        raw_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        raw_ms: list[float] = []
        with psycopg.connect(raw_url) as conn:
            prepared = {o: raw_statements(filters, actor, o) for o in set(offsets)}
            for offset in offsets[:20]:
                for sql, params in prepared[offset]:
                    conn.execute(sql, params).fetchall()
            for offset in offsets:
                t0 = time.perf_counter()
                for sql, params in prepared[offset]:
                    conn.execute(sql, params).fetchall()
                raw_ms.append((time.perf_counter() - t0) * 1000)
        api50, api95 = percentile(api_ms, 0.5), percentile(api_ms, 0.95)
        raw50, raw95 = percentile(raw_ms, 0.5), percentile(raw_ms, 0.95)
        print(f"filter {FILTER}, limit {LIMIT}, {args.requests} requests, {total} matching leads")
        print(f"API  (HTTP, auth, count + page, JSON): p50 {api50:.2f} ms  p95 {api95:.2f} ms")
        print(f"raw  (psycopg, count + page SQL):      p50 {raw50:.2f} ms  p95 {raw95:.2f} ms")
        print(
            f"ratio API/raw: p50 {api50 / raw50:.2f}x  p95 {api95 / raw95:.2f}x "
            f"(mean {statistics.mean(api_ms) / statistics.mean(raw_ms):.2f}x)"
        )
        client.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the lead list and the pipeline board: each page against its own SQL.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_leads.py [--leads 100000] [--requests 100] [--quick]

Creates a scratch database, seeds leads with activities, shares and tasks by COPY,
serves the app with uvicorn on a free port in a subprocess, and for every case
measures in the same run the HTTP request (API JSON or staff HTML page) and, as its
floor, the SQL statements the case's service runs, captured from the service and
replayed raw with psycopg. Cases: filtered pages, a deep page, several filter
combinations, a municipal contact's scoped view (API and staff pages) and the staff
board. Prints one row per case (p50 of both, the ratio, goal at most 2×) and drops
the database. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.domain.access import SYSTEM_ACTOR, Actor, Role  # noqa: E402
from app.i18n import HELSINKI  # noqa: E402
from app.services import auth, leads, users  # noqa: E402
from app.services import board as pipeline_board  # noqa: E402
from app.services.auth import actor_for  # noqa: E402
from app.services.leads import LeadFilters  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402
from app.settings import Settings  # noqa: E402

from benchlib import Row, bench_server_url, free_port, print_table, scratch_database  # noqa: E402

STAGES = ["identified", "contacted", "qualified", "site_search", "site_visit", "negotiation"]
INDUSTRIES = ["forest_bioeconomy", "mining_chemicals", "ict_data_centres", "tourism", "food"]
MUNICIPALITIES = ["105", "205", "290", "578", "620", "697", "765", "777"]
PRIORITIES = ["low", "normal", "normal", "high"]
SOURCES = ["own_prospecting", "partner", "event", "invest_in_finland", "portal_inquiry"]
CONTACT_MUNICIPALITY = "205"
# Every SHARE_EVERY-th lead of the contact's municipality is shared with it.
SHARE_EVERY = 4
LIMIT = 50
GOAL_RATIO = 2.0
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (a scratch app)


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    token: str  # API bearer token
    session: str  # staff session cookie


@dataclass(frozen=True)
class Case:
    work: str
    viewer: str  # "coordinator" or "contact"
    path: str
    params: list[tuple[str, str]]
    # The service call whose SQL is the floor: (session, actor) -> anything.
    service: Callable[[Session, Actor], object]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _user(db: Session, email: str, role: Role, municipality: str | None) -> Viewer:
    user = users.create_user(
        db,
        SYSTEM_ACTOR,
        email=email,
        full_name=f"Bench {role.value}",
        role=role.value,
        password=None,
        municipality_code=municipality,
        organization_id=None,
        language="en",
    )
    token = auth.issue_token(db, user, "bench").token
    session = auth.start_session(db, Settings(secret_key=SECRET), user)  # type: ignore[arg-type]
    return Viewer(actor_for(user), token, session)


def seed(url: str, count: int) -> dict[str, Viewer]:
    """`count` leads owned by the coordinator, two activities each (a note, and an open
    task on every third), and the shares that give the municipal contact their view."""
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
        viewers = {
            "coordinator": _user(db, "bench@example.com", Role.COORDINATOR, None),
            "contact": _user(
                db, "contact@example.com", Role.MUNICIPAL_CONTACT, CONTACT_MUNICIPALITY
            ),
        }
    engine.dispose()
    owner_id = viewers["coordinator"].actor.user_id
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
            "priority, owner_id, requirements, confidentiality, last_activity_at, created_at, "
            "updated_at"
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
                        SOURCES[i % len(SOURCES)],
                        STAGES[i % len(STAGES)],
                        at,
                        PRIORITIES[i % len(PRIORITIES)],
                        owner_id,
                        "{}",
                        "confidential",
                        at,
                        at,
                        at,
                    )
                )
        with cur.copy("COPY lead_municipalities (lead_id, municipality_code) FROM STDIN") as cp:
            for i, lead_id in enumerate(lead_ids):
                cp.write_row((lead_id, MUNICIPALITIES[i % len(MUNICIPALITIES)]))
        shared = [
            lead_id
            for i, lead_id in enumerate(lead_ids)
            if MUNICIPALITIES[i % len(MUNICIPALITIES)] == CONTACT_MUNICIPALITY
            and (i // len(MUNICIPALITIES)) % SHARE_EVERY == 0
        ]
        with cur.copy(
            "COPY lead_shares (id, lead_id, municipality_code, status, shared_by_id, shared_at) "
            "FROM STDIN"
        ) as cp:
            for lead_id in shared:
                cp.write_row(
                    (uuid.uuid4(), lead_id, CONTACT_MUNICIPALITY, "accepted", owner_id, now)
                )
        with cur.copy(
            "COPY activities (id, kind, subject, lead_id, occurred_at, due_on, assignee_id, "
            "created_by_id) FROM STDIN"
        ) as cp:
            for i, lead_id in enumerate(lead_ids):
                cp.write_row((uuid.uuid4(), "note", "Note", lead_id, now, None, None, owner_id))
                if i % 3 == 0:
                    due = (now + timedelta(days=rng.randint(-20, 40))).date()
                    cp.write_row(
                        (uuid.uuid4(), "task", "Call", lead_id, now, due, owner_id, owner_id)
                    )
        conn.commit()
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return viewers


def _list(filters: LeadFilters, offset: int) -> Callable[[Session, Actor], object]:
    return lambda db, actor: leads.list_leads(db, actor, filters, limit=LIMIT, offset=offset)


def _board(filters: LeadFilters) -> Callable[[Session, Actor], object]:
    today = datetime.now(UTC).astimezone(HELSINKI).date()
    return lambda db, actor: pipeline_board.board(db, actor, filters, today)


def cases(count: int) -> list[Case]:
    deep_page = max(1, min(200, count // LIMIT - 1))
    deep = (deep_page - 1) * LIMIT
    filtered = LeadFilters(stages=["qualified"], industry="ict_data_centres")
    several = LeadFilters(
        stages=["negotiation", "site_visit"], municipality="290", priority="high", sort="capex_eur"
    )
    by_source = LeadFilters(source="partner", industry="food", sort="-last_activity_at")
    search = LeadFilters(q="Bench lead 42", sort="code_name")
    newest = LeadFilters()
    api = "/api/v1/leads"
    return [
        Case(
            "lead API: stage + industry, page 1",
            "coordinator",
            api,
            [("stage", "qualified"), ("industry", "ict_data_centres"), ("limit", "50")],
            _list(filtered, 0),
        ),
        Case(
            f"lead API: no filter, page {deep_page}",
            "coordinator",
            api,
            [("limit", "50"), ("offset", str(deep))],
            _list(newest, deep),
        ),
        Case(
            "lead API: 2 stages + municipality + priority, by capex",
            "coordinator",
            api,
            [
                ("stage", "negotiation"),
                ("stage", "site_visit"),
                ("municipality", "290"),
                ("priority", "high"),
                ("sort", "capex_eur"),
                ("limit", "50"),
            ],
            _list(several, 0),
        ),
        Case(
            "lead API: source + industry, page 5, by activity",
            "coordinator",
            api,
            [
                ("source", "partner"),
                ("industry", "food"),
                ("sort", "-last_activity_at"),
                ("limit", "50"),
                ("offset", str(4 * LIMIT)),
            ],
            _list(by_source, 4 * LIMIT),
        ),
        Case(
            "lead API: text search",
            "coordinator",
            api,
            [("q", "Bench lead 42"), ("sort", "code_name"), ("limit", "50")],
            _list(search, 0),
        ),
        Case(
            "lead API: municipal contact, page 1",
            "contact",
            api,
            [("limit", "50")],
            _list(newest, 0),
        ),
        Case(
            "lead API: municipal contact, stage, page 3",
            "contact",
            api,
            [("stage", "qualified"), ("limit", "50"), ("offset", str(2 * LIMIT))],
            _list(LeadFilters(stages=["qualified"]), 2 * LIMIT),
        ),
        Case(
            "staff lead list: stage + industry",
            "coordinator",
            "/leads",
            [("stage", "qualified"), ("industry", "ict_data_centres")],
            _list(filtered, 0),
        ),
        Case(
            f"staff lead list: page {deep_page}",
            "coordinator",
            "/leads",
            [("page", str(deep_page))],
            _list(newest, deep),
        ),
        Case(
            "staff lead list: municipal contact",
            "contact",
            "/leads",
            [],
            _list(newest, 0),
        ),
        Case("staff board", "coordinator", "/leads/board", [], _board(newest)),
        Case(
            "staff board: industry filter",
            "coordinator",
            "/leads/board",
            [("industry", "ict_data_centres")],
            _board(LeadFilters(industry="ict_data_centres")),
        ),
        Case("staff board: municipal contact", "contact", "/leads/board", [], _board(newest)),
    ]


def captured_sql(
    engine: Engine, actor: Actor, service: Callable[[Session, Actor], object]
) -> list[tuple[str, Any]]:
    """The statements (with their parameters, as the driver got them) a service call runs."""
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    with Session(engine) as db:
        db.connection()  # the session's own setup is not the case's SQL
        event.listen(engine, "before_cursor_execute", keep)
        try:
            service(db, actor)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
    return statements


def timed_in_turn(
    calls: tuple[Callable[[], object], Callable[[], object]], repeat: int, warm_up: int
) -> tuple[list[float], list[float]]:
    """Milliseconds of each call, the two taking turns: whatever else the machine does
    meanwhile (another guest on the host, a vacuum) slows both alike, so their ratio
    holds where two runs one after the other measured the same SQL 1.9x apart."""
    for _ in range(warm_up):
        for call in calls:
            call()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for call, kept in zip(calls, times, strict=True):
            started = time.perf_counter()
            call()
            kept.append((time.perf_counter() - started) * 1000)
    return times


def run(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(prog="bench_leads.py")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="5,000 leads, 20 requests")
    args = parser.parse_args(argv)
    if args.quick:
        args.leads, args.requests = 5_000, 20
    base = bench_server_url()
    if base is None:
        raise SystemExit("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
    with scratch_database(base, "bench_leads") as url:
        return _measure(url, args.leads, args.requests)


def _measure(url: str, count: int, requests: int) -> list[Row]:
    started = time.perf_counter()
    viewers = seed(url, count)
    print(f"seeded {count} leads in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test", "SECRET_KEY": SECRET}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    engine = make_engine(url)
    raw_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows: list[Row] = []
    try:
        clients = {
            name: httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {viewer.token}"},
                cookies={"ik_session": viewer.session},
                timeout=60,
            )
            for name, viewer in viewers.items()
        }
        _wait_up(clients["coordinator"], server)
        with psycopg.connect(raw_url) as conn:
            for case in cases(count):
                client = clients[case.viewer]
                response = client.get(case.path, params=case.params)
                response.raise_for_status()

                def request(case: Case = case, client: httpx.Client = client) -> None:
                    client.get(case.path, params=case.params).raise_for_status()

                statements = captured_sql(engine, viewers[case.viewer].actor, case.service)

                def replay(statements: list[tuple[str, Any]] = statements) -> None:
                    for sql, params in statements:
                        conn.execute(sql, params).fetchall()

                page_ms, sql_ms = timed_in_turn((request, replay), requests, warm_up=10)
                page50, sql50 = percentile(page_ms, 0.5), percentile(sql_ms, 0.5)
                ratio = page50 / sql50
                rows.append(
                    Row(
                        work=f"{case.work} ({count:,} leads)",
                        goal=f"≤ {GOAL_RATIO:g}× SQL",
                        floor=f"{sql50:.1f} ms ({len(statements)} statements)",
                        measured=f"{page50:.1f} ms (p95 {percentile(page_ms, 0.95):.1f})",
                        ratio=ratio,
                        met=ratio <= GOAL_RATIO,
                    )
                )
        for client in clients.values():
            client.close()
    finally:
        engine.dispose()
        server.terminate()
        server.wait(timeout=10)
    return rows


def _wait_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180  # a loaded machine imports slowly
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not start")


def main() -> int:
    print_table(run(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

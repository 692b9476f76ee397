"""Benchmark of the reports on 100k leads: target progress, the pipeline report and the
whole forum report (staff page, PDF, XLSX).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_reports.py [--leads 100000] [--small 10000] [--runs 3]
        [--profile DIR]

Creates a scratch database, fills it with leads and their stage logs and amount ledgers,
owners, investors, logged activities, held visits and a closed reporting period (so no
part of the report reads an empty table), and times in the same run:

- target progress with all four splits, now and on a past date (the stage log);
- the pipeline report, now and on a past date;
- the forum report page, its PDF and its XLSX, over HTTP from uvicorn.

Each floor is the database's own time for the same statements: the SQL the work sent,
captured and replayed on a raw connection. Memory is measured in separate processes,
apart from the timings: a fresh process builds the forum report and prints its PDF, once
on `--small` leads and once on `--leads`, and reports how much its resident set grew.
With `--profile DIR`, the in-process work is also profiled with pyinstrument into DIR.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.models import (  # noqa: E402
    Event,
    EventHost,
    EventLead,
    InvestmentTarget,
    Lead,
    Organization,
    User,
)
from app.db.session import make_engine  # noqa: E402
from app.domain.access import SYSTEM_ACTOR, Role  # noqa: E402
from app.domain.events import VISIT_KINDS  # noqa: E402
from app.domain.leads import DEFAULT_STAGES, FUNNEL_KINDS, StageKind  # noqa: E402
from app.domain.targets import Dimension  # noqa: E402
from app.regions import DEFAULT_REGION_FILE  # noqa: E402
from app.services import auth, report_documents, reports, targets, users  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402
from app.services.region import load_region_file  # noqa: E402
from app.settings import Settings  # noqa: E402

import benchlib  # noqa: E402
from benchlib import Row  # noqa: E402

OPEN = [s.code for s in DEFAULT_STAGES if s.kind is StageKind.OPEN]
FUNNEL_ORDER = {s.code: s.sort_order for s in DEFAULT_STAGES if s.kind.value in FUNNEL_KINDS}
BATCH = 10_000
OWNERS = 15
INVESTORS = 3_000
ACTIVITIES_PER_LEAD = 2
VISITS = 3_000
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (a scratch app)
PAST = date(2024, 6, 30)
QUERY_GOAL_MS = 300.0
PDF_GOAL_MS = 2_000.0
# The PDF's memory counts as independent of the lead count if ten times the leads
# add less than this share to its growth.
MEMORY_TOLERANCE = 1.2


@dataclass(frozen=True)
class Seeded:
    url: str
    target_id: uuid.UUID
    session_token: str
    coordinator: User


# --- filling the database --------------------------------------------------------------


def seed(url: str, count: int) -> Seeded:
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        with Session(engine, expire_on_commit=False) as db:
            ensure_reference_data(db)
            coordinator = _user(db, "bench@example.com", "Bench Coordinator")
            owners = [
                _user(db, f"owner{n}@example.com", f"Owner {n:02d}").id for n in range(OWNERS)
            ]
            investors = _investors(db, random.Random(3))
            _fill(db, count, owners, investors, random.Random(7))
            _visits(db, random.Random(5))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
            target_id = db.scalar(select(InvestmentTarget.id).limit(1))
            assert target_id is not None
            today = datetime.now(UTC).date()
            # The forum report compares with the last closed period: close one.
            reports.close_period(
                db,
                auth.actor_for(coordinator),
                target_id,
                label="Bench 2024",
                as_of=date(2024, 12, 31),
                today=today,
                lang="en",
            )
            settings = Settings(environment="test", database_url=url, secret_key=SECRET_KEY)
            token = auth.start_session(db, settings, coordinator)
            return Seeded(url, target_id, token, coordinator)
    finally:
        engine.dispose()


def _user(db: Session, email: str, name: str) -> User:
    return users.create_user(
        db,
        SYSTEM_ACTOR,
        email=email,
        full_name=name,
        role=Role.COORDINATOR.value,
        password=None,
        language="en",
    )


def _investors(db: Session, rng: random.Random) -> list[uuid.UUID]:
    rows = [
        {
            "id": uuid.uuid4(),
            "name": f"Investor {n} Oy",
            "name_key": f"investor {n} oy",
            "type": "company",
            "country": rng.choice(["FI", "SE", "DE", "US", "CN", "NO"]),
        }
        for n in range(INVESTORS)
    ]
    db.execute(insert(Organization), rows)
    db.commit()
    return [row["id"] for row in rows]


def _fill(
    db: Session,
    count: int,
    owners: list[uuid.UUID],
    investors: list[uuid.UUID],
    rng: random.Random,
) -> None:
    region = load_region_file(DEFAULT_REGION_FILE)
    industries = [i.code for i in region.industries]
    municipalities = [m.code for m in region.municipalities]
    types = ["greenfield_fdi", "expansion", "brownfield", "business_transfer"]
    sources = ["portal_inquiry", "invest_in_finland", "partner", "event", "own_prospecting"]
    kinds = ["note", "call", "meeting", "email"]
    start = datetime(2019, 1, 1, tzinfo=UTC)
    now = datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {
        "leads": [],
        "changes": [],
        "amounts": [],
        "candidates": [],
        "activities": [],
    }
    for n in range(count):
        lead_id = uuid.uuid4()
        # Created up to yesterday, so the recent months and this year have their leads.
        created = start + timedelta(
            days=rng.randrange(0, (now - start).days - 1), hours=rng.randrange(24)
        )
        path = OPEN[: rng.randrange(1, len(OPEN) + 1)]
        outcome = rng.random()
        if outcome < 0.15:
            path = [*path, "landed"]
        elif outcome < 0.35:
            path = [*path, "lost"]
        changes = rows["changes"]
        moment = created
        previous = None
        reached = None
        taken = 0
        for stage in path:
            if previous is not None:
                if moment >= now:  # the rest of the path lies ahead
                    break
                # What record_stage_change writes for a change after the last one.
                changes[-1]["ended_at"] = moment
            if stage in FUNNEL_ORDER:
                order = FUNNEL_ORDER[stage]
                reached = order if reached is None else max(reached, order)
            changes.append(
                {
                    "id": uuid.uuid4(),
                    "lead_id": lead_id,
                    "from_stage": previous,
                    "to_stage": stage,
                    "at": moment,
                    "ended_at": None,
                    "reached_order": reached,
                    # A path visits each stage once: no earlier time in the stage and
                    # no next visit of it (the columns' defaults), as the summary says.
                    "stage_spent_before": 0,
                    "next_visit_of_stage_at": None,
                }
            )
            previous = stage
            taken += 1
            moment += timedelta(days=rng.randrange(5, 120))
        path = path[:taken]
        last_change = changes[-1]["at"]
        landed = path[-1] == "landed"
        capex = rng.randrange(100_000, 500_000_000)
        jobs = rng.randrange(0, 400) if rng.random() < 0.8 else None
        basis = rng.choice(["estimated", "confirmed", "public"])
        expected = (created + timedelta(days=rng.randrange(90, 1500))).date()
        announced = rng.random() < 0.3
        early_status = "announced" if announced else "estimate"
        status = rng.choice(["committed", "realised"]) if landed else early_status
        landed_on = last_change.date() if landed else None
        rows["amounts"].extend(
            _ledger(
                lead_id,
                created,
                last_change,
                capex,
                jobs,
                basis,
                early_status,
                status,
                landed_on or expected,
                landed,
                rng,
            )
        )
        rows["leads"].append(
            {
                "id": lead_id,
                "code_name": f"Project Bench {n}",
                "title": f"Bench lead {n}",
                "organization_id": rng.choice(investors) if rng.random() < 0.7 else None,
                "owner_id": rng.choice(owners) if rng.random() < 0.9 else None,
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
                "stage_changed_at": last_change,
                "expected_decision_on": expected,
                "landing_municipality_code": rng.choice(municipalities) if landed else None,
                "landed_on": landed_on,
                "lost_reason_code": "other" if path[-1] == "lost" else None,
                "created_at": created,
                "updated_at": created,
                "last_activity_at": min(moment, now),
                "requirements": Jsonb({}),
                "priority": "normal",
                "confidentiality": "confidential",
            }
        )
        for code in rng.sample(municipalities, rng.randrange(0, 3)):
            rows["candidates"].append({"lead_id": lead_id, "municipality_code": code})
        for _ in range(ACTIVITIES_PER_LEAD):
            logged = created + timedelta(days=rng.randrange(0, 900), hours=rng.randrange(24))
            rows["activities"].append(
                {
                    "id": uuid.uuid4(),
                    "kind": rng.choice(kinds),
                    "subject": "Follow-up",
                    "lead_id": lead_id,
                    "occurred_at": logged,
                    "created_at": logged,
                    "updated_at": logged,
                }
            )
        if len(rows["leads"]) >= BATCH:
            _flush(db, rows)
    _flush(db, rows)


def _ledger(
    lead_id: uuid.UUID,
    created: datetime,
    last_change: datetime,
    capex: int,
    jobs: int | None,
    basis: str,
    early_status: str,
    status: str,
    dated: date,
    landed: bool,
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    """The amount ledger as the service writes it: the first amounts at creation, a
    revised estimate now and then, the committed or realised ones at landing."""
    history = [(created, early_status, capex // 2 if rng.random() < 0.3 else capex)]
    if rng.random() < 0.3:
        history.append((created + timedelta(days=1), early_status, capex))
    if landed:
        history.append((last_change, status, capex))
    ends = [moment for moment, *_rest in history[1:]] + [None]
    for (moment, kind, amount), superseded in zip(history, ends, strict=True):
        measures = [("capex", amount, basis)]
        if jobs is not None:
            measures.append(("jobs", jobs, "estimated"))
        for measure, value, measure_basis in measures:
            yield {
                "lead_id": lead_id,
                "measure": measure,
                "kind": kind,
                "amount": value,
                "basis": measure_basis,
                "dated_on": dated,
                "recorded_at": moment,
                "superseded_at": superseded,
            }


def _flush(db: Session, rows: dict[str, list[dict[str, Any]]]) -> None:
    # COPY on the session's own connection: the audit log is not what is measured here,
    # and row-by-row inserts would take most of an hour on 100k leads.
    cursor = db.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    for table, key in (
        ("leads", "leads"),
        ("lead_stage_changes", "changes"),
        ("lead_amounts", "amounts"),
        ("lead_municipalities", "candidates"),
        ("activities", "activities"),
    ):
        if rows[key]:
            columns = list(rows[key][0])
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows[key]:
                    copy.write_row([row[column] for column in columns])
        rows[key].clear()
    db.commit()


def _visits(db: Session, rng: random.Random) -> None:
    """Held investor visits over the years, each hosted by one or two municipalities and
    tied to a lead."""
    municipalities = [m.code for m in load_region_file(DEFAULT_REGION_FILE).municipalities]
    lead_ids = list(db.scalars(select(Lead.id).limit(VISITS)))
    kinds = sorted(kind.value for kind in VISIT_KINDS)
    events, hosts, links = [], [], []
    start = datetime(2019, 1, 1, 8, tzinfo=UTC)
    for n in range(VISITS):
        event_id = uuid.uuid4()
        starts = start + timedelta(days=rng.randrange(0, 2700))
        events.append(
            {
                "id": event_id,
                "kind": rng.choice(kinds),
                "title": f"Visit {n}",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=6),
                "status": "held",
                "confidential": rng.random() < 0.5,
                "created_at": starts,
                "updated_at": starts,
            }
        )
        for code in rng.sample(municipalities, rng.randrange(1, 3)):
            hosts.append({"event_id": event_id, "municipality_code": code})
        links.append({"event_id": event_id, "lead_id": lead_ids[n % len(lead_ids)]})
    db.execute(insert(Event), events)
    db.execute(insert(EventHost), hosts)
    db.execute(insert(EventLead), links)
    db.commit()


# --- measuring -------------------------------------------------------------------------


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements the engine sends while open, with their parameters."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)


def _replay(engine: Engine, statements: list[tuple[str, Any]]) -> Callable[[], None]:
    """The same statements on a raw DBAPI connection, every row fetched: the floor."""

    def work() -> None:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            connection.rollback()
        finally:
            connection.close()

    return work


def _median_ms(runs: int, work: Callable[[], object]) -> float:
    work()  # warm-up: plans and caches
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def _row(work: str, goal_ms: float, floor_ms: float | None, measured_ms: float) -> Row:
    return Row(
        work=work,
        goal=f"< {goal_ms:.0f} ms",
        floor="–" if floor_ms is None else f"{floor_ms:.0f} ms",
        measured=f"{measured_ms:.0f} ms",
        ratio=None if not floor_ms else measured_ms / floor_ms,
        met=measured_ms < goal_ms,
    )


def _shown(row: Row) -> Row:
    """The row, also written to stderr as soon as it is measured."""
    print(f"{row.work}: {row.measured} (floor {row.floor})", file=sys.stderr, flush=True)
    return row


def _in_process(engine: Engine, seeded: Seeded, runs: int, profile_dir: Path | None) -> list[Row]:
    today = datetime.now(UTC).date()
    actor = auth.actor_for(seeded.coordinator)
    every_split = tuple(Dimension)
    works: list[tuple[str, Callable[[Session], object]]] = [
        (
            "progress, now, all splits",
            lambda db: targets.progress(
                db, actor, seeded.target_id, as_of=today, today=today, group_by=every_split
            ),
        ),
        (
            f"progress, as of {PAST}, all splits",
            lambda db: targets.progress(
                db, actor, seeded.target_id, as_of=PAST, today=today, group_by=every_split
            ),
        ),
        (
            "pipeline report, now",
            lambda db: reports.pipeline_report(db, actor, as_of=today, today=today),
        ),
        (
            f"pipeline report, as of {PAST}",
            lambda db: reports.pipeline_report(db, actor, as_of=PAST, today=today),
        ),
    ]
    result = []
    for label, work in works:

        def once(work: Callable[[Session], object] = work) -> None:
            with Session(engine) as db:
                work(db)

        with _captured(engine) as statements:
            once()
        floor = _median_ms(runs, _replay(engine, statements))
        measured = _median_ms(runs, once)
        result.append(_shown(_row(label, QUERY_GOAL_MS, floor, measured)))
        if profile_dir is not None:
            _profile(profile_dir, label, once)
    if profile_dir is not None:
        _profile_documents(engine, seeded, profile_dir)
    return result


def _profile(directory: Path, label: str, work: Callable[[], object]) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    work()
    profiler.stop()
    name = "".join(c if c.isalnum() else "-" for c in label)
    (directory / f"{name}.txt").write_text(profiler.output_text(show_all=False))


def _profile_documents(engine: Engine, seeded: Seeded, directory: Path) -> None:
    today = datetime.now(UTC).date()
    actor = auth.actor_for(seeded.coordinator)
    with Session(engine) as db:
        labels = report_documents.document_labels(db, "en")
        report = reports.forum_report(db, actor, seeded.target_id, as_of=today, today=today)
    _profile(
        directory,
        "forum report figures",
        lambda: _forum_report(engine, seeded, today),
    )
    _profile(directory, "forum PDF", lambda: report_documents.render_pdf(report, labels))
    _profile(directory, "forum XLSX", lambda: report_documents.render_xlsx(report, labels))


def _forum_report(engine: Engine, seeded: Seeded, today: date) -> reports.ForumReport:
    with Session(engine) as db:
        return reports.forum_report(
            db, auth.actor_for(seeded.coordinator), seeded.target_id, as_of=today, today=today
        )


def _over_http(engine: Engine, seeded: Seeded, runs: int) -> list[Row]:
    """The staff page and both downloads of the forum report, served by uvicorn."""
    today = datetime.now(UTC).date()
    with _captured(engine) as statements:
        _forum_report(engine, seeded, today)
    floor = _median_ms(runs, _replay(engine, statements))
    port = benchlib.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": seeded.url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": SECRET_KEY,
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.asgi:app",
            *("--host", "127.0.0.1"),
            *("--port", str(port)),
            *("--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            cookies={"ik_session": seeded.session_token, "ik_lang": "en"},
            timeout=120,
        )
        _wait_up(client, server)
        query = {"target_id": str(seeded.target_id)}
        result = []
        for label, path, goal in (
            ("forum report page", "/reports", QUERY_GOAL_MS * 3),
            ("forum report PDF", "/reports/forum.pdf", PDF_GOAL_MS),
            ("forum report XLSX", "/reports/forum.xlsx", QUERY_GOAL_MS * 3),
        ):

            def fetch(path: str = path) -> None:
                client.get(path, params=query).raise_for_status()

            result.append(_shown(_row(label, goal, floor, _median_ms(runs, fetch))))
        client.close()
        return result
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_up(client: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    # Importing the app takes a while on a loaded machine: up to five minutes.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if client.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not start")


# --- memory, in a process of its own ---------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _pdf_memory(url: str, target_id: str) -> float:
    """Build the forum report and print its PDF once in this (fresh) process: how much
    the resident set grew (MiB) above what the loaded libraries and a connection take."""
    from weasyprint import HTML  # noqa: F401  (the libraries loaded before measuring)

    engine = make_engine(url)
    with Session(engine) as db:
        coordinator = db.scalar(select(User).where(User.email == "bench@example.com"))
        assert coordinator is not None
        labels = report_documents.document_labels(db, "en")
    today = datetime.now(UTC).date()
    before = _rss_kib()
    with Session(engine) as db:
        report = reports.forum_report(
            db, auth.actor_for(coordinator), uuid.UUID(target_id), as_of=today, today=today
        )
    report_documents.render_pdf(report, labels)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def _measure_memory(seeded: Seeded) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--memory-of", seeded.url, str(seeded.target_id)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def _memory_row(small: tuple[int, Seeded], large: tuple[int, Seeded]) -> Row:
    (small_leads, small_db), (large_leads, large_db) = small, large
    low, high = _measure_memory(small_db), _measure_memory(large_db)
    return Row(
        work=f"forum PDF, memory growth, {large_leads // 1000}k vs {small_leads // 1000}k leads",
        goal="independent of leads",
        floor=f"{low:.0f} MiB",
        measured=f"{high:.0f} MiB",
        ratio=high / low if low else None,
        met=high <= max(low, 1.0) * MEMORY_TOLERANCE,
    )


# --- entry points ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="leads of the memory baseline")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles here")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    return parser


def run(argv: list[str]) -> list[Row]:
    args = _parser().parse_args(argv)
    base = benchlib.bench_server_url()
    if base is None:
        raise SystemExit("Set BENCH_DATABASE_URL to a PostgreSQL URL.")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    with benchlib.scratch_database(base, "bench_reports") as url:
        began = time.perf_counter()
        seeded = seed(url, args.leads)
        print(f"seeded {args.leads} leads in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        engine = make_engine(url)
        try:
            rows = _in_process(engine, seeded, args.runs, args.profile)
            rows += _over_http(engine, seeded, args.runs)
        finally:
            engine.dispose()
        if args.no_memory:
            return rows
        with benchlib.scratch_database(base, "bench_reports_small") as small_url:
            small = seed(small_url, args.small)
            rows.append(_shown(_memory_row((args.small, small), (args.leads, seeded))))
    return rows


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--memory-of":
        url, target_id = sys.argv[2:]
        print(_pdf_memory(url, target_id))
        return 0
    rows = run(sys.argv[1:])
    print(f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(f"{'work':<58} {'goal':>20} {'floor':>10} {'measured':>10} {'ratio':>6}  met")
    for row in rows:
        ratio = "–" if row.ratio is None else f"{row.ratio:.1f}"
        print(
            f"{row.work:<58} {row.goal:>20} {row.floor:>10} {row.measured:>10} {ratio:>6}  "
            f"{'yes' if row.met else 'NO'}"
        )
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

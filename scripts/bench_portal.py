"""Benchmark of the public portal against uvicorn serving a static HTML file.

    .venv/bin/python scripts/bench_portal.py [--sites 10000] [--seconds 6] [--connections 8]
        [--rate R] [--profile]

Creates a scratch database on the local PostgreSQL (or BENCH_DATABASE_URL) with
published sites (COPY) and serves the app with uvicorn twice, one worker each: as
deployed (render cache on) and with the render cache off, so that every request of
an "uncached" case renders, as a search or page nobody asked for lately does. In the
same run a static HTML file of each case's page size is served by uvicorn (Starlette's
StaticFiles): the floor every case is measured against.

Cases: the same site list again and again and 40 popular site pages (cached); varied
searches (filters, sorts, pages and language drawn at random for every request), site
pages drawn at random over all sites, municipality pages, key-industry pages and
comparisons of two to six sites drawn at random (uncached). Each case is timed for
`--seconds`, its static floor right after it.

The load comes from a separate process (asyncio, raw HTTP/1.1 keep-alive connections),
so the client does not share an interpreter with anything it measures; its CPU use is
printed per case (a client near 100 % of a core would be the limit). Without `--rate`
the connections send as fast as answers come (saturation); with it, requests are sent
open-loop at that rate and latency counts from when each was due. Either way the
achieved rate is printed beside the offered one.

`--profile` runs the uncached cases in-process under pyinstrument instead and prints
where the time goes. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.domain.portal import SORTS, SiteSearch  # noqa: E402
from app.domain.shortlist import SHORTLIST_MAX  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402

from benchlib import Row, bench_server_url, free_port, scratch_database  # noqa: E402

MUNICIPALITIES = ["105", "205", "290", "578", "620", "697", "765", "777"]
INDUSTRIES = ["ict_data_centres", "metal_machinery", "forest_bioeconomy", "mining_chemicals"]
# What the search form offers: the main industries (which cover their branches) too.
SEARCH_INDUSTRIES = [*INDUSTRIES, "technology", "bioeconomy"]
KINDS = ["industrial_plot", "data_centre", "premises", "energy", "tourism"]
ZONINGS = ["detailed_plan", "master_plan", "unzoned"]
LIST_PATH = "/en/sites?industry=technology&min_power_mw=10&sort=power_desc"
GOAL = 0.5
BENCH_SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (scratch only)
STATIC_APP = """
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

app = Starlette()
app.mount("/", StaticFiles(directory={folder!r}, html=True))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


# --- data ---------------------------------------------------------------------------------


def seed(url: str, count: int) -> list[str]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as db:
        ensure_reference_data(db)
    engine.dispose()
    rng = random.Random(11)
    now = datetime.now(UTC)
    verified = now.date() - timedelta(days=60)
    ids = [uuid.uuid4() for _ in range(count)]
    slugs = [f"bench-site-{i:05d}" for i in range(count)]
    raw = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = (
        "id, slug, municipality_code, kind, status, version, name_fi, name_en, "
        "description_fi, description_en, latitude, longitude, area_ha, available_power_mw, "
        "rail_siding, grid_connection, fibre, zoning_status, tenure, last_verified_on, "
        "published_at, public_changed_at"
    )
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY sites ({columns}) FROM STDIN") as cp:
            for i, (site_id, slug) in enumerate(zip(ids, slugs, strict=True)):
                at = now - timedelta(minutes=rng.randint(0, 500_000))
                cp.write_row(
                    (
                        site_id,
                        slug,
                        MUNICIPALITIES[i % len(MUNICIPALITIES)],
                        KINDS[i % len(KINDS)],
                        "published",
                        1,
                        f"Vertailutontti {i}",
                        f"Benchmark plot {i}",
                        "Asemakaavoitettu teollisuustontti hyvien yhteyksien päässä. " * 5,
                        "Zoned industrial plot with good connections. " * 5,
                        63.9 + rng.random(),
                        27.5 + rng.random() * 2,
                        round(rng.uniform(0.5, 120), 1),
                        round(rng.uniform(0.5, 150), 1),
                        i % 3 == 0,
                        True,
                        True,
                        ZONINGS[i % len(ZONINGS)],
                        "sale_or_lease",
                        verified,
                        at,
                        at,
                    )
                )
        with cur.copy("COPY site_industries (site_id, industry_code) FROM STDIN") as cp:
            for i, site_id in enumerate(ids):
                cp.write_row((site_id, INDUSTRIES[i % len(INDUSTRIES)]))
                cp.write_row((site_id, INDUSTRIES[(i + 1) % len(INDUSTRIES)]))
        conn.commit()
    # What autovacuum does to a table after a load: statistics and the visibility map
    # (without it PostgreSQL cannot count from an index alone).
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return slugs


def random_search(rng: random.Random) -> str:
    """A search as visitors make them: a few filters, any order, mostly the first pages."""
    search = SiteSearch(
        municipality=rng.choice(MUNICIPALITIES) if rng.random() < 0.4 else None,
        kind=rng.choice(KINDS) if rng.random() < 0.3 else None,
        industry=rng.choice(SEARCH_INDUSTRIES) if rng.random() < 0.4 else None,
        min_area_ha=Decimal(rng.choice((1, 5, 10, 50))) if rng.random() < 0.2 else None,
        max_area_ha=Decimal(rng.choice((20, 60, 100))) if rng.random() < 0.1 else None,
        min_power_mw=Decimal(rng.choice((5, 10, 20, 50))) if rng.random() < 0.3 else None,
        rail=rng.random() < 0.2,
        zoning=rng.choice(ZONINGS) if rng.random() < 0.1 else None,
        q=str(rng.randint(1, 99)) if rng.random() < 0.1 else None,
        sort=rng.choice(SORTS),
        page=1 if rng.random() < 0.5 else rng.randint(2, 30),
    )
    return f"/{rng.choice(('fi', 'en'))}/sites{search.query()}"


@dataclass(frozen=True)
class Case:
    label: str
    cached: bool
    paths: list[str]


def cases(slugs: list[str], draws: int) -> list[Case]:
    rng = random.Random(3)
    popular = rng.sample(slugs, 40)
    lang = ("fi", "en")
    return [
        # The same filtered list again and again: rendered once, then from the cache.
        Case("site list, cached", True, [LIST_PATH]),
        # Visitors spread over 40 sites: each page rendered once, then from the cache.
        Case(
            "site page, cached",
            True,
            [f"/{rng.choice(lang)}/sites/{rng.choice(popular)}" for _ in range(draws)],
        ),
        Case("search, varied", False, [random_search(rng) for _ in range(draws)]),
        Case(
            "site page, varied",
            False,
            [f"/{rng.choice(lang)}/sites/{rng.choice(slugs)}" for _ in range(draws)],
        ),
        Case(
            "municipality page",
            False,
            [
                f"/{rng.choice(lang)}/municipalities/{rng.choice(MUNICIPALITIES)}"
                for _ in range(draws)
            ],
        ),
        Case(
            "industry page",
            False,
            [
                f"/{rng.choice(lang)}/industries/{rng.choice(SEARCH_INDUSTRIES)}"
                for _ in range(draws)
            ],
        ),
        # A site selector's shortlist: two to six sites side by side, each a new link.
        Case("comparison, varied", False, [random_comparison(rng, slugs) for _ in range(draws)]),
    ]


def random_comparison(rng: random.Random, slugs: list[str]) -> str:
    picked = rng.sample(slugs, rng.randint(2, SHORTLIST_MAX))
    return f"/{rng.choice(('fi', 'en'))}/compare?sites={','.join(picked)}"


# --- load -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What one timed run achieved."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int
    client_cpu: float  # share of one core the load process used

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> int:
    """One GET on a keep-alive connection; the status code (the body is read, not kept)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _drive(
    port: int, paths: list[str], connections: int, seconds: float, rate: float | None
) -> tuple[int, float, list[float], int]:
    host = f"127.0.0.1:{port}"
    latencies: list[float] = []
    failures = 0
    sent = 0
    start = 0.0
    deadline = 0.0

    def next_due() -> float | None:
        """When the next request is due (open loop), or now (closed loop); None at the end."""
        nonlocal sent
        now = time.perf_counter()
        due = start + sent / rate if rate else now
        if due >= deadline:
            return None
        sent += 1
        return due

    async def connection(index: int) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 22)
        for i in range(3):  # warm-up outside the clock: pools, plans, first renders
            await _exchange(reader, writer, host, paths[(index * 3 + i) % len(paths)])
        warmed.append(index)
        if len(warmed) == connections:
            begin()
        await ready.wait()
        turn = index
        while (due := next_due()) is not None:
            if rate:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            path = paths[turn % len(paths)]
            turn += connections
            status = await _exchange(reader, writer, host, path)
            latencies.append((time.perf_counter() - due) * 1000)
            failures += status != 200
        writer.close()

    def begin() -> None:
        """Start the clock once every connection is warm."""
        nonlocal start, deadline
        start = time.perf_counter()
        deadline = start + seconds
        ready.set()

    ready = asyncio.Event()
    warmed: list[int] = []
    tasks = [asyncio.create_task(connection(i)) for i in range(connections)]
    await asyncio.gather(*tasks)
    return len(latencies), time.perf_counter() - start, latencies, failures


def load(port: int, paths: list[str], connections: int, seconds: float, rate: float | None) -> Load:
    """Run in the load process: drive the server, report what it achieved."""
    cpu_before = time.process_time()
    wall_before = time.perf_counter()
    count, elapsed, latencies, failures = asyncio.run(
        _drive(port, paths, connections, seconds, rate)
    )
    cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
    return Load(count, elapsed, latencies, failures, cpu)


# --- servers --------------------------------------------------------------------------------


def serve(app: str, port: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            # Connections wait while the others warm up: the default 5 s closes them.
            "--timeout-keep-alive",
            "120",
        ],
        cwd=cwd,
        env=env,
    )


def fetch(port: int, path: str) -> tuple[int, bytes]:
    import httpx

    for _ in range(300):
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
            return response.status_code, response.content
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not answer")


@contextmanager
def servers(url: str) -> Iterator[tuple[int, int]]:
    """The portal with its render cache and without it: their ports."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "ENVIRONMENT": "test",
        "SECRET_KEY": BENCH_SECRET,
    }
    cached, uncached = free_port(), free_port()
    started = [
        serve("app.asgi:app", cached, env, ROOT),
        serve("app.asgi:app", uncached, {**env, "PORTAL_RENDER_CACHE_ENTRIES": "0"}, ROOT),
    ]
    try:
        for port in (cached, uncached):
            fetch(port, "/healthz")
        yield cached, uncached
    finally:
        for server in started:
            server.terminate()
            server.wait(timeout=10)


@contextmanager
def static_server(bodies: dict[str, bytes]) -> Iterator[int]:
    with tempfile.TemporaryDirectory() as folder:
        static_dir = Path(folder) / "static"
        static_dir.mkdir()
        for name, body in bodies.items():
            (static_dir / name).write_bytes(body)
        (Path(folder) / "static_app.py").write_text(STATIC_APP.format(folder=str(static_dir)))
        port = free_port()
        server = serve("static_app:app", port, dict(os.environ), Path(folder))
        try:
            fetch(port, "/")
            yield port
        finally:
            server.terminate()
            server.wait(timeout=10)


# --- the run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    case: Case
    size: int
    portal: Load
    static: Load


def _file(label: str) -> str:
    return label.replace(",", "").replace(" ", "-") + ".html"


def _row(m: Measured) -> Row:
    ratio = m.portal.rate / m.static.rate if m.static.rate else None
    lat = m.portal.latencies_ms
    return Row(
        work=f"portal {m.case.label} ({m.size / 1024:.0f} KiB)",
        goal=f">= {GOAL:.2f}x static",
        floor=f"{m.static.rate:.0f} req/s",
        measured=f"{m.portal.rate:.0f} req/s p50 {percentile(lat, 0.5):.0f} ms "
        f"p95 {percentile(lat, 0.95):.0f} ms",
        ratio=ratio,
        met=ratio is not None and ratio >= GOAL and m.portal.failures == 0,
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=6.0, help="timed seconds per case")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=None, help="offered req/s (open loop)")
    parser.add_argument("--draws", type=int, default=3000, help="distinct URLs per case")
    parser.add_argument("--profile", action="store_true", help="pyinstrument, in-process")
    return parser.parse_args(argv)


def measure_all(url: str, args: argparse.Namespace) -> list[Measured]:
    started = time.perf_counter()
    slugs = seed(url, args.sites)
    print(f"seeded {args.sites} published sites in {time.perf_counter() - started:.1f} s")
    all_cases = cases(slugs, args.draws)
    results: list[Measured] = []
    spawn = multiprocessing.get_context("spawn")
    with servers(url) as (cached_port, uncached_port), ProcessPoolExecutor(1, spawn) as client:
        bodies = {}
        for case in all_cases:
            status, body = fetch(cached_port, case.paths[0])
            if status != 200:
                raise RuntimeError(f"{case.paths[0]} answered {status}")
            bodies[_file(case.label)] = body
        with static_server(bodies) as static_port:
            for case in all_cases:
                port = cached_port if case.cached else uncached_port
                portal = client.submit(
                    load, port, case.paths, args.connections, args.seconds, args.rate
                ).result()
                floor = client.submit(
                    load,
                    static_port,
                    [f"/{_file(case.label)}"],
                    args.connections,
                    args.seconds,
                    None,
                ).result()
                results.append(Measured(case, len(bodies[_file(case.label)]), portal, floor))
    return results


def run(argv: list[str]) -> list[Row]:
    """The benchmark as rows of the shared table (scripts/bench_all.py)."""
    args = parse(argv)
    base = bench_server_url()
    if base is None:
        raise RuntimeError("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on it).")
    with scratch_database(base, "bench_portal") as url:
        return [_row(m) for m in measure_all(url, args)]


def print_table(args: argparse.Namespace, results: list[Measured]) -> None:
    offered = f"{args.rate:.0f} req/s" if args.rate else "saturating"
    print(
        f"{args.connections} connections, {args.seconds:.0f} s per case, offered: {offered}; "
        f"static floor unthrottled, right after each case"
    )
    print(
        f"{'case':<22}{'KiB':>5} {'offered':>10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'fail':>5} {'client':>7} | {'static':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'client':>7} | ratio"
    )
    for m in results:
        p, s = m.portal, m.static
        ratio = p.rate / s.rate if s.rate else 0.0
        print(
            f"{m.case.label:<22}{m.size / 1024:>5.0f} {offered:>10} {p.rate:>7.1f} "
            f"{percentile(p.latencies_ms, 0.5):>7.1f} {percentile(p.latencies_ms, 0.95):>7.1f} "
            f"{p.failures:>5} {p.client_cpu:>6.0%} | {s.rate:>7.1f} "
            f"{percentile(s.latencies_ms, 0.5):>7.1f} {percentile(s.latencies_ms, 0.95):>7.1f} "
            f"{s.client_cpu:>6.0%} | {ratio:.2f} {'met' if ratio >= GOAL else 'NOT met'}"
        )


def profile(url: str, args: argparse.Namespace) -> None:
    """Where an uncached request's time goes: the uncached cases in-process, without the
    render cache, under pyinstrument. The thread pool is replaced by inline calls so
    that the whole request runs on the profiled thread."""
    import anyio.to_thread
    import httpx
    from pyinstrument import Profiler

    from app.main import create_app
    from app.settings import Settings

    async def inline(func: Any, *func_args: Any, **_options: Any) -> Any:
        return func(*func_args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    slugs = seed(url, args.sites)
    settings = Settings(
        database_url=url,
        environment="test",
        secret_key=BENCH_SECRET,
        portal_render_cache_entries=0,
    )
    app = create_app(settings)

    async def fetch_all(paths: list[str]) -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portal") as http:
            for path in paths:
                (await http.get(path)).raise_for_status()

    for case in cases(slugs, 200):
        if case.cached:
            continue
        asyncio.run(fetch_all(case.paths[:20]))
        profiler = Profiler(interval=0.0005)
        started = time.perf_counter()
        with profiler:
            asyncio.run(fetch_all(case.paths[20:]))
        per_request = (time.perf_counter() - started) / (len(case.paths) - 20) * 1000
        print(f"\n=== {case.label}: {per_request:.1f} ms per request in-process ===")
        print(profiler.output_text(show_all=False, timeline=False))


def main() -> int:
    args = parse(sys.argv[1:])
    base = bench_server_url()
    if base is None:
        print("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
        return 2
    with scratch_database(base, "bench_portal") as url:
        if args.profile:
            profile(url, args)
            return 0
        print_table(args, measure_all(url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the public portal against uvicorn serving a static HTML file.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python scripts/bench_portal.py [--sites 10000] [--requests 400] [--concurrency 8]

Creates a scratch database with 10,000 published sites (COPY), serves the app with
uvicorn (one worker) and, in the same run, a static HTML file of the same size as each
page with uvicorn (one worker, Starlette's StaticFiles). Measures the filtered site
list and a site page (full renders: no If-None-Match), prints throughput, p50/p95 and
the portal/static throughput ratio (goal: at least 0.5), and drops the database.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402

from benchlib import bench_server_url, scratch_database  # noqa: E402

PORTAL_PORT, STATIC_PORT = 8766, 8767
MUNICIPALITIES = ["105", "205", "290", "578", "620", "697", "765", "777"]
INDUSTRIES = ["ict_data_centres", "metal_machinery", "forest_bioeconomy", "mining_chemicals"]
KINDS = ["industrial_plot", "data_centre", "premises", "energy", "tourism"]
LIST_PATH = "/en/sites?industry=technology&min_power_mw=10&sort=power_desc"
STATIC_APP = """
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

app = Starlette()
app.mount("/", StaticFiles(directory={folder!r}, html=True))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
                        "detailed_plan",
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
        cur.execute("ANALYZE")
    return slugs


def serve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", *args, "--host", "127.0.0.1", "--log-level", "warning"],
        cwd=cwd,
        env=env,
    )


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def measure(base: str, paths: list[str], concurrency: int) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p95 ms) of GETting `paths` with `concurrency`
    keep-alive clients."""
    latencies: list[float] = []
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(concurrency)]

    def run(index: int) -> None:  # one request; list.append is thread-safe
        client = clients[index % concurrency]
        t0 = time.perf_counter()
        response = client.get(paths[index])
        latencies.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()

    for i in range(min(40, len(paths))):  # warm-up: pools, caches, plans
        clients[i % concurrency].get(paths[i]).raise_for_status()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, range(len(paths))))
    elapsed = time.perf_counter() - started
    for client in clients:
        client.close()
    return len(paths) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.95)


def _file(label: str) -> str:
    return label.replace(",", "").replace(" ", "-")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    base = bench_server_url()
    if base is None:
        print("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
        return 2
    with scratch_database(base, "bench_portal") as url:
        return _run(url, args)


def _run(url: str, args: argparse.Namespace) -> int:
    servers: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        slugs = seed(url, args.sites)
        print(f"seeded {args.sites} published sites in {time.perf_counter() - started:.1f} s")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "ENVIRONMENT": "test",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
        servers.append(serve(["app.asgi:app", "--port", str(PORTAL_PORT)], env, ROOT))
        portal = f"http://127.0.0.1:{PORTAL_PORT}"
        wait_up(f"{portal}/healthz")
        rng = random.Random(3)
        popular = rng.sample(slugs, 40)
        cases = {
            # The same filtered list again and again: rendered once, then from the cache.
            "filtered site list": [LIST_PATH] * args.requests,
            # Visitors spread over 40 sites: each page is rendered once, then cached.
            "site page": [f"/en/sites/{rng.choice(popular)}" for _ in range(args.requests)],
            # Every request a different site of 10,000: every page is rendered.
            "site page, uncached": [f"/en/sites/{s}" for s in rng.sample(slugs, args.requests)],
        }
        with tempfile.TemporaryDirectory() as folder:
            static_dir = Path(folder) / "static"
            static_dir.mkdir()
            sizes = {}
            for label, paths in cases.items():
                body = httpx.get(portal + paths[0], timeout=30).content
                sizes[label] = len(body)
                (static_dir / f"{_file(label)}.html").write_bytes(body)
            (Path(folder) / "static_app.py").write_text(STATIC_APP.format(folder=str(static_dir)))
            servers.append(
                serve(
                    ["static_app:app", "--port", str(STATIC_PORT)], dict(os.environ), Path(folder)
                )
            )
            static = f"http://127.0.0.1:{STATIC_PORT}"
            wait_up(static + "/")
            print(f"{args.requests} requests per case, {args.concurrency} concurrent clients")
            for label, paths in cases.items():
                rps, p50, p95 = measure(portal, paths, args.concurrency)
                file_path = f"/{_file(label)}.html"
                s_rps, s_p50, s_p95 = measure(static, [file_path] * len(paths), args.concurrency)
                print(
                    f"{label:<20} ({sizes[label] / 1024:.0f} KiB): portal {rps:7.1f} req/s "
                    f"p50 {p50:6.2f} ms p95 {p95:6.2f} ms | static {s_rps:7.1f} req/s "
                    f"p50 {s_p50:6.2f} ms p95 {s_p95:6.2f} ms | "
                    f"throughput ratio {rps / s_rps:.2f} (goal >= 0.50)"
                )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())

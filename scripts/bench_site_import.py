"""Benchmark (not a test): dry run and apply of a generated XLSX site package with
coordinates in ETRS-TM35FIN (EPSG:3067), each size in a scratch PostgreSQL database on
the server of BENCH_DATABASE_URL (default: the local PostgreSQL).

    .venv/bin/python scripts/bench_site_import.py [--sites 1000] [--memory-sizes 1000,4000]

Time and memory are measured in separate runs: the timed run (dry run + apply of
`--sites` sites, goal under 5 s) has no memory tracing; each memory run is a fresh
subprocess that traces the Python heap (tracemalloc) through dry run + apply and
reports the peak of each, for two package sizes, so the growth per extra site of the
dry run and of the apply shows whether memory is flat in the number of rows. Rows are
handled 200 at a time, so sizes of at least two batches (the default 1,000 and 4,000)
compare like with like.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import openpyxl
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.migrations import upgrade_to_head  # noqa: E402
from app.db.models import User  # noqa: E402
from app.db.session import make_engine  # noqa: E402
from app.domain.access import Actor, Role  # noqa: E402
from app.services import packages  # noqa: E402
from app.services.auth import actor_for  # noqa: E402
from app.services.reference import ensure_reference_data  # noqa: E402
from app.storage import LocalStorage  # noqa: E402

from benchlib import Row, bench_server_url, print_table, scratch_database  # noqa: E402

GOAL_SECONDS = 5.0
# Flat: at most this much more peak memory per extra site.
GOAL_BYTES_PER_SITE = 1024
HEADER = [
    "external_ref", "kind", "name_fi", "name_en", "municipality_code", "crs", "easting",
    "northing", "area_ha", "available_power_mw", "rail_siding", "zoning_status",
    "industry_codes", "last_verified_on",
]  # fmt: skip


def workbook(count: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Kohteet - Sites")
    sheet.append(HEADER)
    for i in range(count):
        sheet.append(
            [
                f"BENCH-{i:05d}", "industrial_plot", f"Tontti {i}", f"Plot {i}", "205",
                "EPSG:3067", 520_000 + (i % 100) * 250, 7_110_000 + (i // 100) * 250,
                1 + i % 20, i % 50, "kyllä" if i % 2 else "ei", "detailed_plan",
                "metal_machinery; ict_data_centres", "2026-01-15",
            ]
        )  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _prepared(url: str) -> tuple[Engine, Actor]:
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine, expire_on_commit=False) as db:
        ensure_reference_data(db)
        user = User(
            email="bench@example.invalid",
            full_name="Bench",
            role=Role.COORDINATOR.value,
            password_hash="!",  # noqa: S106  (no login: an unusable hash)
        )
        db.add(user)
        db.commit()
        return engine, actor_for(user)


def _import(
    engine: Engine, actor: Actor, data: bytes, count: int, storage: Path, step: Callable[[], None]
) -> None:
    """Dry run, then apply, each in a session of its own as two requests would be;
    `step` runs after each (a clock or a memory reading)."""
    with Session(engine) as db:
        upload = packages.check_package(db, actor, filename="bench.xlsx", data=data, lang="fi")
        assert upload.report["summary"]["create"] == count, upload.report["summary"]
        upload_id = upload.id
        del upload
    step()
    with Session(engine) as db:
        packages.apply_package(db, actor, LocalStorage(storage), upload_id)
    step()


def timed_import(url: str, count: int, storage: Path) -> list[float]:
    """Seconds of the dry run and of the apply."""
    engine, actor = _prepared(url)
    data = workbook(count)
    marks = [time.perf_counter()]
    try:
        _import(engine, actor, data, count, storage, lambda: marks.append(time.perf_counter()))
    finally:
        engine.dispose()
    return [b - a for a, b in pairwise(marks)]


def traced_import(url: str, count: int, storage: Path) -> dict[str, float]:
    """Peak traced Python memory of the dry run and of the apply, and the process's
    peak resident set; the package itself is built before tracing starts."""
    engine, actor = _prepared(url)
    data = workbook(count)
    peaks: list[int] = []

    def reading() -> None:
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()

    tracemalloc.start()
    try:
        _import(engine, actor, data, count, storage, reading)
    finally:
        tracemalloc.stop()
        engine.dispose()
    return {
        "dry_run_bytes": peaks[0],
        "apply_bytes": peaks[1],
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _memory_in_subprocess(count: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--memory-run", str(count)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _mb(size: float) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def run(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(prog="bench_site_import.py")
    parser.add_argument("--sites", type=int, default=1000, help="sites in the timed run")
    parser.add_argument("--memory-sizes", default="1000,4000", help="two package sizes")
    parser.add_argument("--quick", action="store_true", help="200 sites; 200 and 800")
    parser.add_argument("--memory-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sites, args.memory_sizes = 200, "200,800"
    base = bench_server_url()
    if base is None:
        raise SystemExit("Set BENCH_DATABASE_URL to a PostgreSQL URL (any database on the server).")
    if args.memory_run:
        # The child of a memory run: one JSON line on stdout.
        with tempfile.TemporaryDirectory() as tmp, scratch_database(base, "bench_sites") as url:
            print(json.dumps(traced_import(url, args.memory_run, Path(tmp))))
        return []
    with tempfile.TemporaryDirectory() as tmp, scratch_database(base, "bench_sites") as url:
        dry_run, apply = timed_import(url, args.sites, Path(tmp))
    seconds = dry_run + apply
    small, large = (int(n) for n in args.memory_sizes.split(","))
    peaks = {n: _memory_in_subprocess(n) for n in (small, large)}

    def memory_row(phase: str, key: str) -> Row:
        low, high = peaks[small][key], peaks[large][key]
        per_site = (high - low) / (large - small)
        return Row(
            work=f"site package: {phase} peak memory, {small:,} → {large:,} sites",
            goal=f"flat: < {GOAL_BYTES_PER_SITE / 1024:g} KB per extra site",
            floor=f"{_mb(low)} at {small:,}",
            measured=f"{_mb(high)} at {large:,} ({per_site / 1024:+.2f} KB/site)",
            ratio=high / low,
            met=per_site < GOAL_BYTES_PER_SITE,
        )

    rss = f"RSS {_mb(peaks[small]['max_rss_bytes'])} → {_mb(peaks[large]['max_rss_bytes'])}"
    return [
        Row(
            work=f"site package: dry run + apply, {args.sites:,} sites",
            goal=f"< {GOAL_SECONDS:g} s",
            floor="",
            measured=f"{seconds:.2f} s (dry run {dry_run:.2f}, apply {apply:.2f})",
            ratio=None,
            met=seconds < GOAL_SECONDS,
        ),
        memory_row("dry run", "dry_run_bytes"),
        replace(
            memory_row("apply", "apply_bytes"),
            floor=f"{_mb(peaks[small]['apply_bytes'])} at {small:,}; {rss}",
        ),
    ]


def main() -> int:
    rows = run(sys.argv[1:])
    if rows:
        print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

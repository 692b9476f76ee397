"""Benchmark (not a test): dry run and apply of a generated 1,000-site XLSX package
with coordinates in ETRS-TM35FIN (EPSG:3067), on a scratch PostgreSQL database on the
server of BENCH_DATABASE_URL, or on a scratch SQLite file when none is set.

    .venv/bin/python scripts/bench_site_import.py [SITES]

Prints the time of each step and the peak memory (tracemalloc) for two package sizes,
so you can see whether memory grows with the number of sites.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl
from sqlalchemy.orm import Session

from app.db.migrations import upgrade_to_head
from app.db.models import User
from app.db.session import make_engine
from app.domain.access import Role
from app.services import packages
from app.services.auth import actor_for
from app.services.reference import ensure_reference_data
from app.storage import LocalStorage

from benchlib import bench_server_url, scratch_database

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


def measure(label: str, step: object) -> object:
    tracemalloc.start()
    started = time.perf_counter()
    result = step()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  {label:<10} {seconds:6.2f} s   peak {peak / 1024 / 1024:7.1f} MB")
    return result


def run(count: int, url: str, storage_dir: Path) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine, expire_on_commit=False) as db:
        ensure_reference_data(db)
        user = User(
            email=f"bench-{count}@example.invalid",
            full_name="Bench",
            role=Role.COORDINATOR.value,
            password_hash="!",  # noqa: S106  (no login: an unusable hash)
        )
        db.add(user)
        db.commit()
        actor = actor_for(user)
        data = workbook(count)
        print(f"{count} sites, XLSX {len(data) / 1024:.0f} kB")
        upload = measure(
            "dry run",
            lambda: packages.check_package(db, actor, filename="bench.xlsx", data=data, lang="fi"),
        )
        assert upload.report["summary"]["create"] == count, upload.report["summary"]
        measure(
            "apply",
            lambda: packages.apply_package(db, actor, LocalStorage(storage_dir), upload.id),
        )
    engine.dispose()


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    server = bench_server_url()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (count // 4, count):
            if server is None:
                run(n, f"sqlite:///{tmp}/bench-{n}.db", Path(tmp) / f"storage-{n}")
                continue
            with scratch_database(server, "bench_sites") as url:
                run(n, url, Path(tmp) / f"storage-{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

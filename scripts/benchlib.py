"""What the benchmark scripts share: where to benchmark, a scratch database, free
ports and the row every benchmark reports.

Benchmarks are not tests: each prints figures. They run against PostgreSQL, named by
BENCH_DATABASE_URL (any database on the server; TEST_DATABASE_URL as a fallback; the
local server at 127.0.0.1:5432 by default), in a database of their own that is created
for the run and dropped after it.

Each benchmark script exposes `run(argv: list[str]) -> list[Row]` beside its `main()`,
so `scripts/bench_all.py` can run them all and print one table.
"""

from __future__ import annotations

import os
import socket
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Row:
    """One line of the benchmark table: what was measured against what.

    `measured` and `floor` are in `unit`; `ratio` is measured/floor (or the figure the
    goal is stated in, e.g. a throughput share); `met` says whether the goal holds.
    """

    work: str
    goal: str
    floor: str
    measured: str
    ratio: float | None
    met: bool


def bench_server_url() -> str | None:
    """The PostgreSQL server to benchmark on, or None (the caller says what to set)."""
    base = (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or DEFAULT_SERVER_URL
    )
    if make_url(base).get_backend_name() != "postgresql":
        return None
    return base


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (chosen by the kernel)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def scratch_database(base_url: str, prefix: str) -> Iterator[str]:
    """A new empty database on the server of `base_url`, dropped afterwards."""
    url = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def ratio_text(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}"


def print_table(rows: Sequence[Row], out: TextIO | None = None) -> None:
    """The rows as one aligned table; the last column says met or NOT MET."""
    header = ("work", "goal", "floor", "measured", "ratio", "met")
    lines = [
        (r.work, r.goal, r.floor, r.measured, ratio_text(r.ratio), "met" if r.met else "NOT MET")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    target = out or sys.stdout
    for line in [header, tuple("-" * w for w in widths), *lines]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)), file=target)

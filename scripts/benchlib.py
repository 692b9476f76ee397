"""What the benchmark scripts share: where to benchmark and a scratch database.

Benchmarks are not tests: each prints figures. They run against PostgreSQL, named by
BENCH_DATABASE_URL (any database on the server; TEST_DATABASE_URL as a fallback), in a
database of their own that is created for the run and dropped after it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def bench_server_url() -> str | None:
    """The PostgreSQL server to benchmark on, or None (the caller says what to set)."""
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base or make_url(base).get_backend_name() != "postgresql":
        return None
    return base


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

"""What the long-running processes do once started: one shared HTTP client, and the
start-up heap kept out of the garbage collector's full passes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from app.services import outbound

ROOT = Path(__file__).resolve().parents[2]


def test_attempts_starting_side_by_side_share_one_http_client() -> None:
    """The first attempts of a worker start together: each building its own client (a
    TLS context, tens of milliseconds of CPU) made them wait for one another."""
    timeout = 7.25  # a timeout no other test uses, so the first call builds the client
    start = threading.Barrier(12)
    clients: list[object] = []

    def first_attempt() -> None:
        start.wait()
        clients.append(outbound.shared_client(timeout))

    threads = [threading.Thread(target=first_attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients) == 12
    assert len({id(client) for client in clients}) == 1


def test_the_web_process_freezes_what_start_up_built(tmp_path: Path) -> None:
    """`app.asgi`, what uvicorn imports, leaves the application it built out of the
    collector's full passes (`gc.freeze`)."""
    result = subprocess.run(
        [sys.executable, "-c", "import gc, app.asgi; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "SECRET_KEY": "k" * 64,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert int(result.stdout.split()[-1]) > 100_000

"""What the long-running processes do once started: one shared HTTP client, the
start-up heap kept out of the garbage collector's full passes, and the syndication
worker's threads kept to one CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

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


# In a process of its own: pinning the test process would slow every test after it.
PINNED_THREAD = """
import os, threading
from app.process import keep_to_one_cpu
cpu = keep_to_one_cpu()
seen = []
thread = threading.Thread(target=lambda: seen.append(sorted(os.sched_getaffinity(0))))
thread.start()
thread.join()
print(cpu, *seen[0])
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs Linux and two CPUs",
)
def test_a_process_kept_to_one_cpu_starts_its_threads_on_that_cpu() -> None:
    printed = subprocess.run(  # noqa: S603  (our own interpreter and code)
        [sys.executable, "-c", PINNED_THREAD],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.split()
    cpu, *thread_cpus = (int(value) for value in printed)
    assert thread_cpus == [cpu]
    assert cpu in os.sched_getaffinity(0)


@pytest.mark.parametrize("one_cpu", [True, False])
def test_the_syndication_worker_process_keeps_to_one_cpu_unless_switched_off(
    monkeypatch: pytest.MonkeyPatch, one_cpu: bool
) -> None:
    from app.services import syndication
    from app.settings import Settings

    calls: list[str] = []
    monkeypatch.setattr(syndication, "keep_to_one_cpu", lambda: calls.append("pinned"))
    monkeypatch.setattr(syndication, "settle_heap", lambda: None)
    monkeypatch.setattr(syndication.SyndicationWorker, "run", lambda self: calls.append("ran"))
    settings = Settings(secret_key="x" * 48, syndication_worker_one_cpu=one_cpu)
    syndication.run_worker(None, settings)  # type: ignore[arg-type]  # run() is replaced
    assert calls == (["pinned", "ran"] if one_cpu else ["ran"])

"""What long-running processes do once started (app/process.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

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

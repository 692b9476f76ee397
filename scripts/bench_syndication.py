"""Benchmark (not a test): 1,000 site changes pushed to 8 local webhook receivers on
127.0.0.1, once with all receivers healthy, once with one of them slow (it answers
after 30 s, past the 2 s timeout, so every attempt to it times out), and once with
eight more receivers that hang: they answer the headers at once and then trickle the
body one byte a second for a minute, so only a total deadline ends an attempt.

Needs PostgreSQL (SKIP LOCKED, LISTEN/NOTIFY): a scratch database is created next to
the one in BENCH_DATABASE_URL or TEST_DATABASE_URL and dropped afterwards.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python scripts/bench_syndication.py [CHANGES] [CHANGES_PER_SECOND] [FAULTS] \\
        [REPEATS]

Prints, for the healthy receivers, the latency from the commit of a change to the
receipt of a message carrying it (that version of the site or a newer one: only the
newest state of a site goes out, superseding unsent older ones), p50, p95, max, the
rate the changes were committed at beside the offered one, how long after the last
change everything had arrived, what the attempts ended in, and the slowdown each fault
causes to the healthy receivers (p95 and max with it / without it).
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.models import Site, SyndicationAttempt, SyndicationDelivery, SyndicationTarget
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR
from app.services.reference import ensure_reference_data
from app.services.sites import helsinki_today
from app.services.syndication import SyndicationWorker, encrypt, record_site_event
from app.settings import Settings

from benchlib import bench_server_url, scratch_database

RECEIVERS = 8
SITES = 100
FAULTS = ["all healthy", "one slow", "eight hanging"]


class Receiver:
    """Records, per site, when each version first arrived. `mode`: "" answers at once,
    "slow" after 30 s, "hang" sends the headers and then one byte a second."""

    def __init__(self, mode: str = "") -> None:
        self.received: dict[str, list[tuple[int, float]]] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    if mode == "slow":
                        time.sleep(30.0)
                    if mode == "hang":
                        self.send_response(200)
                        self.send_header("content-length", "60")
                        self.end_headers()
                        for _ in range(60):
                            self.wfile.write(b"x")
                            self.wfile.flush()
                            time.sleep(1.0)
                        return
                    data = json.loads(body)["data"]
                    with receiver.lock:
                        receiver.received.setdefault(data["id"], []).append(
                            (int(data["version"]), time.time())
                        )
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def has(self, site_id: str, version: int) -> float | None:
        """When a message carrying `version` of the site (or newer) first arrived."""
        with self.lock:
            times = [at for v, at in self.received.get(site_id, []) if v >= version]
        return min(times) if times else None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(base_url: str, changes: int, rate: float, fault: str) -> dict[str, float]:
    with scratch_database(base_url, "bench_synd") as url:
        engine = make_engine(url, pool_size=40, max_overflow=10)
        upgrade_to_head(engine)
        settings = Settings(
            environment="test",
            database_url=url,
            secret_key=secrets.token_urlsafe(48),
            syndication_timeout_seconds=2.0,
        )
        receivers = [
            Receiver("slow" if fault == "one slow" and n == 0 else "") for n in range(RECEIVERS)
        ]
        healthy = receivers[1:] if fault == "one slow" else list(receivers)
        if fault == "eight hanging":
            receivers += [Receiver("hang") for _ in range(8)]
        factory = make_session_factory(engine)
        with factory() as db:
            ensure_reference_data(db)
            bind_actor(db, SYSTEM_ACTOR)
            for n, receiver in enumerate(receivers):
                db.add(
                    SyndicationTarget(
                        municipality_code="205",
                        name=f"Receiver {n}",
                        kind="webhook",
                        url=receiver.url,
                        secret_encrypted=encrypt(settings, "whsec_" + "QUJD" * 8),
                    )
                )
            sites = [
                Site(
                    slug=f"bench-{n}",
                    municipality_code="205",
                    kind="industrial_plot",
                    status="published",
                    name_fi=f"Tontti {n}",
                    latitude=64.2,
                    longitude=27.7,
                    last_verified_on=helsinki_today(),
                )
                for n in range(SITES)
            ]
            db.add_all(sites)
            db.commit()

        worker = SyndicationWorker(engine, settings, poll_seconds=1.0)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        committed: list[tuple[str, int, float]] = []
        final: dict[str, int] = {}
        started = time.time()
        with factory() as db:
            bind_actor(db, SYSTEM_ACTOR)
            live = list(db.scalars(select(Site).order_by(Site.slug)))
            for n in range(changes):
                site = live[n % SITES]
                site.name_fi = f"Tontti {n % SITES} / muutos {n}"
                site.version += 1
                event = record_site_event(db, site, "changed")
                db.commit()
                assert event is not None
                committed.append((str(site.id), site.version, time.time()))
                final[str(site.id)] = site.version
                pause = started + (n + 1) / rate - time.time()
                if pause > 0:
                    time.sleep(pause)

        def complete() -> bool:
            return all(r.has(s, v) is not None for r in healthy for s, v in final.items())

        deadline = time.time() + 300
        while not complete() and time.time() < deadline:
            time.sleep(0.05)
        worker.stop()
        thread.join(timeout=10)
        latencies = [
            at - t
            for r in healthy
            for site_id, version, t in committed
            if (at := r.has(site_id, version)) is not None
        ]
        finished = max(at for r in healthy for times in r.received.values() for _, at in times)
        last_change = committed[-1][2]
        with factory() as db:
            healthy_urls = {r.url for r in healthy}
            outcomes = Counter(
                ("healthy " if url in healthy_urls else "faulty ") + (error or "ok").split(":")[0]
                for error, url in db.execute(
                    select(SyndicationAttempt.error, SyndicationTarget.url)
                    .join(
                        SyndicationDelivery,
                        SyndicationDelivery.id == SyndicationAttempt.delivery_id,
                    )
                    .join(SyndicationTarget, SyndicationTarget.id == SyndicationDelivery.target_id)
                )
            )
            statuses = Counter(db.scalars(select(SyndicationDelivery.status)))
        print(f"{fault:>13}: attempts {dict(outcomes)}, deliveries {dict(statuses)}")
        for r in receivers:
            r.server.shutdown()
        engine.dispose()
        return {
            "received": float(len(latencies)),
            "expected": float(len(committed) * len(healthy)),
            "p50": statistics.median(latencies),
            "p95": percentile(latencies, 95),
            "max": max(latencies),
            "total": finished - started,
            # The rate the changes were committed at (the offered one, unless the
            # database could not take them that fast) and how long the healthy
            # receivers waited after the last change for everything.
            "achieved_rate": len(committed) / (last_change - started),
            "drain": finished - last_change,
        }


def main() -> int:
    base_url = bench_server_url()
    if base_url is None:
        print("Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL URL.")
        return 1
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    faults = sys.argv[3].split(",") if len(sys.argv) > 3 else FAULTS
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    print(
        f"{changes} changes at {rate:g}/s to {RECEIVERS} receivers ({SITES} sites), "
        f"each case {repeats} times, the cases taking turns"
    )
    results: dict[str, list[dict[str, float]]] = {label: [] for label in faults}
    for _ in range(repeats):
        for label in faults:
            figures = run(base_url, changes, rate, label)
            results[label].append(figures)
            print(
                f"{label:>13}: received {figures['received']:.0f}/{figures['expected']:.0f}  "
                f"p50 {figures['p50'] * 1000:.0f} ms  p95 {figures['p95'] * 1000:.0f} ms  "
                f"max {figures['max'] * 1000:.0f} ms  total {figures['total']:.1f} s  "
                f"changes committed at {figures['achieved_rate']:.1f}/s (offered {rate:g}/s), "
                f"all received {figures['drain'] * 1000:.0f} ms after the last"
            )
    # One run's p95 moves with the machine's load by more than a fault does: the
    # cases are compared by the median of their runs.
    medians = {
        label: {key: statistics.median(r[key] for r in runs) for key in ("p50", "p95", "max")}
        for label, runs in results.items()
    }
    for label, figures in medians.items():
        print(
            f"{label:>13} (median of {repeats}): p50 {figures['p50'] * 1000:.0f} ms  "
            f"p95 {figures['p95'] * 1000:.0f} ms  max {figures['max'] * 1000:.0f} ms"
        )
    base = medians.get("all healthy")
    for label, figures in medians.items():
        if base is not None and label != "all healthy":
            print(
                f"slowdown of the healthy receivers by {label}: "
                f"p95 ×{figures['p95'] / base['p95']:.2f} (goal ≤ 1.2), "
                f"p50 ×{figures['p50'] / base['p50']:.2f}"
            )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark (not a test): 1,000 site changes pushed to 8 local webhook receivers on
127.0.0.1, once with all receivers healthy and once with one of them slow (it answers
after 30 s, past the 2 s timeout, so every attempt to it times out).

Needs PostgreSQL (SKIP LOCKED, LISTEN/NOTIFY): a scratch database is created next to
the one in BENCH_DATABASE_URL or TEST_DATABASE_URL and dropped afterwards.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python scripts/bench_syndication.py [CHANGES] [CHANGES_PER_SECOND]

Prints, for the healthy receivers, the latency from the commit of a change to its
receipt (p50, p95, max), the total time, and the slowdown the slow receiver causes to
the others (p95 and total time with it / without it).
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.models import Site, SyndicationDelivery, SyndicationEvent, SyndicationTarget
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR
from app.services.reference import ensure_reference_data
from app.services.sites import helsinki_today
from app.services.syndication import SyndicationWorker, encrypt, record_site_event
from app.settings import Settings

from benchlib import bench_server_url, scratch_database

RECEIVERS = 8
SITES = 100


class Receiver:
    def __init__(self, delay: float = 0.0) -> None:
        self.received: dict[str, float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                if delay:
                    time.sleep(delay)
                with receiver.lock:
                    receiver.received.setdefault(self.headers["webhook-id"], time.time())
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(base_url: str, changes: int, rate: float, slow: bool) -> dict[str, float]:
    with scratch_database(base_url, "bench_synd") as url:
        engine = make_engine(url, pool_size=30, max_overflow=10)
        upgrade_to_head(engine)
        settings = Settings(
            environment="test",
            database_url=url,
            secret_key=secrets.token_urlsafe(48),
            syndication_timeout_seconds=2.0,
        )
        receivers = [Receiver(delay=30.0 if slow and n == 0 else 0.0) for n in range(RECEIVERS)]
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
        committed: dict[int, float] = {}
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
                committed[event.id] = time.time()
                pause = started + (n + 1) / rate - time.time()
                if pause > 0:
                    time.sleep(pause)
        healthy = receivers[1:] if slow else receivers
        expected = changes * len(healthy)
        deadline = time.time() + 300
        while sum(len(r.received) for r in healthy) < expected and time.time() < deadline:
            time.sleep(0.05)
        finished = max(t for r in healthy for t in r.received.values())
        worker.stop()
        thread.join(timeout=10)
        with factory() as db:
            event_of = {
                f"msg_{d.hex}": e
                for d, e in db.execute(select(SyndicationDelivery.id, SyndicationDelivery.event_id))
            }
            assert db.scalar(select(SyndicationEvent.id).limit(1)) is not None
        latencies = [
            at - committed[event_of[webhook_id]]
            for r in healthy
            for webhook_id, at in r.received.items()
            if event_of.get(webhook_id) in committed
        ]
        for r in receivers:
            r.server.shutdown()
        engine.dispose()
        return {
            "received": float(len(latencies)),
            "expected": float(expected),
            "p50": statistics.median(latencies),
            "p95": percentile(latencies, 95),
            "max": max(latencies),
            "total": finished - started,
        }


def main() -> int:
    base_url = bench_server_url()
    if base_url is None:
        print("Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL URL.")
        return 1
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    print(f"{changes} changes at {rate:g}/s to {RECEIVERS} receivers ({SITES} sites)")
    results = {}
    for label, slow in (("all healthy", False), ("one slow", True)):
        figures = run(base_url, changes, rate, slow)
        results[label] = figures
        print(
            f"{label:>12}: received {figures['received']:.0f}/{figures['expected']:.0f}  "
            f"p50 {figures['p50'] * 1000:.0f} ms  p95 {figures['p95'] * 1000:.0f} ms  "
            f"max {figures['max'] * 1000:.0f} ms  total {figures['total']:.1f} s"
        )
    base, slow_ = results["all healthy"], results["one slow"]
    print(
        f"slowdown of the healthy receivers by the slow one: "
        f"p95 ×{slow_['p95'] / base['p95']:.2f}, total ×{slow_['total'] / base['total']:.2f}"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

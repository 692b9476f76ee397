"""Benchmark (not a test): 1,000 site changes pushed to 8 local webhook receivers on
127.0.0.1, once with all receivers healthy, once with one of them slow (it answers
after 30 s, past the 2 s timeout, so every attempt to it times out), and once with
eight more receivers that hang: they answer the headers at once and then trickle the
body one byte a second for a minute, so only a total deadline ends an attempt.

Needs PostgreSQL (SKIP LOCKED, LISTEN/NOTIFY): a scratch database is created next to
the one in BENCH_DATABASE_URL or TEST_DATABASE_URL and dropped afterwards.

    .venv/bin/python scripts/bench_syndication.py [--changes 1000] [--rate 20] \\
        [--faults "all healthy,one slow,eight hanging"] [--repeats 3] [--saturation-sites 500]

First, saturation: 500 sites' changes waiting for 8 receivers that answer at once (in
a process of their own), delivered by one worker (a process of its own, on one CPU as
`invest-kainuu syndication-worker` runs) as fast as it can, beside the rate the
same receivers take from plain client threads (the floor). Then the fault cases.

Prints, for the healthy receivers, the latency from the commit of a change to the
receipt of a message carrying it (that version of the site or a newer one: only the
newest state of a site goes out, superseding unsent older ones), p50, p95, max, the
rate the changes were committed at beside the offered one, how long after the last
change everything had arrived, what the attempts ended in, and the slowdown each fault
causes to the healthy receivers (p95 and max with it / without it).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db.audit import bind_actor
from app.db.migrations import upgrade_to_head
from app.db.models import (
    Site,
    SyndicationAttempt,
    SyndicationDelivery,
    SyndicationEvent,
    SyndicationTarget,
)
from app.db.session import make_engine, make_session_factory
from app.domain.access import SYSTEM_ACTOR
from app.domain.syndication import DeliveryStatus
from app.process import keep_to_one_cpu, settle_heap
from app.services.reference import ensure_reference_data
from app.services.sites import helsinki_today
from app.services.syndication import (
    SyndicationWorker,
    encrypt,
    public_document,
    record_site_event,
)
from app.settings import Settings

from benchlib import Row, bench_server_url, free_port, scratch_database

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


# A receiver that answers at once, in a process of its own so that it does not share
# the worker's interpreter: one port, the target number in the path.
RECEIVER_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
"""


def _bench_settings(url: str, secret_key: str | None = None) -> Settings:
    return Settings(
        environment="test",
        database_url=url,
        secret_key=secret_key or secrets.token_urlsafe(48),
        syndication_timeout_seconds=2.0,
    )


def _worker_process(url: str, secret_key: str, ready: Any, stop: Any) -> None:
    """The worker in a process of its own, as `invest-kainuu syndication-worker` runs in
    production: the changes and the receivers of a case run in the benchmark's process
    and must not take the worker's interpreter (with eight hanging receivers there are
    twice the deliveries to write per change, which would slow the worker itself)."""
    engine = make_engine(url, pool_size=20, max_overflow=10)
    # As the worker's own entry point (`run_worker`) does.
    keep_to_one_cpu()
    settle_heap()
    worker = SyndicationWorker(engine, _bench_settings(url, secret_key), poll_seconds=1.0)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    ready.set()
    stop.wait()
    worker.stop()
    thread.join(timeout=10)
    engine.dispose()


def _start_worker_process(url: str, settings: Settings) -> tuple[Any, Any]:
    """`_worker_process` started, once its loop runs; the process and the event that
    stops it."""
    spawn = multiprocessing.get_context("spawn")
    ready, stop = spawn.Event(), spawn.Event()
    worker = spawn.Process(
        target=_worker_process, args=(url, settings.secret_key.get_secret_value(), ready, stop)
    )
    worker.start()
    ready.wait(timeout=60)
    return worker, stop


def _seed(factory: Any, settings: Settings, urls: list[str], sites: int) -> None:
    with factory() as db:
        ensure_reference_data(db)
        bind_actor(db, SYSTEM_ACTOR)
        for n, url in enumerate(urls):
            db.add(
                SyndicationTarget(
                    municipality_code="205",
                    name=f"Receiver {n}",
                    kind="webhook",
                    url=url,
                    secret_encrypted=encrypt(settings, "whsec_" + "QUJD" * 8),
                )
            )
        db.add_all(
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
            for n in range(sites)
        )
        db.commit()


def saturation(base_url: str, sites: int) -> dict[str, float]:
    """How many deliveries a second one worker sends when the work is all there, against
    how many the same receiver takes from a client that does nothing else (the floor)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "receiver.py").write_text(RECEIVER_APP)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "receiver:app",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
                "--app-dir",
                folder,
            ],
        )
        try:
            hook = f"http://127.0.0.1:{port}/hook"
            deadline = time.time() + 20
            while True:
                try:
                    httpx.post(hook, content=b"{}")
                    break
                except httpx.TransportError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            with scratch_database(base_url, "bench_synd") as url:
                engine = make_engine(url, pool_size=20, max_overflow=10)
                upgrade_to_head(engine)
                settings = _bench_settings(url)
                factory = make_session_factory(engine)
                urls = [f"{hook}/{n}" for n in range(RECEIVERS)]
                _seed(factory, settings, urls, sites)
                with factory() as db:
                    bind_actor(db, SYSTEM_ACTOR)
                    for site in db.scalars(select(Site)):
                        site.version += 1
                        record_site_event(db, site, "changed")
                    db.commit()
                    event = db.scalars(select(SyndicationEvent).limit(1)).one()
                    body = json.dumps(
                        {"type": event.type, "data": public_document(event.data, settings.base_url)}
                    ).encode()
                total = sites * RECEIVERS
                # The floor: the same number of requests with the worker's concurrency
                # from plain client threads.
                threads = settings.syndication_worker_threads
                client = httpx.Client()
                started = time.perf_counter()
                with ThreadPoolExecutor(threads) as pool:
                    list(
                        pool.map(
                            lambda n: client.post(urls[n % RECEIVERS], content=body), range(total)
                        )
                    )
                floor = total / (time.perf_counter() - started)
                client.close()
                # The worker in a process of its own, as in production, timed from
                # its loop's start, not its imports.
                worker, stop = _start_worker_process(url, settings)
                started = time.perf_counter()
                pending = total
                while pending:
                    time.sleep(0.05)
                    with factory() as db:
                        pending = (
                            db.scalar(
                                select(func.count()).where(
                                    SyndicationDelivery.status == DeliveryStatus.PENDING.value
                                )
                            )
                            or 0
                        )
                elapsed = time.perf_counter() - started
                stop.set()
                worker.join(timeout=20)
                with factory() as db:
                    succeeded = db.scalar(
                        select(func.count()).where(
                            SyndicationDelivery.status == DeliveryStatus.SUCCEEDED.value
                        )
                    )
                engine.dispose()
        finally:
            server.terminate()
            server.wait()
    return {
        "deliveries": float(total),
        "succeeded": float(succeeded or 0),
        "rate": total / elapsed,
        "floor": floor,
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_case(base_url: str, changes: int, rate: float, fault: str) -> dict[str, float]:
    with scratch_database(base_url, "bench_synd") as url:
        engine = make_engine(url, pool_size=40, max_overflow=10)
        upgrade_to_head(engine)
        settings = _bench_settings(url)
        receivers = [
            Receiver("slow" if fault == "one slow" and n == 0 else "") for n in range(RECEIVERS)
        ]
        healthy = receivers[1:] if fault == "one slow" else list(receivers)
        if fault == "eight hanging":
            receivers += [Receiver("hang") for _ in range(8)]
        factory = make_session_factory(engine)
        _seed(factory, settings, [r.url for r in receivers], SITES)

        # The receivers standing in for the municipalities' servers run in this
        # process: a full collection of the benchmark's own heap would be charged to
        # the worker as latency.
        settle_heap()
        worker, stop = _start_worker_process(url, settings)
        # Changes start once the worker's loop has looked once.
        time.sleep(0.5)
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
        stop.set()
        worker.join(timeout=20)
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


BASELINE_SATURATION = 95.0  # deliveries a second, measured before the batched worker


def run(argv: list[str]) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="changes a second offered")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--saturation-sites", type=int, default=500)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke check: 200 changes, one run, 100 sites"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.changes, args.repeats, args.saturation_sites = 200, 1, 100
    base_url = bench_server_url()
    if base_url is None:
        raise SystemExit("Set BENCH_DATABASE_URL to a PostgreSQL URL.")
    rows: list[Row] = []
    if args.saturation_sites:
        figures = saturation(base_url, args.saturation_sites)
        print(
            f"   saturation: {figures['succeeded']:.0f}/{figures['deliveries']:.0f} delivered at "
            f"{figures['rate']:.0f}/s; the receivers take {figures['floor']:.0f}/s from plain "
            "client threads"
        )
        goal = 5 * BASELINE_SATURATION
        rows.append(
            Row(
                work=f"syndication worker, saturation ({figures['deliveries']:.0f} deliveries)",
                goal=f">= {goal:.0f}/s (5x {BASELINE_SATURATION:.0f}/s before)",
                floor=f"receivers {figures['floor']:.0f}/s",
                measured=f"{figures['rate']:.0f}/s",
                ratio=figures["rate"] / figures["floor"],
                met=figures["rate"] >= goal,
            )
        )
    faults = [f for f in args.faults.split(",") if f]
    if not faults:
        return rows
    print(
        f"{args.changes} changes at {args.rate:g}/s to {RECEIVERS} receivers ({SITES} sites), "
        f"each case {args.repeats} times, the cases taking turns"
    )
    results: dict[str, list[dict[str, float]]] = {label: [] for label in faults}
    for _ in range(args.repeats):
        for label in faults:
            figures = run_case(base_url, args.changes, args.rate, label)
            results[label].append(figures)
            print(
                f"{label:>13}: received {figures['received']:.0f}/{figures['expected']:.0f}  "
                f"p50 {figures['p50'] * 1000:.0f} ms  p95 {figures['p95'] * 1000:.0f} ms  "
                f"max {figures['max'] * 1000:.0f} ms  total {figures['total']:.1f} s  "
                f"changes committed at {figures['achieved_rate']:.1f}/s "
                f"(offered {args.rate:g}/s), "
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
            f"{label:>13} (median of {args.repeats}): p50 {figures['p50'] * 1000:.0f} ms  "
            f"p95 {figures['p95'] * 1000:.0f} ms  max {figures['max'] * 1000:.0f} ms"
        )
    base = medians.get("all healthy")
    for label, figures in medians.items():
        if base is None or label == "all healthy":
            continue
        ratio = figures["p95"] / base["p95"]
        print(
            f"slowdown of the healthy receivers by {label}: p95 ×{ratio:.2f} (goal ≤ 1.2), "
            f"p50 ×{figures['p50'] / base['p50']:.2f}"
        )
        rows.append(
            Row(
                work=f"syndication, healthy receivers' p95 with {label}",
                goal="<= 1.2x all healthy",
                floor=f"all healthy p95 {base['p95'] * 1000:.0f} ms",
                measured=f"p95 {figures['p95'] * 1000:.0f} ms",
                ratio=ratio,
                met=ratio <= 1.2,
            )
        )
    return rows


def main() -> int:
    for row in run(sys.argv[1:]):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())

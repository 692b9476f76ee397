"""Prometheus metrics of the web process.

Per process: the HTTP requests by route template (never the raw path, which would make
a series per record), method and status, and their latency. With uvicorn `--workers N`
each worker counts its own; set `PROMETHEUS_MULTIPROC_DIR` (an empty directory, wiped
at start) and prometheus-client adds them up across the workers at scrape time.

From the database, computed at scrape time so every instance reports the same: the
mail and syndication queues, the scheduled jobs' runs and the heartbeats."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.services import operations

log = logging.getLogger(__name__)

PREFIX: Final = "invest_kainuu"
# Routes that match nothing share one label, whatever was asked for.
UNMATCHED: Final = "<unmatched>"

HTTP_REQUESTS = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=None,
)
HTTP_LATENCY = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_LATENCY.labels(route, method).observe(seconds)


class DatabaseCollector(Collector):
    """The figures every instance shares, read at scrape time."""

    def __init__(self, db: Session) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            f"{PREFIX}_database_up", "Whether the database answered this scrape (1) or not (0)."
        )
        try:
            figures = operations.figures(self.db, utcnow())
        except SQLAlchemyError:
            log.exception("metrics: the database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _queue_metrics(figures)
        yield from _job_metrics(figures)


def _queue_metrics(figures: operations.Figures) -> Iterable[Metric]:
    yield GaugeMetricFamily(
        f"{PREFIX}_mail_queue_depth",
        "E-mail messages waiting in the outbox to be sent.",
        value=figures.mail_queue_depth,
    )
    deliveries = GaugeMetricFamily(
        f"{PREFIX}_syndication_deliveries",
        "Syndication deliveries by status (pending is the queue; failed ones gave up), "
        "within the retention period.",
        labels=["status"],
    )
    for status, count in sorted(figures.deliveries_by_status.items()):
        deliveries.add_metric([status], count)
    yield deliveries
    yield GaugeMetricFamily(
        f"{PREFIX}_syndication_deliveries_in_flight",
        "Pending deliveries a worker is attempting now.",
        value=figures.deliveries_in_flight,
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_syndication_deliveries_retrying",
        "Pending deliveries whose last attempt failed: receivers failing now.",
        value=figures.deliveries_retrying,
    )


def _job_metrics(figures: operations.Figures) -> Iterable[Metric]:
    runs = CounterMetricFamily(
        f"{PREFIX}_job_runs", "Runs of each scheduled job by outcome.", labels=["job", "outcome"]
    )
    duration = SummaryMetricFamily(
        f"{PREFIX}_job_duration_seconds", "Duration of the runs of each job.", labels=["job"]
    )
    last_duration = GaugeMetricFamily(
        f"{PREFIX}_job_last_duration_seconds", "Duration of each job's last run.", labels=["job"]
    )
    since_success = GaugeMetricFamily(
        f"{PREFIX}_job_last_success_age_seconds",
        "Seconds since each job last finished successfully.",
        labels=["job"],
    )
    now = utcnow()
    for job in figures.jobs:
        runs.add_metric([job.job, "success"], job.succeeded)
        runs.add_metric([job.job, "failure"], job.failed)
        duration.add_metric(
            [job.job], count_value=job.succeeded + job.failed, sum_value=job.duration_seconds_total
        )
        last_duration.add_metric([job.job], job.last_duration_seconds)
        if job.last_success_at is not None:
            since_success.add_metric([job.job], (now - job.last_success_at).total_seconds())
    yield from (runs, duration, last_duration, since_success)
    heartbeats = GaugeMetricFamily(
        f"{PREFIX}_heartbeat_age_seconds",
        "Seconds since the scheduler and the syndication worker last reported.",
        labels=["component"],
    )
    for component, age in sorted(figures.heartbeat_ages.items()):
        heartbeats.add_metric([component], age)
    yield heartbeats


def exposition(db: Session) -> bytes:
    """The text format of one scrape."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(HTTP_REQUESTS)
        registry.register(HTTP_LATENCY)
    registry.register(DatabaseCollector(db))
    return generate_latest(registry)

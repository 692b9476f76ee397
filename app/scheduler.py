"""Scheduled jobs, run by `invest-kainuu scheduler` only (never inside web workers).

APScheduler 3 cannot share a job store between processes, so every run takes a
PostgreSQL advisory lock named after its job: with several scheduler processes (or an
accidental second one) each run happens once, and jobs are written to be idempotent.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import utcnow
from app.db.session import make_engine, make_session_factory, session_scope
from app.logs import configure_logging
from app.process import keep_to_one_cpu, settle_heap
from app.request_id import bound_request_id, new_request_id
from app.services import operations
from app.services.auth import purge_expired_sessions, purge_login_throttles
from app.services.clusters import remind_expiring_agreements
from app.services.imports import purge_unapplied_imports
from app.services.intake import escalate
from app.services.mail import purge_sent_mail, send_due_emails
from app.services.notifications import run_notification_jobs
from app.services.packages import purge_unapplied_uploads
from app.services.portal import purge_rate_counters
from app.services.privacy import anonymise_expired_contacts, purge_unpursued_inquiries
from app.services.sites import flag_stale_sites
from app.services.syndication import (
    SyndicationWorker,
    disable_failing_targets,
    purge_old_deliveries,
)
from app.settings import Settings

log = logging.getLogger("invest_kainuu.scheduler")


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[Session, Settings], object]
    # APScheduler trigger arguments, e.g. {"trigger": "interval", "minutes": 5}.
    trigger: dict[str, Any] = field(default_factory=dict)


JOBS: list[Job] = [
    Job("send-email", send_due_emails, {"trigger": "interval", "seconds": 30}),
    Job(
        "purge-expired-sessions",
        lambda db, _s: purge_expired_sessions(db),
        {"trigger": "interval", "hours": 1},
    ),
    # Every minute: a site leaves the portal by date at midnight (Helsinki), and its
    # withdrawal reaches the municipalities' pages then, not at a nightly run.
    Job("flag-stale-sites", flag_stale_sites, {"trigger": "interval", "minutes": 1}),
    # Switches off targets failing too long even when no new change comes to try them.
    Job(
        "disable-failing-syndication-targets",
        disable_failing_targets,
        {"trigger": "interval", "minutes": 5},
    ),
    Job(
        "anonymise-expired-contacts",
        anonymise_expired_contacts,
        {"trigger": "cron", "hour": 4, "minute": 15},
    ),
    # Retention: the nightly deletions of personal data past its period.
    Job("purge-sent-mail", purge_sent_mail, {"trigger": "cron", "hour": 3, "minute": 15}),
    Job(
        "purge-unpursued-inquiries",
        purge_unpursued_inquiries,
        {"trigger": "cron", "hour": 4, "minute": 30},
    ),
    Job(
        "purge-unapplied-site-packages",
        purge_unapplied_uploads,
        {"trigger": "cron", "hour": 3, "minute": 30},
    ),
    Job(
        "purge-unapplied-imports",
        purge_unapplied_imports,
        {"trigger": "cron", "hour": 3, "minute": 35},
    ),
    Job(
        "remind-expiring-agreements",
        remind_expiring_agreements,
        {"trigger": "cron", "hour": 6, "minute": 0},
    ),
    # Today's task reminders and stale leads at the first run after midnight (Helsinki),
    # the daily digests at the first run after 07:00; each once, however often it runs.
    Job("notifications", run_notification_jobs, {"trigger": "interval", "minutes": 15}),
    # A new lead's answer nearly due or overdue: told once per lead each, so the interval
    # only decides how soon after the moment the notice comes.
    Job("escalate-response-clocks", escalate, {"trigger": "interval", "minutes": 15}),
    Job("purge-portal-rate-counters", purge_rate_counters, {"trigger": "interval", "hours": 6}),
    Job("purge-login-throttles", purge_login_throttles, {"trigger": "interval", "hours": 6}),
    Job(
        "purge-syndication-deliveries",
        purge_old_deliveries,
        {"trigger": "cron", "hour": 3, "minute": 45},
    ),
]


def lock_key(job_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job id."""
    return int.from_bytes(hashlib.sha256(job_id.encode()).digest()[:8], "big", signed=True)


def run_recorded(job: Job, factory: sessionmaker[Session], settings: Settings) -> None:
    """Run a job under a request id of its own (in its log lines and audit entries) and
    add the run to the job's totals in the database, which /metrics reports."""
    started_at = utcnow()
    clock = time.perf_counter()
    succeeded = False
    with bound_request_id(new_request_id()):
        try:
            with session_scope(factory) as db:
                job.run(db, settings)
            succeeded = True
        finally:
            duration = time.perf_counter() - clock
            log.info("job %s %s in %.3f s", job.id, "finished" if succeeded else "failed", duration)
            try:
                with session_scope(factory) as db:
                    operations.record_job_run(db, job.id, started_at, duration, succeeded=succeeded)
            except SQLAlchemyError:
                log.exception("recording the run of job %s failed", job.id)


def run_exclusively(
    job: Job, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> bool:
    """Run a job unless another process is running it; return whether it ran."""
    if engine.dialect.name != "postgresql":
        # SQLite is the single-process development setup: nothing to coordinate with.
        run_recorded(job, factory, settings)
        return True
    with engine.connect() as lock_connection:
        key = lock_key(job.id)
        if not lock_connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
            log.info("job %s is running elsewhere; skipped", job.id)
            return False
        try:
            run_recorded(job, factory, settings)
        finally:
            lock_connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            lock_connection.commit()
    return True


def beat(factory: sessionmaker[Session]) -> None:
    """The scheduler's heartbeat, from every scheduler process (not under a job lock)."""
    with session_scope(factory) as db:
        operations.beat(db, operations.SCHEDULER, utcnow())


def run_scheduler(settings: Settings) -> None:
    configure_logging(settings.log_format)
    if settings.syndication_worker_one_cpu:
        # Before any thread starts: the syndication worker's threads inherit it.
        keep_to_one_cpu()
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    scheduler = BlockingScheduler(timezone=UTC)
    for job in JOBS:
        scheduler.add_job(
            run_exclusively,
            args=(job, engine, factory, settings),
            id=job.id,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC),
            **job.trigger,
        )
    scheduler.add_job(
        beat,
        args=(factory,),
        id="heartbeat",
        trigger="interval",
        seconds=settings.heartbeat_interval_seconds,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    # Syndication deliveries run in their own loop, not as a job: under the per-job
    # advisory lock only one instance could deliver at a time.
    worker = SyndicationWorker(engine, settings)
    threading.Thread(target=worker.run, name="syndication-worker", daemon=True).start()
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in JOBS))
    settle_heap()
    scheduler.start()

"""What operators watch: the run totals of the scheduled jobs, the heartbeats of the
background processes, and the queue depths, all read from the database so that every
web instance reports the same, whichever process did the work."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db.models import Heartbeat, JobRun, OutboxEmail, SyndicationDelivery
from app.domain.syndication import DeliveryStatus
from app.settings import Settings

SCHEDULER: Final = "scheduler"
SYNDICATION_WORKER: Final = "syndication-worker"
COMPONENTS: Final = (SCHEDULER, SYNDICATION_WORKER)
# Which process beat: enough to find it among the containers.
INSTANCE: Final = f"{socket.gethostname()}:{os.getpid()}"[:120]


def _insert(db: Session):  # type: ignore[no-untyped-def]
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


def beat(db: Session, component: str, now: datetime) -> None:
    """Record that `component` is alive in this process, and commit."""
    statement = (
        _insert(db)(Heartbeat)
        .values(component=component, beat_at=now, instance=INSTANCE)
        .on_conflict_do_update(
            index_elements=["component"], set_={"beat_at": now, "instance": INSTANCE}
        )
    )
    db.execute(statement)
    db.commit()


def record_job_run(
    db: Session, job: str, started_at: datetime, duration_seconds: float, *, succeeded: bool
) -> None:
    """Add one finished run of a scheduled job to its totals, and commit."""
    finished_at = started_at + timedelta(seconds=duration_seconds)
    outcome = "success" if succeeded else "failure"
    values = {
        "job": job,
        "succeeded": 1 if succeeded else 0,
        "failed": 0 if succeeded else 1,
        "duration_seconds_total": duration_seconds,
        "last_started_at": started_at,
        "last_finished_at": finished_at,
        "last_duration_seconds": duration_seconds,
        "last_outcome": outcome,
        "last_success_at": finished_at if succeeded else None,
    }
    statement = (
        _insert(db)(JobRun)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["job"],
            set_={
                "succeeded": JobRun.succeeded + values["succeeded"],
                "failed": JobRun.failed + values["failed"],
                "duration_seconds_total": JobRun.duration_seconds_total + duration_seconds,
                "last_started_at": started_at,
                "last_finished_at": finished_at,
                "last_duration_seconds": duration_seconds,
                "last_outcome": outcome,
                "last_success_at": finished_at if succeeded else JobRun.last_success_at,
            },
        )
    )
    db.execute(statement)
    db.commit()


# --- readiness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentState:
    component: str
    beat_at: datetime | None
    age_seconds: float | None
    # None when alive (or absent and not required), else why the service is not ready.
    problem: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.problem is None else "unavailable",
            "last_heartbeat": self.beat_at.isoformat() if self.beat_at else None,
            "age_seconds": None if self.age_seconds is None else round(self.age_seconds, 1),
            **({"reason": self.problem} if self.problem else {}),
        }


def heartbeats(db: Session) -> dict[str, Heartbeat]:
    return {row.component: row for row in db.scalars(select(Heartbeat))}


def component_states(db: Session, settings: Settings, now: datetime) -> list[ComponentState]:
    """Each background process: alive, stopped (heartbeat older than the limit) or never
    seen. Never seen is a problem only where the deployment requires the workers."""
    beats = heartbeats(db)
    limit = settings.heartbeat_stale_seconds
    states = []
    for component in COMPONENTS:
        row = beats.get(component)
        if row is None:
            problem = (
                f"no heartbeat from the {component} has been recorded"
                if settings.readyz_require_workers
                else None
            )
            states.append(ComponentState(component, None, None, problem))
            continue
        age = (now - row.beat_at).total_seconds()
        problem = (
            f"the {component} has not reported for {age:.0f} s (limit {limit} s); "
            f"last seen on {row.instance}"
            if age > limit
            else None
        )
        states.append(ComponentState(component, row.beat_at, age, problem))
    return states


# --- metrics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    mail_queue_depth: int
    deliveries_by_status: Mapping[str, int]
    deliveries_in_flight: int
    # Pending after at least one failed attempt: the receivers failing right now.
    deliveries_retrying: int
    jobs: list[JobRun] = field(default_factory=list)
    heartbeat_ages: Mapping[str, float] = field(default_factory=dict)


def figures(db: Session, now: datetime) -> Figures:
    mail_queue = db.scalar(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "pending")
    )
    by_status = dict.fromkeys((s.value for s in DeliveryStatus), 0)
    in_flight = retrying = 0
    pending = SyndicationDelivery.status == DeliveryStatus.PENDING.value
    for status, count, leased, failed_before in db.execute(
        select(
            SyndicationDelivery.status,
            func.count(),
            func.count(case((pending & SyndicationDelivery.lease_token.is_not(None), 1))),
            func.count(case((pending & (SyndicationDelivery.attempt_count > 0), 1))),
        ).group_by(SyndicationDelivery.status)
    ):
        by_status[status] = count
        in_flight += leased
        retrying += failed_before
    return Figures(
        mail_queue_depth=mail_queue or 0,
        deliveries_by_status=by_status,
        deliveries_in_flight=in_flight,
        deliveries_retrying=retrying,
        jobs=list(db.scalars(select(JobRun).order_by(JobRun.job))),
        heartbeat_ages={
            component: (now - row.beat_at).total_seconds()
            for component, row in heartbeats(db).items()
        },
    )

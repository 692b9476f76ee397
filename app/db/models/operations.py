"""What the background processes leave for the operators: each scheduled job's run
totals and last run, and the heartbeats of the long-running processes.

Kept in the database, not in process memory, so that any web instance reports the
same figures on /metrics and /readyz whichever process ran the job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class JobRun(Base):
    """One row per scheduled job: counters that only grow, and the latest run."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(80), primary_key=True)
    succeeded: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    duration_seconds_total: Mapped[float] = mapped_column(Float, default=0.0)
    last_started_at: Mapped[datetime]
    last_finished_at: Mapped[datetime]
    last_duration_seconds: Mapped[float] = mapped_column(Float)
    last_outcome: Mapped[str] = mapped_column(String(10))
    last_success_at: Mapped[datetime | None]


class Heartbeat(Base):
    """The last sign of life of a kind of process (scheduler, syndication worker):
    whichever instance beat last."""

    __tablename__ = "heartbeats"

    component: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime]
    instance: Mapped[str] = mapped_column(String(120))

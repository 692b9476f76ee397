"""Observability: run totals of the scheduled jobs, heartbeats, request ids.

- `job_runs`: per scheduled job, runs by outcome, their total duration and the last run
  (what /metrics reports as job runs and the time since the last success).
- `heartbeats`: the last sign of life of the scheduler and of the syndication worker
  (what /readyz checks).
- `request_id` on `audit_entries`, `syndication_deliveries` and `syndication_attempts`:
  the request (or job run) behind a change, as in the log lines.

The columns are added in place (nullable), never by copying a table.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUEST_ID_TABLES = ("audit_entries", "syndication_deliveries", "syndication_attempts")


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=80), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("duration_seconds_total", sa.Float(), nullable=False),
        sa.Column("last_started_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_finished_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_duration_seconds", sa.Float(), nullable=False),
        sa.Column("last_outcome", sa.String(length=10), nullable=False),
        sa.Column("last_success_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("component", sa.String(length=40), nullable=False),
        sa.Column("beat_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("instance", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("component", name=op.f("pk_heartbeats")),
    )
    for table in REQUEST_ID_TABLES:
        op.add_column(table, sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in REQUEST_ID_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("request_id")
    op.drop_table("heartbeats")
    op.drop_table("job_runs")

"""How long each lead had been in a stage, on every visit of its stage log.

`stage_spent_before` is the time (microseconds) the lead had spent in the visit's stage
in its earlier visits of it; `next_visit_of_stage_at` when its next visit of the stage
began. The median time in stage then reads one row per lead and stage — its last visit
of the stage begun before the date — instead of summing every visit per lead, and reads
it from an index in stage order. Backfilled as `app.services.leads.summarise_stage_log`
keeps it (visits in the log's order; SQLite's date functions count milliseconds).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DURATION = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM c.ended_at - c.at) * 1000000 AS BIGINT)",
    "sqlite": "CAST(ROUND((julianday(c.ended_at) - julianday(c.at)) * 86400000) AS BIGINT) * 1000",
}

# Runs on PostgreSQL and on SQLite (3.33+: UPDATE … FROM, window functions).
BACKFILL = """
UPDATE lead_stage_changes
SET stage_spent_before = summary.spent_before, next_visit_of_stage_at = summary.next_at
FROM (
    SELECT c.id,
        COALESCE(SUM({duration}) OVER (
            PARTITION BY c.lead_id, c.to_stage
            ORDER BY c.at, c.ended_at IS NULL, c.ended_at, c.id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ), 0) AS spent_before,
        LEAD(c.at) OVER (
            PARTITION BY c.lead_id, c.to_stage
            ORDER BY c.at, c.ended_at IS NULL, c.ended_at, c.id
        ) AS next_at
    FROM lead_stage_changes AS c
) AS summary
WHERE lead_stage_changes.id = summary.id
    AND (summary.spent_before <> 0 OR summary.next_at IS NOT NULL)
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS lead_stage_changes_stage_lead")
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage_spent_before", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "next_visit_of_stage_at", app.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.drop_index("ix_lead_stage_changes_stage_lead")
    op.execute(BACKFILL.format(duration=DURATION[bind.dialect.name]))
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_stage_changes_stage_time",
            ["to_stage", "at", "ended_at", "next_visit_of_stage_at", "stage_spent_before"],
            unique=False,
        )
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE lead_stage_changes")


def downgrade() -> None:
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_stage_changes_stage_time")
        batch_op.create_index(
            "ix_lead_stage_changes_stage_lead",
            ["to_stage", "lead_id", "at", "ended_at"],
            unique=False,
        )
        batch_op.drop_column("next_visit_of_stage_at")
        batch_op.drop_column("stage_spent_before")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE STATISTICS lead_stage_changes_stage_lead (ndistinct) "
            "ON to_stage, lead_id FROM lead_stage_changes"
        )
        op.execute("ANALYZE lead_stage_changes")

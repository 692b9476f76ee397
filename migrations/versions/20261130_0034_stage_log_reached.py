"""How far each lead had come, on every visit of its stage log.

`reached_order` is the furthest position (`stages.sort_order`) among the funnel stages
(open and won) the lead had entered by that visit, the visit included. The funnel at a
moment then reads the one visit going on per lead instead of every visit with a sort.
Backfilled in the log's order (by start; a visit that ended at its start before one that
lasted; the open one last), as `app.services.leads.summarise_stage_log` keeps it.

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Runs on PostgreSQL and on SQLite (3.33+: UPDATE … FROM, window functions).
BACKFILL = """
UPDATE lead_stage_changes SET reached_order = summary.reached_order
FROM (
    SELECT c.id, MAX(CASE WHEN s.kind IN ('open', 'won') THEN s.sort_order END) OVER (
        PARTITION BY c.lead_id
        ORDER BY c.at, c.ended_at IS NULL, c.ended_at, c.id
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS reached_order
    FROM lead_stage_changes AS c JOIN stages AS s ON s.code = c.to_stage
) AS summary
WHERE lead_stage_changes.id = summary.id AND summary.reached_order IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reached_order", sa.Integer(), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("lead_stage_changes", schema=None) as batch_op:
        batch_op.drop_column("reached_order")

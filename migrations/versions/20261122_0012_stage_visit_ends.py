"""Stage visits end: each stage-log row stores when the next visit began.

`ended_at` is NULL for the visit going on; the reports find the stage at a moment and
the time in a stage from it instead of numbering every lead's log. Leads without any
log get the entry they would have had at creation (their stage since they were created),
and the ends are backfilled in the log's order (at, then id).

Revision ID: 0012
Revises: 0013
Create Date: 2026-11-22 11:02:30.955544
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = '0012'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

leads = sa.table(
    'leads',
    sa.column('id', sa.Uuid()),
    sa.column('stage_code', sa.String()),
    sa.column('created_at', app.db.base.UTCDateTime()),
)
changes = sa.table(
    'lead_stage_changes',
    sa.column('id', sa.Uuid()),
    sa.column('lead_id', sa.Uuid()),
    sa.column('from_stage', sa.String()),
    sa.column('to_stage', sa.String()),
    sa.column('at', app.db.base.UTCDateTime()),
)

# Runs on PostgreSQL and on SQLite (3.33+: UPDATE … FROM, window functions).
BACKFILL_ENDS = """
UPDATE lead_stage_changes SET ended_at = visits.next_at
FROM (
    SELECT id, LEAD(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS next_at
    FROM lead_stage_changes
) AS visits
WHERE lead_stage_changes.id = visits.id AND visits.next_at IS NOT NULL
"""


def upgrade() -> None:
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ended_at', app.db.base.UTCDateTime(timezone=True), nullable=True)
        )

    bind = op.get_bind()
    unlogged = bind.execute(
        sa.select(leads.c.id, leads.c.stage_code, leads.c.created_at).where(
            ~sa.exists().where(changes.c.lead_id == leads.c.id)
        )
    ).all()
    if unlogged:
        op.bulk_insert(
            changes,
            [
                {
                    'id': uuid.uuid4(),
                    'lead_id': lead_id,
                    'from_stage': None,
                    'to_stage': stage_code,
                    'at': created_at,
                }
                for lead_id, stage_code, created_at in unlogged
            ],
        )
    op.execute(BACKFILL_ENDS)

    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_lead_stage_changes_ends_after_start'), 'ended_at IS NULL OR ended_at >= at')
        batch_op.create_index(
            'uq_lead_stage_changes_open',
            ['lead_id'],
            unique=True,
            postgresql_where=sa.text('ended_at IS NULL'),
            sqlite_where=sa.text('ended_at IS NULL'),
        )
        batch_op.create_index(
            'ix_lead_stage_changes_stage_lead',
            ['to_stage', 'lead_id', 'at', 'ended_at'],
            unique=False,
        )
    if bind.dialect.name == 'postgresql':
        # Without it the planner takes the (stage, lead) pairs for a fifth of their
        # number and hashes and sorts them instead of reading them in index order.
        op.execute(
            'CREATE STATISTICS lead_stage_changes_stage_lead (ndistinct) '
            'ON to_stage, lead_id FROM lead_stage_changes'
        )
        op.execute('ANALYZE lead_stage_changes')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS lead_stage_changes_stage_lead')
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_stage_changes_stage_lead')
        batch_op.drop_index(
            'uq_lead_stage_changes_open',
            postgresql_where=sa.text('ended_at IS NULL'),
            sqlite_where=sa.text('ended_at IS NULL'),
        )
        batch_op.drop_constraint(op.f('ck_lead_stage_changes_ends_after_start'), type_='check')
        batch_op.drop_column('ended_at')

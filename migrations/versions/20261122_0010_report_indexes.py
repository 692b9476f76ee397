"""Indexes for the target and pipeline reports.

The stage log is read per lead in (at, id) order, so that index replaces the one on
(lead_id, at); the year windows of the reports range over the creation and change times.

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-22 10:36:39.570996
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_created_at', ['created_at'], unique=False)

    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_stage_changes_lead_at')
        batch_op.create_index('ix_lead_stage_changes_at', ['at'], unique=False)
        batch_op.create_index(
            'ix_lead_stage_changes_lead_at_id', ['lead_id', 'at', 'id'], unique=False
        )

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_created_at')

    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_stage_changes_lead_at_id')
        batch_op.drop_index('ix_lead_stage_changes_at')
        batch_op.create_index('ix_lead_stage_changes_lead_at', ['lead_id', 'at'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_created_at')

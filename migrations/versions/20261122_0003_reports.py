"""Forum reports: report snapshots, and which key industries count as industrial.

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-22 10:11:27.169947
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = '0003'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_snapshots',
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('figures_json', sa.LargeBinary(), nullable=False),
    sa.Column('figures_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('xlsx', sa.LargeBinary(), nullable=False),
    sa.Column('xlsx_sha256', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_report_snapshots_created_by_id_users')),
    sa.ForeignKeyConstraint(['target_id'], ['investment_targets.id'], name=op.f('fk_report_snapshots_target_id_investment_targets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_snapshots')),
    sa.UniqueConstraint('target_id', 'as_of', name=op.f('uq_report_snapshots_target_id'))
    )
    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_snapshots_target_id'), ['target_id'], unique=False)

    with op.batch_alter_table('industries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counts_as_industrial', sa.Boolean(), server_default=sa.true(), nullable=False))
    # The strategy's industrial target leaves tourism out (see app/domain/reference.py).
    industries = sa.table('industries', sa.column('code', sa.String), sa.column('counts_as_industrial', sa.Boolean))
    op.execute(industries.update().where(industries.c.code == 'tourism').values(counts_as_industrial=False))


def downgrade() -> None:
    with op.batch_alter_table('industries', schema=None) as batch_op:
        batch_op.drop_column('counts_as_industrial')

    with op.batch_alter_table('report_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_snapshots_target_id'))

    op.drop_table('report_snapshots')

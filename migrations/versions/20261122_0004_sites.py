"""Sites: attachments, versions, package uploads, freshness and public-change marks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:15:10.776108
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
import app.db.base

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('site_package_uploads',
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('applied_at', app.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_site_package_uploads_created_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipalities.code'], name=op.f('fk_site_package_uploads_municipality_code_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_package_uploads'))
    )
    with op.batch_alter_table('site_package_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_package_uploads_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('site_attachments',
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title_fi', sa.String(length=200), nullable=True),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=60), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_site_attachments_created_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_attachments_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_attachments'))
    )
    with op.batch_alter_table('site_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_attachments_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_site_attachments_site', ['site_id', 'sort_order'], unique=False)

    op.create_table('site_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('at', app.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.Uuid(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_versions_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_versions')),
    sa.UniqueConstraint('site_id', 'version', name='uq_site_versions_site_version')
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_changed_at', app.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('stale_flagged_at', app.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('expired_at', app.db.base.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('expired_at')
        batch_op.drop_column('stale_flagged_at')
        batch_op.drop_column('public_changed_at')

    op.drop_table('site_versions')
    with op.batch_alter_table('site_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_site_attachments_site')
        batch_op.drop_index(batch_op.f('ix_site_attachments_sha256'))

    op.drop_table('site_attachments')
    with op.batch_alter_table('site_package_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_package_uploads_created_by_id'))

    op.drop_table('site_package_uploads')

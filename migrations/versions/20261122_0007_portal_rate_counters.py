"""Portal rate-limit counters (per client hash and time window), shared by all instances,
and an index for the portal's content version (max public_changed_at of sites).

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-22 10:31:05.859842
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_rate_counters",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("window_start", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name=op.f("pk_portal_rate_counters")),
    )
    with op.batch_alter_table("portal_rate_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_rate_counters_window_start"), ["window_start"], unique=False
        )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index("ix_sites_public_changed_at", ["public_changed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index("ix_sites_public_changed_at")
    with op.batch_alter_table("portal_rate_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_rate_counters_window_start"))

    op.drop_table("portal_rate_counters")

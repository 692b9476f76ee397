"""Contacts: the reasons for erasure and for extending retention.

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-22 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retention_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("retention_reason")
        batch_op.drop_column("erasure_reason")

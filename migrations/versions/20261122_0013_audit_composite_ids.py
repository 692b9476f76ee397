"""Audit entries of link records: entity ids wide enough for two joined UUIDs.

Revision ID: 0013
Revises: 0006
Create Date: 2026-11-22 11:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.alter_column(
            "entity_id", existing_type=sa.String(length=64), type_=sa.String(length=100)
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.alter_column(
            "entity_id", existing_type=sa.String(length=100), type_=sa.String(length=64)
        )

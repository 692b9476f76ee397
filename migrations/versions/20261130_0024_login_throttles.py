"""Login throttling: failed logins counted per account and per client address.

- `login_throttles` holds one row per account or address (a keyed hash, never the
  e-mail or the address), counted with one atomic upsert per failure.
- `users.failed_login_count` and `users.locked_until` go: the account's count lives in
  `login_throttles` too, where it is counted without a read-modify-write race.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column(
            "window_started_at", app.db.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_login_throttles")),
    )
    op.create_index(
        op.f("ix_login_throttles_window_started_at"),
        "login_throttles",
        ["window_started_at"],
        unique=False,
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_login_count")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_login_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("locked_until", app.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_index(op.f("ix_login_throttles_window_started_at"), table_name="login_throttles")
    op.drop_table("login_throttles")

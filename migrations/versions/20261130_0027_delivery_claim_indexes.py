"""Partial indexes for claiming deliveries in time that follows the batch.

A claim reads, per target, its first due pending deliveries in order, and checks each
for an earlier pending delivery of the same site; it counts the requests in flight per
target from the leased rows. Indexes of the pending and of the leased rows only keep
each of those reads small however long the history or a dead target's backlog grows.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 19:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
LEASED = sa.text("lease_token IS NOT NULL")
INDEXES = {
    "ix_syndication_deliveries_pending_due": (
        ["target_id", "next_attempt_at", "event_id"],
        PENDING,
    ),
    "ix_syndication_deliveries_pending_order": (["target_id", "site_id", "event_id"], PENDING),
    "ix_syndication_deliveries_leased": (["target_id", "lease_expires_at"], LEASED),
}


def upgrade() -> None:
    for name, (columns, where) in INDEXES.items():
        op.create_index(
            name, "syndication_deliveries", columns, postgresql_where=where, sqlite_where=where
        )


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="syndication_deliveries")

"""Site revisions: an edit of a published site by its municipality waits for review.

- `site_revisions` holds each site's one open revision (pending or returned): the
  proposed field values as JSON keyed by field, the version they were based on, and
  the coordinator's comment when it was returned.
- `site_attachments.revision_id` marks files added by a pending revision: staff see
  them, the portal and syndication do not until the revision is approved.

On SQLite the column is added in place (ALTER TABLE … ADD COLUMN, no foreign key),
never by copying `site_attachments`.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_revisions",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "removed_attachment_ids",
            sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=True),
        sa.Column("proposed_by_label", sa.String(length=254), nullable=False),
        sa.Column("submitted_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by_id", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            app.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            app.db.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_revisions_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_site_revisions_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_site_revisions_reviewed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_revisions")),
        sa.UniqueConstraint("site_id", name="uq_site_revisions_site"),
    )
    op.create_index(
        "ix_site_revisions_status_submitted",
        "site_revisions",
        ["status", "submitted_at"],
        unique=False,
    )
    op.add_column("site_attachments", sa.Column("revision_id", sa.Uuid(), nullable=True))
    op.create_index(
        op.f("ix_site_attachments_revision_id"), "site_attachments", ["revision_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_site_attachments_revision_id"), table_name="site_attachments")
    # SQLite 3.35+ drops a column in place, again without copying the table.
    op.drop_column("site_attachments", "revision_id")
    op.drop_index("ix_site_revisions_status_submitted", table_name="site_revisions")
    op.drop_table("site_revisions")

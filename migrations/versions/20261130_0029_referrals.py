"""Invest in Finland referrals: partner API tokens, and referrals by the partner's own id.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.db.base import UTCDateTime

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_partner_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_partner_tokens_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_partner_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_partner_tokens_organization_id"), "partner_tokens", ["organization_id"]
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_organization_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.String(length=100), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("received_via", sa.String(length=10), nullable=False),
        sa.Column("times_received", sa.Integer(), nullable=False),
        sa.Column("last_received_at", UTCDateTime(), nullable=False),
        sa.Column("timeline", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_organization_id"],
            ["organizations.id"],
            name=op.f("fk_referrals_partner_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_referrals_lead_id_leads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "partner_organization_id",
            "referral_id",
            name=op.f("uq_referrals_partner_organization_id"),
        ),
    )
    op.create_index(op.f("ix_referrals_lead_id"), "referrals", ["lead_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_referrals_lead_id"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(op.f("ix_partner_tokens_organization_id"), table_name="partner_tokens")
    op.drop_table("partner_tokens")

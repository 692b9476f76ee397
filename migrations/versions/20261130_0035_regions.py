"""The region as data: the `regions` row (name, languages, public domain, branding,
area, facts) and Swedish names for industries and reference points.

Revision ID: 0035
Revises: 0034
Create Date: 2026-11-30 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db.base

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", JSON, nullable=False),
        sa.Column("languages", JSON, nullable=False),
        sa.Column("default_language", sa.String(length=5), nullable=False),
        sa.Column("public_domain", sa.String(length=253), nullable=False),
        sa.Column("branding", JSON, nullable=False),
        sa.Column("area", JSON, nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column(
            "created_at",
            app.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            app.db.base.UTCDateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_regions_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("industries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_sv", sa.String(length=120), nullable=True))
    with op.batch_alter_table("reference_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_sv", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reference_points", schema=None) as batch_op:
        batch_op.drop_column("name_sv")
    with op.batch_alter_table("industries", schema=None) as batch_op:
        batch_op.drop_column("name_sv")
    op.drop_table("regions")

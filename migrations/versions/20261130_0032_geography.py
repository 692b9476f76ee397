"""Distances, key facts and boundaries for site selectors.

- `reference_points`: airports, railway stations, ports, main road junctions, town
  centres and 110/400 kV substations the coordinator keeps (seeded by `migrate`).
- `site_distances`: each located site's geodesic distance to the nearest active point of
  every kind, rewritten when the site moves or the points change.
- `municipality_facts`: population, workforce and main employers of a municipality.

New tables only; nothing existing is copied or changed.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
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
    ]


def upgrade() -> None:
    op.create_table(
        "reference_points",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name_fi", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_reference_points_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_reference_points")),
    )
    op.create_index("ix_reference_points_kind", "reference_points", ["kind", "active"])
    op.create_table(
        "site_distances",
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("point_code", sa.String(length=60), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["point_code"],
            ["reference_points.code"],
            name=op.f("fk_site_distances_point_code_reference_points"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_site_distances_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "kind", name=op.f("pk_site_distances")),
    )
    op.create_index(
        op.f("ix_site_distances_point_code"), "site_distances", ["point_code"], unique=False
    )
    op.create_table(
        "municipality_facts",
        sa.Column("municipality_code", sa.String(length=3), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("workforce", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("main_employers_fi", sa.Text(), nullable=True),
        sa.Column("main_employers_en", sa.Text(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipalities.code"],
            name=op.f("fk_municipality_facts_municipality_code_municipalities"),
        ),
        sa.PrimaryKeyConstraint("municipality_code", name=op.f("pk_municipality_facts")),
    )


def downgrade() -> None:
    op.drop_table("municipality_facts")
    op.drop_index(op.f("ix_site_distances_point_code"), table_name="site_distances")
    op.drop_table("site_distances")
    op.drop_index("ix_reference_points_kind", table_name="reference_points")
    op.drop_table("reference_points")

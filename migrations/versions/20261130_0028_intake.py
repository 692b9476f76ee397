"""Intake: screening rules, response commitments and each lead's response clock.

- `screening_rules`: the coordinator's rules, tried in `position` order (conditions on
  capex band, key industries, strategy fit, country, source, municipality; effects on
  priority and owner).
- `response_commitments`: working days per priority, seeded 1 (high), 2 (normal) and
  5 (low).
- `lead_intakes`: per lead, the rule that matched, the suggested owner, the investor's
  reference and the response clock (due, answered, escalations sent).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.db.base

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = app.db.base.UTCDateTime(timezone=True)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", UTC, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", UTC, server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "screening_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("capex_min_eur", sa.BigInteger(), nullable=True),
        sa.Column("capex_max_eur", sa.BigInteger(), nullable=True),
        sa.Column("industry_codes", JSON, nullable=False),
        sa.Column("industrial_only", sa.Boolean(), nullable=False),
        sa.Column("countries", JSON, nullable=False),
        sa.Column("sources", JSON, nullable=False),
        sa.Column("municipality_codes", JSON, nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("owner_action", sa.String(length=10), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "owner_action IN ('suggest', 'assign')",
            name=op.f("ck_screening_rules_owner_action_known"),
        ),
        sa.CheckConstraint(
            "priority IS NULL OR priority IN ('low', 'normal', 'high')",
            name=op.f("ck_screening_rules_priority_known"),
        ),
        sa.CheckConstraint(
            "capex_min_eur IS NULL OR capex_max_eur IS NULL OR capex_max_eur >= capex_min_eur",
            name=op.f("ck_screening_rules_capex_band_order"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_screening_rules_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_rules")),
    )
    commitments = op.create_table(
        "response_commitments",
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "working_days BETWEEN 1 AND 60",
            name=op.f("ck_response_commitments_working_days_range"),
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high')",
            name=op.f("ck_response_commitments_priority_known"),
        ),
        sa.PrimaryKeyConstraint("priority", name=op.f("pk_response_commitments")),
    )
    op.bulk_insert(
        commitments,
        [
            {"priority": "high", "working_days": 1},
            {"priority": "normal", "working_days": 2},
            {"priority": "low", "working_days": 5},
        ],
    )
    op.create_table(
        "lead_intakes",
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("rule_name", sa.String(length=120), nullable=True),
        sa.Column("suggested_owner_id", sa.Uuid(), nullable=True),
        sa.Column("effects", JSON, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("response_due_at", UTC, nullable=True),
        sa.Column("warn_at", UTC, nullable=True),
        sa.Column("first_response_at", UTC, nullable=True),
        sa.Column("first_response_by_id", sa.Uuid(), nullable=True),
        sa.Column("first_response_kind", sa.String(length=20), nullable=True),
        sa.Column("warned_at", UTC, nullable=True),
        sa.Column("overdue_notified_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_intakes_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["screening_rules.id"],
            name=op.f("fk_lead_intakes_rule_id_screening_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["suggested_owner_id"],
            ["users.id"],
            name=op.f("fk_lead_intakes_suggested_owner_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["first_response_by_id"],
            ["users.id"],
            name=op.f("fk_lead_intakes_first_response_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_lead_intakes")),
        sa.UniqueConstraint("reference", name=op.f("uq_lead_intakes_reference")),
    )
    op.create_index(
        "ix_lead_intakes_open_due", "lead_intakes", ["first_response_at", "response_due_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_lead_intakes_open_due", table_name="lead_intakes")
    op.drop_table("lead_intakes")
    op.drop_table("response_commitments")
    op.drop_table("screening_rules")

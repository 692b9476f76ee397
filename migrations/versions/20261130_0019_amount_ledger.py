"""The amount ledger: every amount a lead has had; decision stages; merged leads.

- `lead_amounts` keeps each change of a lead's capex or jobs (kind = the capex status
  then, basis, the date the amount is dated by, when and by whom). Every existing lead
  with an amount gets one row per measure, recorded when the lead was created, so a past
  as-of date reads what the reports read until now (the current amounts).
- `stages.decision` marks the stages from which an amount may be "committed"; the
  default decision stages (`negotiation`, `decision_pending`) get it.
- `leads.merged_into_id` / `merged_at` mark a duplicate merged into another lead.

On SQLite the columns are added in place (ALTER TABLE … ADD COLUMN), never by copying
the table: dropping `leads` or `stages` to copy them would cascade into the stage log
and the other child tables (see 0014).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(
        "stages", sa.Column("decision", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE stages SET decision = "
        + ("true" if postgresql else "1")
        + " WHERE code IN ('negotiation', 'decision_pending')"
    )
    op.add_column(
        "leads",
        # No foreign key: SQLite cannot drop a column that has one without copying the
        # table; the merge service is the column's only writer.
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
    )
    op.add_column(
        "leads", sa.Column("merged_at", app.db.base.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index(op.f("ix_leads_merged_into_id"), "leads", ["merged_into_id"], unique=False)
    if postgresql:
        op.alter_column("stages", "decision", server_default=None)
    op.create_table(
        "lead_amounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("measure", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.String(length=10), nullable=False),
        sa.Column("dated_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "amount IS NULL OR amount >= 0", name=op.f("ck_lead_amounts_amount_nonnegative")
        ),
        sa.CheckConstraint(
            "measure IN ('capex', 'jobs')", name=op.f("ck_lead_amounts_measure_known")
        ),
        sa.CheckConstraint(
            "superseded_at IS NULL OR superseded_at >= recorded_at",
            name=op.f("ck_lead_amounts_superseded_after"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_amounts_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_lead_amounts_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_amounts")),
    )
    op.create_index(
        "ix_lead_amounts_lead_measure_recorded",
        "lead_amounts",
        ["lead_id", "measure", "recorded_at", "id"],
        unique=False,
    )
    # Each lead's current amounts, as recorded when it was created.
    dated = "CASE WHEN landed_on IS NOT NULL THEN landed_on ELSE expected_decision_on END"
    for measure, amount, basis in (
        ("capex", "capex_eur", "capex_basis"),
        ("jobs", "jobs", "jobs_basis"),
    ):
        op.execute(
            "INSERT INTO lead_amounts (lead_id, measure, kind, amount, basis, dated_on, "
            "recorded_at, note) "
            f"SELECT id, '{measure}', capex_status, {amount}, {basis}, {dated}, created_at, "
            "'recorded before the ledger' "
            f"FROM leads WHERE {amount} IS NOT NULL"
        )


def downgrade() -> None:
    op.drop_index("ix_lead_amounts_lead_measure_recorded", table_name="lead_amounts")
    op.drop_table("lead_amounts")
    op.drop_index(op.f("ix_leads_merged_into_id"), table_name="leads")
    # SQLite 3.35+ drops a column in place, again without copying the table.
    op.drop_column("leads", "merged_at")
    op.drop_column("leads", "merged_into_id")
    op.drop_column("stages", "decision")

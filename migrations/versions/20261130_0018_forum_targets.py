"""Targets in euros and/or jobs, closed and shown on the portal; snapshots kept by the
database itself.

- `investment_targets.amount_jobs` (nullable) beside `amount_eur`, which becomes
  nullable; a check keeps at least one of them set.
- `investment_targets.closed_on`: the date a target period was closed.
- `investment_targets.shown_on_portal`: the target the public home page shows; a
  partial unique index keeps it to one.
- `report_snapshots` refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) in triggers, so
  a closed period's report cannot be changed by any client, not only through the ORM.

Revision ID: 0018
Revises: 0015
Create Date: 2026-11-30 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = """
CREATE FUNCTION report_snapshots_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report snapshots are immutable: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER report_snapshots_no_change BEFORE UPDATE OR DELETE ON report_snapshots "
    "FOR EACH ROW EXECUTE FUNCTION report_snapshots_immutable()",
    "CREATE TRIGGER report_snapshots_no_truncate BEFORE TRUNCATE ON report_snapshots "
    "FOR EACH STATEMENT EXECUTE FUNCTION report_snapshots_immutable()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER report_snapshots_no_update BEFORE UPDATE ON report_snapshots "
    "BEGIN SELECT RAISE(ABORT, 'report snapshots are immutable: UPDATE refused'); END",
    "CREATE TRIGGER report_snapshots_no_delete BEFORE DELETE ON report_snapshots "
    "BEGIN SELECT RAISE(ABORT, 'report snapshots are immutable: DELETE refused'); END",
)


def upgrade() -> None:
    with op.batch_alter_table("investment_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amount_jobs", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("shown_on_portal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column("amount_eur", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_investment_targets_jobs_positive"), "amount_jobs > 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_investment_targets_euros_or_jobs"),
            "amount_eur IS NOT NULL OR amount_jobs IS NOT NULL",
        )
        batch_op.create_index(
            "uq_investment_targets_shown_on_portal",
            ["shown_on_portal"],
            unique=True,
            postgresql_where=sa.text("shown_on_portal"),
            sqlite_where=sa.text("shown_on_portal"),
        )

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    elif bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS report_snapshots_no_truncate ON report_snapshots")
        op.execute("DROP TRIGGER IF EXISTS report_snapshots_no_change ON report_snapshots")
        op.execute("DROP FUNCTION IF EXISTS report_snapshots_immutable()")
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS report_snapshots_no_delete")
        op.execute("DROP TRIGGER IF EXISTS report_snapshots_no_update")

    # Targets set in jobs only cannot be kept in a euros-only schema.
    op.execute("DELETE FROM investment_targets WHERE amount_eur IS NULL")
    with op.batch_alter_table("investment_targets", schema=None) as batch_op:
        batch_op.drop_index("uq_investment_targets_shown_on_portal")
        batch_op.drop_constraint(op.f("ck_investment_targets_euros_or_jobs"), type_="check")
        batch_op.drop_constraint(op.f("ck_investment_targets_jobs_positive"), type_="check")
        batch_op.alter_column("amount_eur", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("shown_on_portal")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("amount_jobs")

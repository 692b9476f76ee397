"""`leads.sole_candidate_code`: a lead's only candidate municipality, kept by triggers.

Reports count a lead under its landing municipality, else its only candidate
municipality, else under none (several candidates). Grouping every lead's candidates
for that took a good part of the target progress and the activity counts on 100,000
leads; the column holds the answer, NULL for no or several candidates.

Triggers on `lead_municipalities` recompute it for the lead of every inserted,
updated or deleted row, in the same transaction, whoever writes the rows (the lead
form, imports, landing, merging, intake, raw SQL), on PostgreSQL and SQLite alike.
The upgrade fills it for the existing leads.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sole_of(lead: str) -> str:
    """The only candidate of lead `lead` (an SQL expression), NULL for none or several."""
    return (
        "(SELECT CASE WHEN count(*) = 1 THEN min(municipality_code) END "
        f"FROM lead_municipalities WHERE lead_id = {lead})"
    )


def _refresh(lead: str) -> str:
    # Only a changed value is written: a third candidate leaves the lead's row alone.
    return (
        f"UPDATE leads SET sole_candidate_code = {_sole_of(lead)} "
        f"WHERE id = {lead} AND sole_candidate_code IS DISTINCT FROM {_sole_of(lead)}"
    )


PG_FUNCTION = f"""
CREATE FUNCTION lead_sole_candidate_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The lead's row first: two transactions changing one lead's candidates side by side
    -- then count them one after the other, the second (a statement of its own, with a
    -- snapshot taken after the first committed) seeing the first's rows.
    IF TG_OP <> 'DELETE' THEN
        PERFORM 1 FROM leads WHERE id = NEW.lead_id FOR NO KEY UPDATE;
        {_refresh("NEW.lead_id")};
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.lead_id <> NEW.lead_id) THEN
        PERFORM 1 FROM leads WHERE id = OLD.lead_id FOR NO KEY UPDATE;
        {_refresh("OLD.lead_id")};
    END IF;
    RETURN NULL;
END;
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER lead_municipalities_sole_candidate "
    "AFTER INSERT OR UPDATE OR DELETE ON lead_municipalities "
    "FOR EACH ROW EXECUTE FUNCTION lead_sole_candidate_refresh()"
)
# SQLite has no IS DISTINCT FROM but IS NOT, which compares NULLs the same way.
SQLITE_TRIGGERS = {
    "lead_municipalities_sole_candidate_insert": (
        "AFTER INSERT",
        [_refresh("NEW.lead_id")],
    ),
    "lead_municipalities_sole_candidate_update": (
        "AFTER UPDATE",
        [_refresh("NEW.lead_id"), _refresh("OLD.lead_id")],
    ),
    "lead_municipalities_sole_candidate_delete": (
        "AFTER DELETE",
        [_refresh("OLD.lead_id")],
    ),
}


def upgrade() -> None:
    # In place (ALTER TABLE … ADD COLUMN) on SQLite too: copying `leads` would cascade
    # into the stage log and the other child tables (see 0019).
    op.add_column("leads", sa.Column("sole_candidate_code", sa.String(length=3), nullable=True))
    op.execute(
        "UPDATE leads SET sole_candidate_code = "
        "(SELECT CASE WHEN count(*) = 1 THEN min(municipality_code) END "
        "FROM lead_municipalities WHERE lead_municipalities.lead_id = leads.id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for name, (when, statements) in SQLITE_TRIGGERS.items():
            body = "; ".join(s.replace("IS DISTINCT FROM", "IS NOT") for s in statements)
            op.execute(f"CREATE TRIGGER {name} {when} ON lead_municipalities BEGIN {body}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER lead_municipalities_sole_candidate ON lead_municipalities")
        op.execute("DROP FUNCTION lead_sole_candidate_refresh()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_column("leads", "sole_candidate_code")

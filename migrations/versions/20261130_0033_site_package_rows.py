"""Site package reports row by row: a table of the report's rows.

A package's per-row report was one JSON document on its upload, built whole in memory
by the dry run and by the apply. Its rows now live in `site_package_rows`, written in
batches as they are checked and read back a page at a time. The rows of reports
already stored move into the table, so no report loses anything.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01 09:00:00.000000
"""

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
uploads = sa.table("site_package_uploads", sa.column("id", sa.Uuid()), sa.column("report", JSON))


def _rows_table() -> sa.Table:
    return sa.Table(
        "site_package_rows",
        sa.MetaData(),
        sa.Column("upload_id", sa.Uuid()),
        sa.Column("position", sa.Integer()),
        sa.Column("sheet_row", sa.Integer()),
        sa.Column("file", sa.Text()),
        sa.Column("external_ref", sa.Text()),
        sa.Column("name", sa.Text()),
        sa.Column("municipality_code", sa.String(3)),
        sa.Column("name_key", sa.Text()),
        sa.Column("action", sa.String(12)),
        sa.Column("site_id", sa.Uuid()),
        sa.Column("changed_fields", JSON),
        sa.Column("attachments_added", sa.Integer()),
        sa.Column("attachments_changed", sa.Integer()),
        sa.Column("errors", JSON),
        sa.Column("warnings", JSON),
    )


def _row(upload_id: Any, position: int, row: dict[str, Any]) -> dict[str, Any]:
    site_id = row.get("site_id")
    return {
        "upload_id": upload_id,
        "position": row.get("index") or position,
        "sheet_row": row.get("sheet_row"),
        "file": row.get("file"),
        "external_ref": row.get("external_ref"),
        "name": row.get("name"),
        "municipality_code": row.get("municipality_code"),
        "name_key": None,
        "action": row.get("action", "error"),
        "site_id": uuid.UUID(site_id) if isinstance(site_id, str) else None,
        "changed_fields": row.get("changed_fields", []),
        "attachments_added": row.get("attachments_added", 0),
        "attachments_changed": row.get("attachments_changed", 0),
        "errors": row.get("errors", []),
        "warnings": row.get("warnings", []),
    }


def upgrade() -> None:
    op.create_table(
        "site_package_rows",
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sheet_row", sa.Integer(), nullable=True),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("external_ref", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("name_key", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("changed_fields", JSON, nullable=False),
        sa.Column("attachments_added", sa.Integer(), nullable=False),
        sa.Column("attachments_changed", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("warnings", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["site_package_uploads.id"],
            name=op.f("fk_site_package_rows_upload_id_site_package_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "position", name=op.f("pk_site_package_rows")),
    )
    conn = op.get_bind()
    rows = _rows_table()
    # One upload at a time: a stored report is moved without holding them all.
    ids = list(conn.scalars(sa.select(uploads.c.id)))
    for upload_id in ids:
        report = conn.scalar(sa.select(uploads.c.report).where(uploads.c.id == upload_id))
        if not isinstance(report, dict) or "rows" not in report:
            continue
        moved = [_row(upload_id, n, row) for n, row in enumerate(report.pop("rows"), start=1)]
        if moved:
            conn.execute(sa.insert(rows), moved)
        conn.execute(sa.update(uploads).where(uploads.c.id == upload_id).values(report=report))


def downgrade() -> None:
    conn = op.get_bind()
    rows = _rows_table()
    ids = list(conn.scalars(sa.select(rows.c.upload_id).distinct()))
    for upload_id in ids:
        report = conn.scalar(sa.select(uploads.c.report).where(uploads.c.id == upload_id))
        stored = conn.execute(
            sa.select(rows).where(rows.c.upload_id == upload_id).order_by(rows.c.position)
        )
        report = dict(report or {})
        report["rows"] = [
            {
                "index": r.position,
                "sheet_row": r.sheet_row,
                "file": r.file,
                "external_ref": r.external_ref,
                "name": r.name,
                "municipality_code": r.municipality_code,
                "action": r.action,
                "site_id": str(r.site_id) if r.site_id else None,
                "changed_fields": r.changed_fields,
                "attachments_added": r.attachments_added,
                "attachments_changed": r.attachments_changed,
                "errors": r.errors,
                "warnings": r.warnings,
            }
            for r in stored
        ]
        conn.execute(sa.update(uploads).where(uploads.c.id == upload_id).values(report=report))
    op.drop_table("site_package_rows")

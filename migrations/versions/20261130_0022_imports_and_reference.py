"""CSV imports kept server-side; reference data the coordinator edits.

- `import_uploads` holds the file of a staff CSV import's dry run until it is applied
  (so any instance applies the same file by id, without uploading it again).
- `industries.description_fi` / `description_en`: what a key industry covers.
- `municipalities.contact_name` / `contact_phone`: the municipality's business contact
  shown on the portal, beside the existing web page and e-mail.

The columns are added in place (nullable), never by copying a table.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("applied_at", app.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_import_uploads_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_uploads")),
    )
    op.create_index(
        op.f("ix_import_uploads_created_by_id"), "import_uploads", ["created_by_id"], unique=False
    )
    op.create_index(op.f("ix_import_uploads_sha256"), "import_uploads", ["sha256"], unique=False)
    op.add_column("industries", sa.Column("description_fi", sa.Text(), nullable=True))
    op.add_column("industries", sa.Column("description_en", sa.Text(), nullable=True))
    op.add_column("municipalities", sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.add_column("municipalities", sa.Column("contact_phone", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("contact_phone")
        batch.drop_column("contact_name")
    with op.batch_alter_table("industries") as batch:
        batch.drop_column("description_en")
        batch.drop_column("description_fi")
    op.drop_index(op.f("ix_import_uploads_sha256"), table_name="import_uploads")
    op.drop_index(op.f("ix_import_uploads_created_by_id"), table_name="import_uploads")
    op.drop_table("import_uploads")

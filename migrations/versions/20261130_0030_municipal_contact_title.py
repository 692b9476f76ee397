"""The title of a municipality's portal contact, in Finnish and in English.

Investors see the named municipal contact on every site page: name, title, phone and
e-mail. Titles are words ("elinkeinopäällikkö" / "business development manager"), so
each language has its own column, like the names of sites and industries.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("municipalities") as batch:
        batch.add_column(sa.Column("contact_title_fi", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("contact_title_en", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("contact_title_en")
        batch.drop_column("contact_title_fi")

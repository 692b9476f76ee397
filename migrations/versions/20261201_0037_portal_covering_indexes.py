"""The portal's order indexes carry the search's filter columns (PostgreSQL).

A page of the site list is read as ids in one of the portal's orders. When a filter
is rare along the order (a municipality and an industry, a name fragment), the walk
along the order index used to look every site's row up to test the filters; with the
filter columns in the index (INCLUDE) it tests them in the index and reads no rows.
SQLite has no INCLUDE: its indexes stay as they are.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = sa.text("status = 'published'")
# Each order's key column, and the key in SQL.
ORDERS = {
    "ix_sites_portal_newest": ("published_at", "published_at DESC NULLS LAST"),
    "ix_sites_portal_name": ("name_fi", "name_fi"),
    "ix_sites_portal_area_desc": ("area_ha", "area_ha DESC NULLS LAST"),
    "ix_sites_portal_area_asc": ("area_ha", "area_ha ASC NULLS LAST"),
    "ix_sites_portal_power": ("available_power_mw", "available_power_mw DESC NULLS LAST"),
}
FILTER_COLUMNS = (
    "municipality_code",
    "kind",
    "last_verified_on",
    "area_ha",
    "available_power_mw",
    "rail_siding",
    "zoning_status",
    "available_from",
    "name_fi",
    "name_en",
)


def _recreate(covering: bool) -> None:
    for name, (column, key) in ORDERS.items():
        op.drop_index(name, table_name="sites")
        include = [c for c in FILTER_COLUMNS if c != column] if covering else []
        op.create_index(
            name,
            "sites",
            [sa.text(key), "id"],
            postgresql_where=PUBLISHED,
            postgresql_include=include,
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(covering=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _recreate(covering=False)

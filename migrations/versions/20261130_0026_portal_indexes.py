"""Indexes for the portal's uncached searches and pages.

- One partial index (published sites only) per order of the site list, each ending in
  the id that breaks ties: a page of 12 reads 12 rows in order instead of sorting
  every match.
- A narrow partial index of the search's filter columns (on PostgreSQL covering the
  other filters too), so counting the matches reads no wide rows.
- `site_industries (industry_code, site_id)`: the industry filter; the primary key
  leads with the site.

SQLite indexes take no NULLS LAST: there the orders are indexed without it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PUBLISHED = sa.text("status = 'published'")
ORDERS = {
    "ix_sites_portal_newest": "published_at DESC NULLS LAST",
    "ix_sites_portal_name": "name_fi",
    "ix_sites_portal_area_desc": "area_ha DESC NULLS LAST",
    "ix_sites_portal_area_asc": "area_ha ASC NULLS LAST",
    "ix_sites_portal_power": "available_power_mw DESC NULLS LAST",
}


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, order in ORDERS.items():
        key = order if postgresql else order.replace(" NULLS LAST", "")
        op.create_index(
            name, "sites", [sa.text(key), "id"], postgresql_where=PUBLISHED, sqlite_where=PUBLISHED
        )
    op.create_index(
        "ix_sites_portal_filters",
        "sites",
        ["municipality_code", "kind", "last_verified_on"],
        postgresql_where=PUBLISHED,
        sqlite_where=PUBLISHED,
        postgresql_include=["id", "area_ha", "available_power_mw", "rail_siding", "zoning_status"],
    )
    op.create_index("ix_site_industries_industry", "site_industries", ["industry_code", "site_id"])


def downgrade() -> None:
    op.drop_index("ix_site_industries_industry", table_name="site_industries")
    op.drop_index("ix_sites_portal_filters", table_name="sites")
    for name in reversed(ORDERS):
        op.drop_index(name, table_name="sites")

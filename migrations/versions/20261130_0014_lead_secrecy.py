"""Lead secrecy: a confidentiality class with its legal basis, and the announcement date.

Every existing lead becomes `confidential` (a business secret under 621/1999 section
24(1)(20)) with the class's default basis and no announcement date: no investor name
appears in a report until someone records when the project was announced.

On SQLite the columns are added in place (ALTER TABLE … ADD COLUMN), never by copying
the table: dropping `leads` to copy it would cascade into the stage log, candidates and
shares. The check constraint is therefore PostgreSQL's only; the service checks the
class everywhere.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'leads',
        sa.Column(
            'confidentiality', sa.String(length=20), nullable=False, server_default='confidential'
        ),
    )
    op.add_column('leads', sa.Column('confidentiality_basis', sa.Text(), nullable=True))
    op.add_column('leads', sa.Column('announced_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.create_check_constraint(
            op.f('ck_leads_confidentiality_known'),
            'leads',
            "confidentiality IN ('confidential', 'internal', 'public')",
        )
        # The model supplies the default from now on, like the lead's other code columns.
        op.alter_column('leads', 'confidentiality', server_default=None)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_leads_confidentiality_known'), 'leads', type_='check')
    # SQLite 3.35+ drops a column in place, again without copying the table.
    op.drop_column('leads', 'announced_on')
    op.drop_column('leads', 'confidentiality_basis')
    op.drop_column('leads', 'confidentiality')

"""paid calls: who holds a claim, so a call whose process died in the request is settled

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 15:00:00

``claimed_by`` names the process that claimed a paid call (host:pid:start). A claim whose
process is gone is settled from the provider's cumulative ``x-requests-used`` (status
``lost``, with what the provider billed for it) instead of blocking its slot for ten minutes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('paid_calls') as batch:
        batch.add_column(
            sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('paid_calls') as batch:
        batch.drop_column('claimed_by')

"""paid calls: the write-ahead ledger of live paid calls (one row per request key)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
import sqlmodel
from alembic import op

import oddscore.storage.types
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('paid_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('endpoint', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sport_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('slot', oddscore.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('flow_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', oddscore.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('credits', sa.Integer(), nullable=True),
    sa.Column('credits_unread', sa.Integer(), nullable=False),
    sa.Column('quota_used', sa.Integer(), nullable=True),
    sa.Column('quota_remaining', sa.Integer(), nullable=True),
    sa.Column('fetched_at', oddscore.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('elapsed_ms', sa.Integer(), nullable=True),
    sa.Column('raw_response', sa.Text(), nullable=True),
    sa.Column('stored_at', oddscore.storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('created_at', oddscore.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', oddscore.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_key', name='uq_paid_calls_request_key')
    )
    with op.batch_alter_table('paid_calls', schema=None) as batch_op:
        batch_op.create_index('ix_paid_calls_created', ['created_at'], unique=False)
        batch_op.create_index('ix_paid_calls_request_status', ['request_hash', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('paid_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_paid_calls_request_status')
        batch_op.drop_index('ix_paid_calls_created')

    op.drop_table('paid_calls')

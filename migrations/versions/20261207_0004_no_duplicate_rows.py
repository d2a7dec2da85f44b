"""no rows stored twice: refuse to go on from a database that holds duplicates

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 12:00:00

From this revision on, ingestion resolves event ids under a lock (``store.lock_events``) and
the database holds each game, snapshot and odds row once. A database written before it by
concurrent imports or fetches may hold the same game under two ids; this step checks and
refuses, naming the command that merges them, rather than carry them forward silently. The
schema itself is unchanged: snapshots were already unique per (event, time), and odds rows are
written only with a snapshot inserted in the same transaction.
"""

from collections.abc import Sequence

from alembic import op

from oddscore.exceptions import StorageError
from oddscore.ingestion.duplicates import find_duplicates

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    found = find_duplicates(op.get_bind())
    if found:
        raise StorageError(
            f"cannot upgrade to revision 0003: the database holds rows stored twice "
            f"({found.summary()}). Run `odds db doctor` to list them and "
            "`odds db doctor --fix` to merge them, then `odds db upgrade` again"
        )


def downgrade() -> None:
    pass

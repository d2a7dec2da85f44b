"""Alembic environment: async, URL from settings, metadata from the SQLModel tables."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import oddscore.storage.models  # noqa: F401  (registers the tables on the metadata)
from oddscore.config import DatabaseSettings
from oddscore.storage.engine import Database

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)

target_metadata = SQLModel.metadata


def _url() -> str:
    # Set by oddscore.storage.migrate when run from code; DATABASE_URL otherwise.
    return config.get_main_option("sqlalchemy.url") or DatabaseSettings().url


def _configure(connection: Connection | None = None, **kwargs: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _do_run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    # The product's own engine, so a new SQLite file is born in WAL mode: switching a file
    # to WAL later, while several writers open it at once, fails with "database is locked".
    engine = Database.from_url(_url(), null_pool=True).engine
    async with engine.connect() as connection:
        await connection.run_sync(_do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())

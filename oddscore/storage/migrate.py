"""Run the Alembic migrations from code (the CLI, the demo, the ECS entrypoint, tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from oddscore.config import normalize_database_url

__all__ = ["MIGRATIONS_DIR", "alembic_config", "upgrade", "upgrade_async"]

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"


def alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Percent signs in passwords would otherwise be read as interpolation.
    config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; safe to call on an up-to-date database."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)  # type: ignore[arg-type]


async def upgrade_async(url: str, revision: str = "head") -> None:
    # Alembic's async env.py runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade, url, revision)

"""The benchmarks' databases: empty and migrated at the start of each run."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from oddscore.storage.migrate import upgrade_async


async def fresh_database(url: str) -> None:
    """Empty and migrate the database at ``url``. PostgreSQL: created if missing, its public
    schema dropped and made anew. SQLite: migrated as it is (runs use a new temporary file).
    """
    target = make_url(url)
    if target.get_backend_name() == "postgresql":
        import asyncpg

        server = target.set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(server.render_as_string(hide_password=False))
        try:
            if not await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", target.database
            ):
                await conn.execute(f'CREATE DATABASE "{target.database}"')
        finally:
            await conn.close()
        dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        finally:
            await conn.close()
    await upgrade_async(url)

"""One read connection for a query command, without SQLAlchemy's ORM.

A query command (``odds status show``, ``odds lines``, ``odds best`` ...) runs a handful of Core
statements and exits. :class:`~oddscore.storage.engine.Database` gives it an ``AsyncSession``,
and SQLAlchemy's asyncio extension imports the whole ORM for that session, a fifth of the
command's cold start. :func:`open_reader` runs the same statements on the same async drivers
(asyncpg, aiosqlite) through a Core connection instead: SQLAlchemy's async dialects work by
running the synchronous engine in a greenlet, and ``greenlet_spawn`` is what the asyncio
extension itself uses to do that.

The :class:`ReadSession` it yields has the two methods the query layer calls on a session,
``execute`` and ``get_bind``, so the ``oddscore.queries`` functions take either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util.concurrency import greenlet_spawn

from oddscore.config import DatabaseSettings, normalize_database_url, sqlite_path
from oddscore.storage.engine import (
    DATABASE_ERRORS,
    engine_options,
    listen_sqlite_pragmas,
    storage_error,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, Result
    from sqlalchemy.sql.base import Executable

__all__ = ["ReadSession", "open_reader"]


class ReadSession:
    """``execute`` and ``get_bind`` of an ``AsyncSession``, on one Core connection."""

    def __init__(self, engine: Engine, connection: Connection) -> None:
        self._engine = engine
        self._connection = connection

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        # The async drivers' cursors fetch every row inside the greenlet, so the result is
        # read afterwards without one, as from an AsyncSession's buffered result.
        return await greenlet_spawn(self._connection.execute, statement, params)

    def get_bind(self) -> Engine:
        return self._engine


@asynccontextmanager
async def open_reader(settings: DatabaseSettings) -> AsyncIterator[ReadSession]:
    """A :class:`ReadSession` on ``settings.url`` for one command; closed afterwards.

    Committed on success and rolled back on error, like ``Database.session``; a failed
    connection or statement is a ``StorageError`` naming the database.
    """
    url = normalize_database_url(settings.url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # `_is_async` is the flag create_async_engine sets on the engine it wraps: it lets the
    # synchronous engine take an async driver, to be driven from greenlet_spawn.
    engine = create_engine(
        url, poolclass=NullPool, _is_async=True, **engine_options(echo=settings.echo)
    )
    if url.startswith("sqlite"):
        listen_sqlite_pragmas(engine, settings.sqlite_busy_timeout_ms)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        connection = await greenlet_spawn(engine.connect)
        try:
            yield ReadSession(engine, connection)
            await greenlet_spawn(connection.commit)
        except BaseException:
            await greenlet_spawn(connection.rollback)
            raise
        finally:
            await greenlet_spawn(connection.close)
    except DATABASE_ERRORS as exc:
        raise storage_error(shown, exc) from exc
    finally:
        await greenlet_spawn(engine.dispose)

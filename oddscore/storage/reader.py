"""One read connection for a query command, on the bare async driver.

A query command (``odds status show``, ``odds lines``, ``odds best`` ...) runs a handful of
statements and exits. Importing SQLAlchemy alone is about a third of such a command's cold
start, so :func:`open_reader` connects with the driver itself (asyncpg, aiosqlite), and the
:class:`ReadSession` it yields runs the query layer's plain SQL on it
(:func:`oddscore.queries.plain.fetch`).

The queries still written in SQLAlchemy Core go through ``execute`` and ``get_bind``, the two
``AsyncSession`` methods the query layer calls. The first of them loads SQLAlchemy and builds
an engine over the *same* driver connection (SQLAlchemy's async dialects take a ready
connection through ``async_creator_fn``), so one command never opens two connections.
"""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from oddscore.config import DatabaseSettings, normalize_database_url, sqlite_path
from oddscore.logs import redact
from oddscore.storage.errors import storage_error
from oddscore.storage.pragmas import sqlite_pragmas

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, Result
    from sqlalchemy.sql.base import Executable

__all__ = ["ReadSession", "open_reader"]

# `:name` parameters (not `::` casts), numbered `$n` for asyncpg.
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class ReadSession:
    """Plain SQL on one driver connection; ``execute``/``get_bind`` of an ``AsyncSession``
    over the same connection for Core statements."""

    def __init__(
        self, url: str, connection: Any, *, echo: bool = False, busy_timeout_ms: int = 30_000
    ) -> None:
        self.url = url
        self.dialect_name = "postgresql" if url.startswith("postgresql") else "sqlite"
        self._driver = connection
        self._echo = echo
        self._busy_timeout_ms = busy_timeout_ms
        self._engine: Engine | None = None
        self._core: Connection | None = None

    async def fetch(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of ``sql``, whose ``:name`` parameters ``params`` gives."""
        if self.dialect_name == "postgresql":
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                names.append(match.group(1))
                return f"${len(names)}"

            numbered = _PARAMETER.sub(number, sql)
            records = await self._driver.fetch(numbered, *(params[name] for name in names))
            return [tuple(record) for record in records]
        async with self._driver.execute(sql, dict(params)) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def connect(self) -> None:
        """Opens the connection: the driver's own, unless the URL carries options."""
        path = sqlite_path(self.url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if "?" in self.url:
            # Connection options in the URL (``?ssl=require``) are SQLAlchemy's dialects'
            # to interpret, so such a URL connects through them.
            await self.core()
        else:
            self._driver = await _connect(self.url, self._busy_timeout_ms)

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        from sqlalchemy.util.concurrency import greenlet_spawn

        core = await self.core()
        # The async drivers' cursors fetch every row inside the greenlet, so the result is
        # read afterwards without one, as from an AsyncSession's buffered result.
        return await greenlet_spawn(core.execute, statement, params)

    async def core(self) -> Connection:
        """The SQLAlchemy connection over the driver's (connecting it first, if there is no
        driver connection yet)."""
        if self._core is None:
            from sqlalchemy.util.concurrency import greenlet_spawn

            self._core = await greenlet_spawn(self.get_bind().connect)
            if self._driver is None:
                self._driver = self._core.connection.driver_connection
        return self._core

    def get_bind(self) -> Engine:
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            from oddscore.storage.engine import engine_options

            driver = self._driver
            options = engine_options(echo=self._echo)
            if driver is not None:

                async def reuse(*_args: Any, **_kwargs: Any) -> Any:
                    return driver

                def creator() -> Any:
                    return engine.dialect.dbapi.connect(async_creator_fn=reuse)  # type: ignore[union-attr]

                options["creator"] = creator
            # `_is_async` is the flag create_async_engine sets on the engine it wraps: it
            # lets the synchronous engine take an async driver, driven from greenlet_spawn.
            engine = create_engine(self.url, poolclass=NullPool, _is_async=True, **options)
            if driver is None and self.dialect_name == "sqlite":
                from oddscore.storage.engine import listen_sqlite_pragmas

                listen_sqlite_pragmas(engine, self._busy_timeout_ms)
            self._engine = engine
        return self._engine

    async def close(self, *, commit: bool) -> None:
        """Ends the Core transaction if one began, and closes the driver connection."""
        if self._core is None:
            await self._driver.close()
            return
        from sqlalchemy.util.concurrency import greenlet_spawn

        core = self._core
        try:
            await greenlet_spawn(core.commit if commit else core.rollback)
        finally:
            # The pool (NullPool) closes the driver connection with it.
            await greenlet_spawn(core.close)
            if self._engine is not None:
                await greenlet_spawn(self._engine.dispose)


async def _connect(url: str, busy_timeout_ms: int) -> Any:
    if url.startswith("postgresql"):
        import asyncpg

        return await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    import aiosqlite

    path = sqlite_path(url)
    connection = await aiosqlite.connect(":memory:" if path is None else str(path))
    try:
        for pragma in sqlite_pragmas(busy_timeout_ms):
            await connection.execute(pragma)
    except BaseException:
        await connection.close()
        raise
    return connection


@asynccontextmanager
async def open_reader(settings: DatabaseSettings) -> AsyncIterator[ReadSession]:
    """A :class:`ReadSession` on ``settings.url`` for one command; closed afterwards.

    A Core transaction is committed on success and rolled back on error, like
    ``Database.session``; a failed connection or statement is a ``StorageError`` naming the
    database (its password masked).
    """
    import sqlite3

    url = normalize_database_url(settings.url)
    errors: tuple[type[BaseException], ...] = (OSError, sqlite3.Error)
    if url.startswith("postgresql"):
        import asyncpg

        errors += (asyncpg.PostgresError, asyncpg.InterfaceError)
    else:
        import aiosqlite

        errors += (aiosqlite.Error,)
    try:
        session = ReadSession(
            url, None, echo=settings.echo, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        await session.connect()
        ok = False
        try:
            yield session
            ok = True
        finally:
            await session.close(commit=ok)
    except errors as exc:
        raise storage_error(redact(url), exc) from exc
    except Exception as exc:
        # A Core statement fails with SQLAlchemy's errors: not loaded, none can have run.
        if "sqlalchemy" in sys.modules:
            from oddscore.storage.engine import DATABASE_ERRORS

            if isinstance(exc, DATABASE_ERRORS):
                raise storage_error(redact(url), exc) from exc
        raise

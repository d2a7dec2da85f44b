"""The async engine and session factory: one place that opens database connections."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from oddscore.config import DatabaseSettings, normalize_database_url, sqlite_path
from oddscore.storage.errors import database_error_line, storage_error
from oddscore.storage.pragmas import sqlite_pragmas

if TYPE_CHECKING:
    # SQLAlchemy's asyncio extension loads its ORM (a fifth of a query command's cold start):
    # imported where an engine is built, so that oddscore.storage.reader can do without.
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

__all__ = ["Database", "DATABASE_ERRORS", "database_error_line", "driver_rows", "sqlite_path"]

# What a failed connection or statement raises, turned into a StorageError at the boundary.
DATABASE_ERRORS = (OperationalError, DBAPIError, OSError)


def driver_rows(result: Any) -> Sequence[Any]:
    """The driver's own rows (asyncpg Records, SQLite tuples) of an executed statement, without
    a SQLAlchemy Row each: for statements whose columns need no result processing, where
    building tens of thousands of Row objects is a large share of a bulk read."""
    cursor = getattr(result, "cursor", None)
    if cursor is None:  # pragma: no cover - a buffered or non-cursor result
        return list(result.tuples())
    try:
        return cast(Sequence[Any], cursor.fetchall())
    finally:
        result.close()


def _dumps(value: Any) -> str:
    """JSON columns' serializer: a season's raw snapshots are ~13 MB of JSON per import, and
    json.dumps of them was a tenth of the import (benchmarks/ingest.py)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # integers beyond 64 bits and the like: the standard library copes
        return json.dumps(value)


_loads: Callable[[str | bytes], Any] = orjson.loads


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(busy_timeout_ms):
            cursor.execute(pragma)
        cursor.close()

    return apply


def listen_sqlite_pragmas(engine: Any, busy_timeout_ms: int) -> None:
    """Every SQLite connection of ``engine`` (a sync Engine) waits for locks and uses WAL."""
    event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))


def engine_options(*, echo: bool = False) -> dict[str, Any]:
    """The engine arguments every engine of ours shares, whatever wraps it."""
    return {"echo": echo, "json_serializer": _dumps, "json_deserializer": _loads}


class Database:
    """An engine plus a session factory. Build one per process (or per flow run).

    Example::

        db = Database.from_settings(get_settings().database)
        async with db.session() as session:
            ...
        await db.dispose()
    """

    def __init__(self, engine: AsyncEngine) -> None:
        from sqlalchemy.ext.asyncio import async_sessionmaker

        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = 5,
        null_pool: bool = False,
        echo: bool = False,
        sqlite_busy_timeout_ms: int = 30_000,
    ) -> Database:
        from sqlalchemy.ext.asyncio import create_async_engine

        url = normalize_database_url(url)
        kwargs = engine_options(echo=echo)
        if null_pool:
            kwargs["poolclass"] = NullPool
        elif url.startswith("postgresql"):
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        if url.startswith("sqlite"):
            listen_sqlite_pragmas(engine.sync_engine, sqlite_busy_timeout_ms)
        return cls(engine)

    @classmethod
    def from_settings(cls, settings: DatabaseSettings | None = None) -> Database:
        settings = settings or DatabaseSettings()
        return cls.from_url(
            settings.url,
            pool_size=settings.pool_size,
            null_pool=settings.null_pool,
            echo=settings.echo,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on any error."""
        try:
            async with self.sessionmaker() as session:
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
        except DATABASE_ERRORS as exc:
            raise storage_error(self.url, exc) from exc

    async def dispose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.dispose()

"""Plain SQL for the query commands' hottest reads, the same on PostgreSQL and SQLite.

A query command reads through :class:`~oddscore.storage.reader.ReadSession` on the bare
driver, so that it never imports SQLAlchemy (a third of its cold start). The statements here
are written once, with ``:name`` parameters, in SQL both backends run alike, and
:func:`fetch` runs them on a ``ReadSession`` or, for the flows, the tests and the screen, on
an ``AsyncSession`` (as ``text()``): one statement, whichever session, the same rows.

Timestamps are what the storage layer's ``UTCDateTime`` makes of them: ``timestamptz`` on
PostgreSQL; on SQLite, UTC text laid out as SQLAlchemy writes it
(``YYYY-MM-DD HH:MM:SS.ffffff``), which compares correctly as text. So a time parameter is
bound in that layout on SQLite (:func:`bind`), and a time read back goes through :func:`utc`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["bind", "dialect_name", "fetch", "in_list", "utc", "utc_required"]

_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def dialect_name(session: Any) -> str:
    """``postgresql`` or ``sqlite``, from a ``ReadSession`` or an ``AsyncSession``."""
    name = getattr(session, "dialect_name", None)
    return str(name) if name is not None else str(session.get_bind().dialect.name)


async def fetch(
    session: Any, sql: str, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` on ``session``; list parameters are for ``IN :name``."""
    statement, values = bind(sql, params or {}, dialect_name(session))
    fetch_rows = getattr(session, "fetch", None)
    if fetch_rows is not None:
        rows: list[tuple[Any, ...]] = await fetch_rows(statement, values)
        return rows
    from sqlalchemy import text

    result = await session.execute(text(statement), values)
    return [tuple(row) for row in result]


def bind(sql: str, params: Mapping[str, Any], dialect: str) -> tuple[str, dict[str, Any]]:
    """``sql`` and its values for ``dialect``: a list ``:name`` becomes ``(:name_0, ...)``
    (``(NULL)`` when empty: matches nothing, as SQLAlchemy's empty ``IN`` does), and each
    datetime the value its column holds."""
    values: dict[str, Any] = {}
    for name, value in params.items():
        placeholder = re.compile(rf"(?<![:\w]):{name}(?!\w)")
        if not placeholder.search(sql):  # a filter left out: its values are not bound
            continue
        if isinstance(value, list | tuple):
            names = [f"{name}_{n}" for n in range(len(value))]
            listed = ", ".join(f":{n}" for n in names) or "NULL"
            sql = placeholder.sub(f"({listed})", sql)
            values.update((n, _value(v, dialect)) for n, v in zip(names, value, strict=True))
        else:
            values[name] = _value(value, dialect)
    return sql, values


def _value(value: Any, dialect: str) -> Any:
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} cannot be compared; use UTC")
    value = value.astimezone(UTC)
    return value.strftime(_SQLITE_TIME) if dialect == "sqlite" else value


def utc(value: Any) -> datetime | None:
    """A stored timestamp (a datetime, or SQLite's text) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_required(value: Any) -> datetime:
    """:func:`utc` of a column that is never NULL."""
    moment = utc(value)
    if moment is None:
        raise TypeError("a NOT NULL timestamp read back as NULL")
    return moment


def in_list(column: str, name: str, values: Sequence[str] | None) -> list[str]:
    """``[column IN :name]``, or no condition when ``values`` is None (``params[name]``
    carries the values)."""
    return [] if values is None else [f"{column} IN :{name}"]

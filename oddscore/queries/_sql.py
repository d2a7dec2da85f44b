"""SQL building blocks shared by the queries: portable timestamp arithmetic, filters.

Timestamps are ``UTCDateTime`` columns: ``timestamptz`` on PostgreSQL, and on SQLite the text
SQLAlchemy writes (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), which compares correctly as text.
Shifting a stored timestamp inside SQL (``commence_time - 1 hour``) therefore needs a
per-dialect expression whose SQLite result has exactly that text layout, or ``<=`` would
compare strings of different shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from oddscore.storage.tables import EVENTS, FETCH_LOGS, ODDS, QUALITY_LOGS, SNAPSHOTS
from oddscore.storage.types import UTCDateTime

__all__ = [
    "EVENTS",
    "FETCH_LOGS",
    "ODDS",
    "QUALITY_LOGS",
    "SNAPSHOTS",
    "in_filter",
    "shift_time",
]


class _ShiftTime(FunctionElement[Any]):
    """``timestamp + seconds``, as a timestamp of the same storage shape."""

    type = UTCDateTime()
    inherit_cache = True
    name = "shift_time"


@compiles(_ShiftTime)
def _shift_default(element: _ShiftTime, compiler: SQLCompiler, **kw: Any) -> str:
    value, seconds = list(element.clauses)
    return (
        f"({compiler.process(value, **kw)} + make_interval(secs => "
        f"{compiler.process(seconds, **kw)}))"
    )


@compiles(_ShiftTime, "sqlite")
def _shift_sqlite(element: _ShiftTime, compiler: SQLCompiler, **kw: Any) -> str:
    value, seconds = list(element.clauses)
    # strftime's %f is "SS.SSS"; three zeros restore the six-digit microseconds SQLAlchemy
    # stores. Provider timestamps are whole seconds, so nothing below a millisecond is lost.
    return (
        f"(strftime('%Y-%m-%d %H:%M:%f', {compiler.process(value, **kw)}, "
        f"printf('%+.3f seconds', {compiler.process(seconds, **kw)})) || '000')"
    )


def shift_time(value: ColumnElement[Any], delta: timedelta) -> ColumnElement[Any]:
    """``value + delta`` for a ``UTCDateTime`` expression, on PostgreSQL and SQLite alike."""
    return _ShiftTime(value, bindparam(None, delta.total_seconds(), type_=Float()))  # type: ignore[return-value]


def in_filter(column: ColumnElement[Any], values: Sequence[str] | None) -> list[Any]:
    """``[column IN values]``, or no condition at all when ``values`` is None."""
    if values is None:
        return []
    return [column.in_(list(values))]

"""A query command's read session, and the times it is given on the command line.

Apart from :mod:`oddscore.queries.board` so that a command opening a session imports neither
the as-of query nor SQLAlchemy behind it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from oddscore.clock import Clock, SystemClock, as_utc, parse_timestamp
from oddscore.config import Settings, get_settings
from oddscore.exceptions import QueryError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["open_session", "parse_when"]


@asynccontextmanager
async def open_session(settings: Settings | None = None) -> AsyncIterator[AsyncSession]:
    """A read session on DATABASE_URL for one command; the connection is closed afterwards.

    It is a :class:`~oddscore.storage.reader.ReadSession`, not an ``AsyncSession``: the query
    functions only call ``execute`` and ``get_bind``, which it has, and it spares a command's
    cold start SQLAlchemy's ORM. For the ORM (``add``, ``get``), use ``Database.session``.
    """
    from oddscore.storage.reader import open_reader

    async with open_reader((settings or get_settings()).database) as reader:
        yield cast("AsyncSession", reader)


def parse_when(text: str | None, clock: Clock | None = None) -> datetime | None:
    """``None``/"" -> None, "now" -> the clock's time, else ISO 8601 (UTC if no offset) or
    unix seconds."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if value.lower() == "now":
        return (clock or SystemClock()).now()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        try:
            return parse_timestamp(value)
        except ValueError:
            raise QueryError(f"not a time: {text!r} (use ISO 8601 or 'now')") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return as_utc(parsed)

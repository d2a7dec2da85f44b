"""The as-of board of one event, in plain SQL: what ``odds best`` and ``odds odds show`` read.

The as-of rule is :mod:`oddscore.queries.asof`'s, and this is its single-event statement
(the "scan" plan there) written out, so that the commands showing one board never import
SQLAlchemy: per (book, market), the newest observation in ``[at - max_staleness, at]``; then
every row of that observation (one snapshot of the market, never a mix of two), the rows
validation flagged invalid dropped rather than replaced by older ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from oddscore.clock import as_utc
from oddscore.queries.plain import dialect_name, fetch, utc_required
from oddscore.queries.types import Quote

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "DEFAULT_MAX_STALENESS",
    "odds_as_of",
    "quote_order",
    "quotes_from_rows",
    "staleness_limit",
]

# Daily morning snapshots (the real archive) are 8-15 h before tip; a day covers them, while a
# quote older than that no longer describes the market.
DEFAULT_MAX_STALENESS = timedelta(hours=24)

_NO_LIMIT = timedelta(days=365 * 100)


def staleness_limit(max_staleness: timedelta | None) -> timedelta:
    """How far back a quote may be observed: ``None`` is no limit (a century)."""
    if max_staleness is None:
        return _NO_LIMIT
    if max_staleness < timedelta(0):
        raise ValueError("max_staleness must not be negative")
    return max_staleness


def quote_order(q: Quote) -> tuple[str, datetime, str, str, str, str]:
    """The order boards are shown in: event, time, market, book, outcome."""
    return (
        q.event_id,
        q.as_of,
        q.market_key,
        q.bookmaker_key,
        q.outcome_name,
        q.outcome_description or "",
    )


class _TimeReader:
    """Driver timestamps (SQLite text, asyncpg datetimes) to aware UTC, memoized."""

    def __init__(self) -> None:
        self._seen: dict[Any, datetime] = {}

    def __call__(self, value: Any) -> datetime | None:
        if value is None:
            return None
        found = self._seen.get(value)
        if found is None:
            found = self._seen[value] = utc_required(value)
        return found


def quotes_from_rows(rows: Iterable[Sequence[Any]]) -> list[Quote]:
    """Rows in :data:`oddscore.queries.asof.QUOTE_COLUMNS` order, straight from the driver,
    as quotes (each distinct timestamp converted once)."""
    time = _TimeReader()
    return [
        Quote(
            event_id,
            time(as_of),  # type: ignore[arg-type]
            book,
            market,
            outcome,
            description,
            point,
            price,
            time(taken),  # type: ignore[arg-type]
            time(last_update),
        )
        for (
            event_id,
            as_of,
            book,
            market,
            outcome,
            description,
            point,
            price,
            taken,
            last_update,
        ) in rows
    ]


@lru_cache(maxsize=64)
def _statement(dialect: str, by_book: bool, by_market: bool, valid_only: bool) -> str:
    """The statement for one filter set, built once."""
    # PostgreSQL needs the parameters' type where no column gives it (the select list).
    as_of = "CAST(:as_of AS TIMESTAMP WITH TIME ZONE)" if dialect == "postgresql" else ":as_of"
    window = ["p.event_id = :event_id", "p.odds_timestamp <= :as_of", "p.odds_timestamp >= :oldest"]
    if by_book:
        window.append("p.bookmaker_key IN :books")
    if by_market:
        window.append("p.market_key IN :markets")
    # Materialized, so the planner cannot re-run the grouping once per joined odds row; in
    # index order (event, market, book), so the walk needs no sort to group.
    return (
        "WITH latest AS MATERIALIZED ("
        "SELECT p.event_id, p.bookmaker_key, p.market_key, max(p.odds_timestamp) AS ts "
        f"FROM odds p WHERE {' AND '.join(window)} "
        "GROUP BY p.event_id, p.market_key, p.bookmaker_key) "
        f"SELECT o.event_id, {as_of}, o.bookmaker_key, o.market_key, o.outcome_name, "
        "o.outcome_description, o.point, o.price, o.odds_timestamp, o.last_update "
        "FROM latest l JOIN odds o ON o.event_id = l.event_id AND o.market_key = l.market_key "
        "AND o.bookmaker_key = l.bookmaker_key AND o.odds_timestamp = l.ts"
        + (" WHERE o.is_valid" if valid_only else "")
    )


async def odds_as_of(
    session: AsyncSession,
    event_id: str,
    at: datetime,
    *,
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    valid_only: bool = True,
) -> list[Quote]:
    """The board of one event at ``at``: the latest quote per book, market and outcome.

    ``max_staleness=None`` accepts quotes of any age; ``valid_only`` drops rows validation
    flagged as invalid.
    """
    at = as_utc(at)
    statement = _statement(
        dialect_name(session), bookmakers is not None, markets is not None, valid_only
    )
    rows = await fetch(
        session,
        statement,
        {
            "event_id": event_id,
            "as_of": at,
            "oldest": at - staleness_limit(max_staleness),
            "books": list(bookmakers or ()),
            "markets": list(markets or ()),
        },
    )
    quotes = quotes_from_rows(rows)
    return sorted(quotes, key=quote_order)

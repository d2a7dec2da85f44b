"""Odds as of a time: the latest quote per (event, book, market, outcome) at or before it.

The only rule that keeps look-ahead out of a backtest lives here: a quote is eligible for
as-of time ``T`` only if it was *observed* (``odds_timestamp``) at or before ``T``, and no
earlier than ``T - max_staleness``. Of the eligible quotes, the latest wins, ties broken by
the later-written row. A quote the book stopped offering is not carried forward past the
staleness window, so a vanished line cannot look current.

Every function is one SQL statement, whatever the number of events:

* :func:`odds_as_of` - one event at one time (the CLI board, live pricing);
* :func:`odds_before_tip` - every event that starts in a range, each at its own decision time
  ``commence_time - lead`` (a backtest loads a season with it);
* :func:`odds_as_of_many` - explicit ``(event, time)`` pairs;
* :func:`quotes_frame` turns any of them into a pandas DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, String, and_, bindparam, func, select, values
from sqlalchemy import column as sql_column
from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.clock import as_utc
from oddscore.queries._sql import EVENTS, ODDS, in_filter, shift_time
from oddscore.queries.types import Quote
from oddscore.storage.types import UTCDateTime

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_MAX_STALENESS",
    "QUOTE_COLUMNS",
    "odds_as_of",
    "odds_as_of_many",
    "odds_before_tip",
    "odds_before_tip_statement",
    "quotes_frame",
]

# Daily morning snapshots (the real archive) are 8-15 h before tip; a day covers them, while a
# quote older than that no longer describes the market.
DEFAULT_MAX_STALENESS = timedelta(hours=24)

QUOTE_COLUMNS = (
    "event_id",
    "as_of",
    "bookmaker_key",
    "market_key",
    "outcome_name",
    "outcome_description",
    "point",
    "price",
    "odds_timestamp",
    "last_update",
)

_NO_LIMIT = timedelta(days=365 * 100)
OD = ODDS.c
EV = EVENTS.c


def _latest(
    as_of: ColumnElement[Any],
    oldest: ColumnElement[Any],
    conditions: Sequence[ColumnElement[bool]],
    *,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
    valid_only: bool,
    target: Any = None,
) -> Select[Any]:
    """Rank eligible quotes newest first per key and keep rank 1: one statement, set-based."""
    where = [
        *conditions,
        OD.odds_timestamp <= as_of,
        OD.odds_timestamp >= oldest,
        *in_filter(OD.bookmaker_key, bookmakers),
        *in_filter(OD.market_key, markets),
    ]
    if valid_only:
        where.append(OD.is_valid.is_(True))
    rank = (
        func.row_number()
        .over(
            partition_by=[
                OD.event_id,
                as_of,
                OD.bookmaker_key,
                OD.market_key,
                OD.outcome_name,
                OD.outcome_description,
            ],
            order_by=[OD.odds_timestamp.desc(), OD.id.desc()],
        )
        .label("rank")
    )
    ranked = select(
        OD.event_id,
        as_of.label("as_of"),
        OD.bookmaker_key,
        OD.market_key,
        OD.outcome_name,
        OD.outcome_description,
        OD.point,
        OD.price,
        OD.odds_timestamp,
        OD.last_update,
        rank,
    )
    if target is not None:
        ranked = ranked.select_from(ODDS).join(target, target.c.event_id == OD.event_id)
    inner = ranked.where(and_(*where)).subquery("ranked")
    return (
        select(*(inner.c[name] for name in QUOTE_COLUMNS))
        .where(inner.c.rank == 1)
        .order_by(
            inner.c.event_id,
            inner.c.as_of,
            inner.c.market_key,
            inner.c.bookmaker_key,
            inner.c.outcome_name,
        )
    )


def _limit(max_staleness: timedelta | None) -> timedelta:
    if max_staleness is None:
        return _NO_LIMIT
    if max_staleness < timedelta(0):
        raise ValueError("max_staleness must not be negative")
    return max_staleness


async def _quotes(session: AsyncSession, statement: Select[Any]) -> list[Quote]:
    result = await session.execute(statement)
    return [Quote(*row) for row in result.tuples()]


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
    oldest = _bind(at - _limit(max_staleness), "oldest")
    statement = _latest(
        _bind(at, "as_of"),
        oldest,
        [OD.event_id == event_id],
        bookmakers=bookmakers,
        markets=markets,
        valid_only=valid_only,
    )
    return await _quotes(session, statement)


def _bind(value: datetime, name: str) -> ColumnElement[Any]:
    return bindparam(name, value, type_=UTCDateTime())


def _tip_targets(
    start: datetime,
    end: datetime,
    lead: timedelta,
    staleness: timedelta,
    sport_key: str | None,
    event_ids: Sequence[str] | None,
) -> Any:
    where = [EV.commence_time >= as_utc(start), EV.commence_time < as_utc(end)]
    if sport_key is not None:
        where.append(EV.sport_key == sport_key)
    where.extend(in_filter(EV.id, event_ids))
    return (
        select(
            EV.id.label("event_id"),
            shift_time(EV.commence_time, -lead).label("as_of"),
            shift_time(EV.commence_time, -(lead + staleness)).label("oldest"),
        )
        .where(*where)
        .subquery("targets")
    )


def odds_before_tip_statement(
    start: datetime,
    end: datetime,
    *,
    lead: timedelta = timedelta(hours=1),
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    sport_key: str | None = None,
    event_ids: Sequence[str] | None = None,
    valid_only: bool = True,
) -> Select[Any]:
    """The statement behind :func:`odds_before_tip` (for EXPLAIN and benchmarks)."""
    targets = _tip_targets(start, end, lead, _limit(max_staleness), sport_key, event_ids)
    return _latest(
        targets.c.as_of,
        targets.c.oldest,
        [],
        bookmakers=bookmakers,
        markets=markets,
        valid_only=valid_only,
        target=targets,
    )


async def odds_before_tip(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    lead: timedelta = timedelta(hours=1),
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    sport_key: str | None = None,
    event_ids: Sequence[str] | None = None,
    valid_only: bool = True,
) -> list[Quote]:
    """Every event commencing in ``[start, end)``, each as of ``commence_time - lead``.

    One statement for the whole range: the decision time is computed in SQL from each
    event's own commence time. Example: a season at one hour before tip::

        quotes = await odds_before_tip(session, season_start, season_end, lead=timedelta(hours=1))
    """
    statement = odds_before_tip_statement(
        start,
        end,
        lead=lead,
        max_staleness=max_staleness,
        bookmakers=bookmakers,
        markets=markets,
        sport_key=sport_key,
        event_ids=event_ids,
        valid_only=valid_only,
    )
    return await _quotes(session, statement)


async def odds_as_of_many(
    session: AsyncSession,
    targets: Iterable[tuple[str, datetime]],
    *,
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    valid_only: bool = True,
) -> list[Quote]:
    """Explicit ``(event_id, as_of)`` pairs, in one statement (pairs may repeat an event)."""
    limit = _limit(max_staleness)
    rows = [(event_id, as_utc(at), as_utc(at) - limit) for event_id, at in targets]
    if not rows:
        return []
    table = (
        values(
            sql_column("event_id", String()),
            sql_column("as_of", UTCDateTime()),
            sql_column("oldest", UTCDateTime()),
            name="targets",
        )
        .data(rows)
        .cte("targets")
    )
    statement = _latest(
        table.c.as_of,
        table.c.oldest,
        [],
        bookmakers=bookmakers,
        markets=markets,
        valid_only=valid_only,
        target=table,
    )
    return await _quotes(session, statement)


def quotes_frame(quotes: Iterable[Quote]) -> pd.DataFrame:
    """Quotes as a DataFrame (timestamps as UTC ``datetime64``), one row per quote."""
    import pandas as pd

    frame = pd.DataFrame.from_records(
        [
            (
                q.event_id,
                q.as_of,
                q.bookmaker_key,
                q.market_key,
                q.outcome_name,
                q.outcome_description,
                q.point,
                q.price,
                q.odds_timestamp,
                q.last_update,
            )
            for q in quotes
        ],
        columns=list(QUOTE_COLUMNS),
    )
    for name in ("as_of", "odds_timestamp", "last_update"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame

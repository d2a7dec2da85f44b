"""Odds as of a time: each book's latest quotes at or before it, never a later one.

The rule that keeps look-ahead out of a backtest lives here: a quote is eligible for as-of
time ``T`` only if it was *observed* (``odds_timestamp``) at or before ``T`` and no earlier
than ``T - max_staleness``. For each (event, book, market) the latest eligible observation
wins, and every outcome quoted in it is returned: the latest quote per (event, book, market,
outcome), always taken from one snapshot of the market, so a spread pair never mixes two
points. An outcome missing from that snapshot is not filled in from an older one, and a row
validation flagged invalid is dropped rather than replaced by an older price (a book that
stopped offering a line must not look current).

Each read is one SQL statement whatever the number of events (a bulk load on PostgreSQL
first sends ``SET LOCAL jit = off``; explicit pairs go 5,000 to a statement):

* :func:`odds_as_of` - one event at one time (the CLI board, live pricing), in plain SQL in
  :mod:`oddscore.queries.asof_one` (the scan plan below, written out) and re-exported here;
* :func:`odds_before_tip` - every event that starts in a range, each at its own decision time
  ``commence_time - lead`` (a backtest loads a season with it);
* :func:`odds_as_of_many` - explicit ``(event, time)`` pairs;
* :func:`quotes_frame` turns any of them into a pandas DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    func,
    select,
    text,
    true,
    type_coerce,
    values,
)
from sqlalchemy import column as sql_column

from oddscore.clock import as_utc
from oddscore.queries._sql import EVENTS, ODDS, in_filter, shift_time
from oddscore.queries.asof_one import (
    DEFAULT_MAX_STALENESS,
    odds_as_of,
    quote_order,
    quotes_from_rows,
    staleness_limit,
)
from oddscore.queries.types import Quote
from oddscore.storage.engine import driver_rows
from oddscore.storage.types import UTCDateTime

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "DEFAULT_MAX_STALENESS",
    "QUOTE_COLUMNS",
    "odds_as_of",
    "odds_as_of_many",
    "odds_before_tip",
    "odds_before_tip_frame",
    "odds_before_tip_statement",
    "quotes_frame",
]

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

_PAIRS_PER_STATEMENT = 5_000
OD = ODDS.c
EV = EVENTS.c


def _latest(
    targets: Any,
    *,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
    valid_only: bool,
    dialect: str,
    probe: bool,
) -> Select[Any]:
    """The rows of each (target, book, market)'s latest observation in the target's window.

    ``targets`` has columns ``event_id``, ``as_of`` and ``oldest``. Two plans, same answer:

    * scan: per target, walk the odds index entries in the window, keep the newest time per
      (book, market), then read the rows at exactly that time (cheap for one event);
    * probe (many targets, books and markets given): one backward index probe per
      (target, book, market); on PostgreSQL a LATERAL ``FETCH FIRST 1 ROWS WITH TIES``
      returns the rows in the same probe. This is what makes a season load fast
      (benchmarks/asof.py).
    """
    if probe and bookmakers and markets and dialect == "postgresql":
        return _lateral_probe(targets, bookmakers, markets, valid_only)
    probe_table = ODDS.alias("probe")
    pc = probe_table.c
    in_window = [pc.odds_timestamp <= targets.c.as_of, pc.odds_timestamp >= targets.c.oldest]
    if probe and bookmakers and markets:
        books = _keys("books", "bookmaker_key", bookmakers)
        kinds = _keys("markets", "market_key", markets)
        newest = (
            select(pc.odds_timestamp)
            .where(
                pc.event_id == targets.c.event_id,
                pc.market_key == kinds.c.market_key,
                pc.bookmaker_key == books.c.bookmaker_key,
                *in_window,
            )
            .order_by(pc.odds_timestamp.desc())
            .limit(1)
            .scalar_subquery()
        )
        step_one = select(
            targets.c.event_id,
            targets.c.as_of,
            books.c.bookmaker_key,
            kinds.c.market_key,
            newest.label("ts"),
        ).select_from(targets.join(kinds, true()).join(books, true()))
    else:
        step_one = (
            select(
                pc.event_id,
                targets.c.as_of,
                pc.bookmaker_key,
                pc.market_key,
                func.max(pc.odds_timestamp).label("ts"),
            )
            .select_from(probe_table.join(targets, pc.event_id == targets.c.event_id))
            .where(
                *in_window,
                *in_filter(pc.bookmaker_key, bookmakers),
                *in_filter(pc.market_key, markets),
            )
            # In index order (event, market, book), so the walk needs no sort to group.
            .group_by(pc.event_id, pc.market_key, pc.bookmaker_key, targets.c.as_of)
        )
    # Materialized, so the planner cannot re-run step one once per joined odds row.
    latest = step_one.cte("latest").prefix_with("MATERIALIZED")
    statement = select(*_quote_columns(OD, latest.c.as_of)).select_from(
        latest.join(
            ODDS,
            and_(
                OD.event_id == latest.c.event_id,
                OD.market_key == latest.c.market_key,
                OD.bookmaker_key == latest.c.bookmaker_key,
                OD.odds_timestamp == latest.c.ts,
            ),
        )
    )
    if valid_only:
        statement = statement.where(OD.is_valid.is_(True))
    return statement


def _lateral_probe(
    targets: Any, bookmakers: Sequence[str], markets: Sequence[str], valid_only: bool
) -> Select[Any]:
    books = _keys("books", "bookmaker_key", bookmakers)
    kinds = _keys("markets", "market_key", markets)
    newest = (
        select(
            OD.event_id,
            OD.bookmaker_key,
            OD.market_key,
            OD.outcome_name,
            OD.outcome_description,
            OD.point,
            OD.price,
            OD.odds_timestamp,
            OD.last_update,
            OD.is_valid,
        )
        .where(
            OD.event_id == targets.c.event_id,
            OD.market_key == kinds.c.market_key,
            OD.bookmaker_key == books.c.bookmaker_key,
            OD.odds_timestamp <= targets.c.as_of,
            OD.odds_timestamp >= targets.c.oldest,
        )
        .order_by(OD.odds_timestamp.desc())
        .fetch(1, with_ties=True)
        .lateral("quote")
    )
    q = newest.c
    statement = select(*_quote_columns(q, targets.c.as_of)).select_from(
        targets.join(kinds, true()).join(books, true()).join(newest, true())
    )
    if valid_only:
        statement = statement.where(q.is_valid.is_(True))
    return statement


def _quote_columns(quote: Any, as_of: ColumnElement[Any]) -> list[Any]:
    """What every probe returns, in the order :func:`_quotes` reads a row: ``quote`` is the
    odds table's columns or a subquery's with the same names."""
    return [
        quote.event_id,
        _raw(as_of, "as_of"),
        quote.bookmaker_key,
        quote.market_key,
        quote.outcome_name,
        quote.outcome_description,
        quote.point,
        quote.price,
        _raw(quote.odds_timestamp, "odds_timestamp"),
        _raw(quote.last_update, "last_update"),
    ]


def _raw(value: ColumnElement[Any], name: str) -> Any:
    # Timestamps leave the statement untyped and are converted once per distinct value by
    # quotes_from_rows: a season repeats each snapshot time ~50 times, and per-row conversion
    # was a third of the load time on SQLite.
    return type_coerce(value, String()).label(name)


def _keys(name: str, column_name: str, keys: Sequence[str]) -> Any:
    return values(sql_column(column_name, String()), name=name).data([(k,) for k in keys]).cte(name)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def _quotes(
    session: AsyncSession,
    statement: Select[Any],
    *,
    bulk: bool,
    parameters: dict[str, Any] | None = None,
) -> list[Quote]:
    if bulk and _dialect(session) == "postgresql":
        # JIT compilation pays off for long scans, not for thousands of index probes: it
        # costs this statement a few hundred milliseconds. Scoped to this transaction.
        await session.execute(text("SET LOCAL jit = off"))
    result = await session.execute(statement, parameters)
    # No column here needs result processing (timestamps leave untyped, see _raw), and
    # building 60,000 Row objects was a fifth of a season load.
    quotes = quotes_from_rows(driver_rows(result))
    if not bulk:
        quotes.sort(key=quote_order)
    # A bulk load comes grouped by target in plan order: sorting a season costs more than
    # the callers (which group by event anyway) gain from it.
    return quotes


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
        # Materialized: the shifted times are computed once per event, not once per quote.
        .cte("targets")
        .prefix_with("MATERIALIZED")
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
    dialect: str = "postgresql",
) -> Select[Any]:
    """The statement behind :func:`odds_before_tip` (for EXPLAIN and benchmarks)."""
    targets = _tip_targets(start, end, lead, staleness_limit(max_staleness), sport_key, event_ids)
    return _latest(
        targets,
        bookmakers=bookmakers,
        markets=markets,
        valid_only=valid_only,
        dialect=dialect,
        probe=True,
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
    event's own commence time. Pass ``bookmakers`` and ``markets`` when you know them: the
    query then probes the index once per (event, book, market) instead of walking every
    quote in each event's window, several times faster on a season. Example::

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
        dialect=_dialect(session),
    )
    return await _quotes(session, statement, bulk=True)


async def odds_as_of_many(
    session: AsyncSession,
    targets: Iterable[tuple[str, datetime]],
    *,
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    valid_only: bool = True,
) -> list[Quote]:
    """Explicit ``(event_id, as_of)`` pairs (an event may repeat at several times).

    One statement per 5,000 pairs: three bound values per pair must stay under the drivers'
    limit on parameters (32,767 for asyncpg, 32,766 for SQLite).
    """
    limit = staleness_limit(max_staleness)
    rows = [(event_id, as_utc(at), as_utc(at) - limit) for event_id, at in targets]
    quotes: list[Quote] = []
    for first in range(0, len(rows), _PAIRS_PER_STATEMENT):
        chunk = rows[first : first + _PAIRS_PER_STATEMENT]
        table = (
            values(
                sql_column("event_id", String()),
                sql_column("as_of", UTCDateTime()),
                sql_column("oldest", UTCDateTime()),
                name="targets",
            )
            .data(chunk)
            .cte("targets")
        )
        statement = _latest(
            table,
            bookmakers=bookmakers,
            markets=markets,
            valid_only=valid_only,
            dialect=_dialect(session),
            probe=len(chunk) > 1,
        )
        quotes.extend(await _quotes(session, statement, bulk=len(rows) > 1))
    return quotes


async def odds_before_tip_frame(
    session: AsyncSession, start: datetime, end: datetime, **options: Any
) -> pd.DataFrame:
    """:func:`odds_before_tip` as a DataFrame (same options), for analytics."""
    return quotes_frame(await odds_before_tip(session, start, end, **options))


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

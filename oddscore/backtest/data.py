"""Loading a whole backtest range set-based: a fixed number of statements, whatever its size.

* the events commencing in the range (the schedule; results are kept apart from strategies);
* ONE scan of every pre-tip quote of those events, from which two as-of sets are kept:
  every event's quotes as of its own decision time ``commence - decision_hours`` (per book
  and market, the valid quotes of its latest observation at or before it, no older than
  ``max_staleness``) and its closing quotes (of the latest observation strictly before
  commence; for CLV only, strategies never see them). A market's quotes always come from one
  observation: an outcome missing from it or flagged invalid in it is not filled in with an
  older price, so a pair never mixes two moments (or two points);
* with an execution haircut, the first quote after the decision time within the window.

The as-of rule is the query layer's (:func:`oddscore.queries.asof.odds_before_tip`), and a
test holds the two to the same answer. It is applied here in Python over one scan fetched
through the driver, because that is ~5x faster than two window-function statements plus
SQLAlchemy's per-row processing on a season (see ``benchmarks/backtest.py``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import and_, select

from oddscore.backtest.board import (
    Board,
    BoolArray,
    CodedRows,
    FloatArray,
    IntArray,
    codes,
    objects,
)
from oddscore.backtest.market import MarketQuote
from oddscore.clock import as_utc
from oddscore.prices.odds import american_to_decimal
from oddscore.queries._sql import EVENTS, ODDS, shift_time
from oddscore.storage.engine import Database

__all__ = [
    "QUOTE_COLUMNS",
    "BacktestData",
    "BoardQuotes",
    "EventInfo",
    "load_backtest_data",
]


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: str
    home_team: str
    away_team: str
    commence_time: datetime
    status: str
    home_score: int | None
    away_score: int | None
    completed_at: datetime | None


QuoteKey = tuple[str, str, str]  # book, market, outcome
# The columns of one quote, in the order MarketQuote is built from (the benchmark's baseline
# scan reads the same ones, so the two fetch the same width of row).
QUOTE_COLUMNS = (
    ODDS.c.event_id,
    ODDS.c.bookmaker_key,
    ODDS.c.market_key,
    ODDS.c.outcome_name,
    ODDS.c.point,
    ODDS.c.price,
    ODDS.c.odds_timestamp,
)


@dataclass
class BacktestData:
    events: list[EventInfo]
    decision: Mapping[str, list[MarketQuote]]
    closing: Mapping[str, list[MarketQuote]]
    next_quotes: dict[str, dict[QuoteKey, MarketQuote]] = field(default_factory=dict)
    board: Board | None = None  # ``decision`` as arrays, when the loader built them


_MARKET_BOOK_OUTCOME = itemgetter(1, 0, 2)  # MarketQuote's market, book, outcome
_SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores timestamps in SQLite
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _scan_sql(dialect: str, n_books: int | None, n_markets: int | None) -> str:
    """Every pre-tip quote of the sport's events commencing in [start, end)."""
    marks: Iterator[str]
    if dialect == "postgresql":
        marks = iter(f"${i}" for i in range(1, 100))
        # Whole microseconds since the epoch: ints hash and compare far faster than aware
        # datetimes (whose every hash and comparison asks for the UTC offset).
        stamp = "(EXTRACT(EPOCH FROM o.odds_timestamp) * 1000000)::bigint"
    else:
        marks = iter("?" * 100)
        stamp = "o.odds_timestamp"  # text that sorts as time (see queries._sql)
    # Invalid rows too: they still make their observation the latest one.
    sql = (
        "SELECT o.event_id, o.bookmaker_key, o.market_key, o.outcome_name, "
        f"o.point, o.price, {stamp}, o.is_valid "
        "FROM odds o JOIN events e ON e.id = o.event_id "
        f"WHERE e.sport_key = {next(marks)} AND e.commence_time >= {next(marks)} "
        f"AND e.commence_time < {next(marks)} AND o.odds_timestamp < e.commence_time"
    )
    for column, count in (("o.bookmaker_key", n_books), ("o.market_key", n_markets)):
        if count is None:
            continue
        if dialect == "postgresql":
            sql += f" AND {column} = ANY({next(marks)})"
        else:
            sql += f" AND {column} IN ({', '.join(next(marks) for _ in range(count))})"
    return sql


_EVENTS_SQL = (
    "SELECT id, home_team, away_team, commence_time, status, home_score, away_score, "
    "completed_at FROM events WHERE sport_key = {} AND commence_time >= {} "
    "AND commence_time < {} ORDER BY commence_time, id"
)


def _sqlite_time(value: str) -> datetime:
    """A stored SQLite timestamp (UTC text) as UTCDateTime gives it back."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


async def _scan(
    db: Database,
    sport_key: str,
    start: datetime,
    end: datetime,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
) -> tuple[list[EventInfo], list[Any]]:
    """The events and the scan, fetched through the driver on one connection (no per-row
    SQLAlchemy processing: on a single-book season that was a fifth of the run)."""
    dialect = db.dialect
    sql = _scan_sql(
        dialect,
        None if bookmakers is None else len(bookmakers),
        None if markets is None else len(markets),
    )
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if dialect == "postgresql":
            params: list[Any] = [sport_key, start, end]
            found = await driver.fetch(_EVENTS_SQL.format("$1", "$2", "$3"), *params)
            events = [
                EventInfo(e, h, a, t.astimezone(UTC), s, hs, as_, c and c.astimezone(UTC))
                for e, h, a, t, s, hs, as_, c in found
            ]
            params += [list(v) for v in (bookmakers, markets) if v is not None]
            return events, list(await driver.fetch(sql, *params))
        params = [
            sport_key,
            start.astimezone(UTC).strftime(_SQLITE_FORMAT),
            end.astimezone(UTC).strftime(_SQLITE_FORMAT),
        ]
        cursor = await driver.execute(_EVENTS_SQL.format("?", "?", "?"), params)
        events = [
            EventInfo(e, h, a, _sqlite_time(t), s, hs, as_, c and _sqlite_time(c))
            for e, h, a, t, s, hs, as_, c in await cursor.fetchall()
        ]
        await cursor.close()
        for values in (bookmakers, markets):
            if values is not None:
                params += list(values)
        cursor = await driver.execute(sql, params)
        rows = list(await cursor.fetchall())
        await cursor.close()
        return events, rows


class _Timestamps:
    """The scan's timestamps: text on SQLite, epoch microseconds on PostgreSQL; each distinct
    one is turned into a datetime once."""

    def __init__(self, textual: bool) -> None:
        self.textual = textual
        self.cache: dict[Any, datetime] = {}

    def key(self, moment: datetime) -> Any:
        """``moment`` in the form the scan's rows carry, so rows compare without parsing."""
        if self.textual:
            return moment.astimezone(UTC).strftime(_SQLITE_FORMAT)
        return (moment - _EPOCH) // timedelta(microseconds=1)

    def parse(self, value: Any) -> datetime:
        if self.textual:
            found = datetime.strptime(value, _SQLITE_FORMAT).replace(tzinfo=UTC)
        else:
            found = _EPOCH + timedelta(microseconds=value)
        self.cache[value] = found
        return found


class BoardQuotes(Mapping[str, list[MarketQuote]]):
    """Per event, a :class:`Board`'s quotes as :class:`MarketQuote` lists (sorted by market,
    book and outcome), made on first use: the array strategies and the CLV read the board and
    never pay for a season of quote tuples. ``board`` may be a factory of the board of some
    events (None: all), called on first use (the closing set, read only when there are bets,
    and then mostly for a few of the events)."""

    def __init__(self, board: Board | Callable[[Collection[str] | None], Board]) -> None:
        self._board = board
        self._done: dict[str, list[MarketQuote]] | None = None

    @property
    def board(self) -> Board:
        if not isinstance(self._board, Board):
            self._board = self._board(None)
        return self._board

    def board_of(self, event_ids: Collection[str]) -> Board:
        """A board holding at least these events' quotes (each event's are the same as on
        :attr:`board`), not kept: made from the factory unless the whole board exists."""
        if isinstance(self._board, Board):
            return self._board
        return self._board(event_ids)

    def _quotes(self) -> dict[str, list[MarketQuote]]:
        if self._done is None:
            board = self.board
            out: dict[str, list[MarketQuote]] = defaultdict(list)
            for row in range(len(board.event)):
                out[board.event_ids[board.event[row]]].append(board.quote(row))
            self._done = {k: sorted(v, key=_MARKET_BOOK_OUTCOME) for k, v in out.items()}
        return self._done

    def __getitem__(self, event_id: str) -> list[MarketQuote]:
        return self._quotes()[event_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._quotes())

    def __len__(self) -> int:
        return len(self._quotes())


@dataclass(eq=False)
class _Scan(CodedRows):
    """The scan's rows as columns, each string column coded once (see :func:`codes`), each
    timestamp as its rank among the distinct ones: what both as-of sets are selected from."""

    events: Sequence[EventInfo]  # ``event`` indexes them; -1: an event not in the list
    valid: BoolArray
    distinct: list[Any]  # the distinct timestamps, sorted (text on SQLite, ints on PostgreSQL)
    rank: IntArray

    @classmethod
    def of(cls, rows: Sequence[Any], events: Sequence[EventInfo]) -> _Scan:
        """The columns of ``rows``, sorted by event, book, market and outcome (as a
        :class:`Board` is, so the boards selected from them need no sorting of their own)."""
        index = {e.id: i for i, e in enumerate(events)}
        if rows:
            # Not strict: rows have the SELECT's width (strict costs ~15% of the zip).
            ids, books, markets, outcomes, points, prices, times, valid = zip(*rows, strict=False)
        else:
            ids = books = markets = outcomes = points = prices = times = valid = ()
        distinct = sorted(set(times))
        rank_of = {t: i for i, t in enumerate(distinct)}
        n = len(ids)
        event = np.fromiter(map(index.get, ids, repeat(-1)), dtype=np.int64, count=n)
        book_names, book = codes(books)
        market_names, market = codes(markets)
        outcome_names, outcome = codes(outcomes)
        order = np.argsort(
            Board.sort_key(
                event + 1, book, market, outcome, book_names, market_names, outcome_names
            ),
            kind="stable",
        )
        return cls(
            events=events,
            event=event[order],
            books=book_names,
            book=book[order],
            markets=market_names,
            market=market[order],
            outcomes=outcome_names,
            outcome=outcome[order],
            point=np.array(points, dtype=float)[order],  # None becomes NaN
            price=np.fromiter(prices, dtype=np.int64, count=n)[order],
            valid=np.fromiter(valid, dtype=bool, count=n)[order],
            distinct=distinct,
            rank=np.fromiter(map(rank_of.__getitem__, times), dtype=np.int64, count=n)[order],
        )

    def as_of(
        self,
        lead: timedelta,
        staleness: timedelta | None,
        stamps: _Timestamps,
        only: Collection[str] | None = None,
    ) -> Board:
        """Per (event, book, market), the valid rows of its latest observation at
        ``commence - lead``, no older than ``staleness``, as a :class:`Board` (of the events
        ``only``, when given: the same rows for those, none for the others)."""
        events, distinct, rank, event = self.events, self.distinct, self.rank, self.event
        # The decision window of each event is a range of timestamp ranks; -1: none (the
        # extra last one, for rows of events outside the list, and the events not asked for).
        until = np.full(len(events) + 1, -1, dtype=np.int64)
        oldest = np.zeros(len(events) + 1, dtype=np.int64)
        for i, e in enumerate(events):
            if only is not None and e.id not in only:
                continue
            until[i] = bisect_right(distinct, stamps.key(e.commence_time - lead)) - 1
            if staleness is not None:
                oldest[i] = bisect_left(distinct, stamps.key(e.commence_time - lead - staleness))
        eligible = (rank <= until[event]) & (rank >= oldest[event])
        # The latest eligible rank of each (event, book, market): its rows are adjacent.
        n = len(rank)
        group = (event * len(self.books) + self.book) * len(self.markets) + self.market
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if n else group
        latest = np.maximum.reduceat(np.where(eligible, rank, -1), starts) if n else rank
        price = self.price
        # Invalid rows still make their observation the latest; they are no price themselves.
        keep = eligible & (rank == np.repeat(latest, np.diff(np.r_[starts, n]))) & self.valid
        keep &= (price <= -100) | (price >= 100)
        kept_price = price[keep]
        kept_rank = rank[keep]
        used = np.unique(kept_rank).tolist()
        moment = np.empty(len(distinct), dtype=object)  # datetimes of the observations kept
        cache = stamps.cache
        moment[used] = [cache.get(distinct[i]) or stamps.parse(distinct[i]) for i in used]
        return Board(
            event_ids=[e.id for e in events],
            home_team=objects([e.home_team for e in events]),
            away_team=objects([e.away_team for e in events]),
            event=event[keep],
            books=self.books,
            book=self.book[keep],
            markets=self.markets,
            market=self.market[keep],
            outcomes=self.outcomes,
            outcome=self.outcome[keep],
            point=self.point[keep],
            price=kept_price,
            decimal=_decimal_odds(kept_price),
            quote_time=moment[kept_rank],
            stamp=kept_rank,
        )


def _decimal_odds(american: IntArray) -> FloatArray:
    """:func:`~oddscore.prices.odds.american_to_decimal` of each price (valid ones), with
    the same float operations, so bit for bit the same."""
    as_float = american.astype(np.float64)
    with np.errstate(divide="ignore"):
        decimal: FloatArray = np.where(
            as_float > 0, 1.0 + as_float / 100.0, 1.0 + 100.0 / -as_float
        )
    return decimal


def _as_of_sets(
    rows: Sequence[Any],
    events: Sequence[EventInfo],
    lead: timedelta,
    staleness: timedelta | None,
    stamps: _Timestamps,
) -> tuple[BoardQuotes, BoardQuotes]:
    """The decision and closing sets of the scan's ``rows`` (event id, book, market, outcome,
    point, price, timestamp, valid), by the query layer's rule
    (:func:`oddscore.queries.asof.odds_before_tip`): per (event, book, market), the valid rows
    of its latest observation at the decision time (within the staleness), and of its latest
    before commence (every scan row is pre-tip, so that is the as-of rule at commence without
    a staleness limit). Both are selected on arrays from one coding of the rows; the closing
    board only when first read."""
    scan = _Scan.of(rows, events)
    decision = scan.as_of(lead, staleness, stamps)
    return BoardQuotes(decision), BoardQuotes(
        lambda only: scan.as_of(timedelta(0), None, stamps, only)
    )


async def _next_quotes(
    db: Database,
    start: datetime,
    end: datetime,
    lead: timedelta,
    window: timedelta,
    sport_key: str,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
) -> dict[str, dict[QuoteKey, MarketQuote]]:
    """The first quote per book, market and outcome in (decision, decision + window], pre-tip."""
    decision = shift_time(EVENTS.c.commence_time, -lead)
    where = [
        EVENTS.c.sport_key == sport_key,
        EVENTS.c.commence_time >= start,
        EVENTS.c.commence_time < end,
        ODDS.c.odds_timestamp > decision,
        ODDS.c.odds_timestamp <= shift_time(EVENTS.c.commence_time, window - lead),
        ODDS.c.odds_timestamp < EVENTS.c.commence_time,
        ODDS.c.is_valid.is_(True),
    ]
    if bookmakers is not None:
        where.append(ODDS.c.bookmaker_key.in_(list(bookmakers)))
    if markets is not None:
        where.append(ODDS.c.market_key.in_(list(markets)))
    statement = (
        select(*QUOTE_COLUMNS)
        .select_from(ODDS.join(EVENTS, EVENTS.c.id == ODDS.c.event_id))
        .where(and_(*where))
        .order_by(ODDS.c.odds_timestamp.desc())
    )
    out: dict[str, dict[QuoteKey, MarketQuote]] = defaultdict(dict)
    async with db.session() as session:
        rows = (await session.execute(statement)).tuples().all()
    for event_id, book, market, outcome, point, price, ts in rows:
        if -100 < price < 100:
            continue
        # Rows come newest first, so the last write per key is the earliest quote.
        out[event_id][(book, market, outcome)] = MarketQuote(
            book, market, outcome, point, price, american_to_decimal(price), as_utc(ts)
        )
    return out


async def load_backtest_data(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    decision_hours: float,
    max_staleness_hours: float | None,
    sport_key: str = "basketball_nba",
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    haircut_minutes: float | None = None,
) -> BacktestData:
    """Everything a backtest of events commencing in ``[start, end)`` reads, set-based."""
    start, end = as_utc(start), as_utc(end)
    lead = timedelta(hours=decision_hours)
    staleness = None if max_staleness_hours is None else timedelta(hours=max_staleness_hours)
    events, rows = await _scan(db, sport_key, start, end, bookmakers, markets)
    stamps = _Timestamps(textual=db.dialect != "postgresql")
    decision, closing = _as_of_sets(rows, events, lead, staleness, stamps)
    data = BacktestData(events, decision, closing, board=decision.board)
    if haircut_minutes:
        data.next_quotes = await _next_quotes(
            db,
            start,
            end,
            lead,
            timedelta(minutes=haircut_minutes),
            sport_key,
            bookmakers,
            markets,
        )
    return data

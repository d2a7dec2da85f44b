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
_MICROSECOND = timedelta(microseconds=1)


def _scan_sql(dialect: str, n_books: int | None, n_markets: int | None) -> str:
    """Every pre-tip quote of the sport's events commencing in [start, end), one text column
    per name (the plain form: what :meth:`_Scan.of` reads)."""
    marks: Iterator[str]
    if dialect == "postgresql":
        marks = iter(f"${i}" for i in range(1, 100))
    else:
        marks = iter("?" * 100)
    # Invalid rows too: they still make their observation the latest one.
    sql = (
        "SELECT o.event_id, o.bookmaker_key, o.market_key, o.outcome_name, "
        f"o.point, o.price, {_stamp(dialect)}, o.is_valid "
        "FROM odds o JOIN events e ON e.id = o.event_id "
        f"WHERE e.sport_key = {next(marks)} AND e.commence_time >= {next(marks)} "
        f"AND e.commence_time < {next(marks)} AND o.odds_timestamp < e.commence_time"
    )
    return sql + _scope_sql(dialect, marks, n_books, n_markets)


def _stamp(dialect: str) -> str:
    if dialect == "postgresql":
        # Whole microseconds since the epoch: ints hash and compare far faster than aware
        # datetimes (whose every hash and comparison asks for the UTC offset). date_part, not
        # EXTRACT's numeric (a fifth of the scan's server time): the double nearest to
        # seconds is within 0.12 us of them after the product, and the product's own rounding
        # 0.25 us more until 2106, so the cast rounds back to the exact microsecond.
        return "(date_part('epoch', o.odds_timestamp) * 1000000)::bigint"
    return "o.odds_timestamp"  # text that sorts as time (see queries._sql)


def _scope_sql(
    dialect: str, marks: Iterator[str], n_books: int | None, n_markets: int | None
) -> str:
    sql = ""
    for column, count in (("o.bookmaker_key", n_books), ("o.market_key", n_markets)):
        if count is None:
            continue
        if dialect == "postgresql":
            sql += f" AND {column} = ANY({next(marks)})"
        else:
            sql += f" AND {column} IN ({', '.join(next(marks) for _ in range(count))})"
    return sql


def _literal_scope(bookmakers: Sequence[str] | None, markets: Sequence[str] | None) -> str:
    """The books and markets condition with the names as SQL string literals."""
    sql = ""
    for column, values in (("o.bookmaker_key", bookmakers), ("o.market_key", markets)):
        if values is not None:
            quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
            # = ANY of an array, not IN: the planner then puts both in the index condition.
            sql += f" AND {column} = ANY(ARRAY[{quoted}]::text[])" if values else " AND false"
    return sql


# The packed scan codes each row's event, market and outcome into one integer in the
# database: the outcome as 0 (the event's home team), 1 (away) or 2 + its index here.
_OUTCOMES = ("Over", "Under", "Draw")
_OUTCOME_SLOTS = 2 + len(_OUTCOMES)
_MARKETS = ("h2h", "spreads", "totals")  # coded when the backtest names no markets


def _packed_sql(
    dialect: str,
    n_markets: int,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
) -> str:
    """The scan as five columns (packed event/market/outcome code, book, point, price * 2 +
    valid, timestamp): a third fewer cells than the plain form and no names to code in
    Python. The code is NULL for a market or outcome outside the coded ones (then the loader
    falls back to the plain scan). Parameters: PostgreSQL the events' ids, commence times,
    home and away teams as arrays, then the market and outcome names as arrays (the books and
    markets of the scope are literals); SQLite the market names, the outcome names, the
    sport and range, then the books and markets of the scope."""
    marks: Iterator[str]
    if dialect == "postgresql":
        marks = iter(f"${i}" for i in range(1, 100))
        ids, tips, homes, aways, market_names, outcome_names = (next(marks) for _ in range(6))
        events = (
            f"FROM unnest({ids}::text[], {tips}::timestamptz[], {homes}::text[], "
            f"{aways}::text[]) WITH ORDINALITY AS e(id, commence_time, home_team, away_team, n) "
        )
        if bookmakers is None and markets is None:
            source = (
                events + "JOIN odds o ON o.event_id = e.id WHERE o.odds_timestamp < e.commence_time"
            )
        else:
            # A fenced LATERAL: each listed event's odds through the (event, ...) index. A
            # plain join let an unanalyzed database's planner take the few rows of one book
            # for the outer loop, a seq scan of odds against the event list (0.5 s, not 20 ms).
            # The books and markets are literals: as parameters, the cached generic plan
            # filtered each event's every row on the heap instead of in the index (2.5x).
            source = events + (
                "CROSS JOIN LATERAL (SELECT * FROM odds o WHERE o.event_id = e.id "
                f"AND o.odds_timestamp < e.commence_time{_literal_scope(bookmakers, markets)} "
                "OFFSET 0) o"
            )
        event = "(e.n - 1)"
        market = f"(array_position({market_names}::text[], o.market_key::text) - 1)"
        outcome = f"array_position({outcome_names}::text[], o.outcome_name::text) + 1"
        if n_markets <= 3:  # a CASE compares a few names faster than array_position
            market = (
                "CASE o.market_key "
                + " ".join(
                    f"WHEN ({market_names}::text[])[{i + 1}] THEN {i}" for i in range(n_markets)
                )
                + " END"
            )
            outcome = (
                "CASE o.outcome_name "
                + " ".join(
                    f"WHEN ({outcome_names}::text[])[{i + 1}] THEN {i + 2}"
                    for i in range(len(_OUTCOMES))
                )
                + " END"
            )
        valid = "o.is_valid::int"
    else:
        marks = iter("?" * 100)
        whens = " ".join(f"WHEN {next(marks)} THEN {i}" for i in range(n_markets))
        market = f"CASE o.market_key {whens} END"
        outcome = (
            "CASE o.outcome_name "
            + " ".join(f"WHEN {next(marks)} THEN {i + 2}" for i in range(len(_OUTCOMES)))
            + " END"
        )
        source = (
            "FROM odds o JOIN events e ON e.id = o.event_id "
            f"WHERE e.sport_key = {next(marks)} AND e.commence_time >= {next(marks)} "
            f"AND e.commence_time < {next(marks)} AND o.odds_timestamp < e.commence_time"
        )
        event = "e.rowid"
        valid = "o.is_valid"
    code = (
        f"({event} * {n_markets} + {market}) * {_OUTCOME_SLOTS} + CASE o.outcome_name "
        f"WHEN e.home_team THEN 0 WHEN e.away_team THEN 1 ELSE {outcome} END"
    )
    where = ""
    if dialect != "postgresql":
        where = _scope_sql(
            dialect,
            marks,
            None if bookmakers is None else len(bookmakers),
            None if markets is None else len(markets),
        )
    return (
        f"SELECT {code}, o.bookmaker_key, o.point, o.price * 2 + {valid}, {_stamp(dialect)} "
        f"{source}{where}"
    )


_EVENTS_SQL = (
    "SELECT id, home_team, away_team, commence_time, status, home_score, away_score, "
    "completed_at{} FROM events WHERE sport_key = {} AND commence_time >= {} "
    "AND commence_time < {} ORDER BY commence_time, id"
)


def _sqlite_time(value: str) -> datetime:
    """A stored SQLite timestamp (UTC text) as UTCDateTime gives it back."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


@dataclass
class _Packed:
    """The packed scan's columns (see :func:`_packed_sql`), as fetched."""

    markets: Sequence[str]  # the market names coded, in code order
    event_keys: IntArray  # per event, the key the code's event part holds
    code: Sequence[Any]
    book: Sequence[str]
    point: Sequence[float | None]
    price: Sequence[int]
    stamp: Sequence[Any]


async def _scan(
    db: Database,
    sport_key: str,
    start: datetime,
    end: datetime,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
) -> tuple[list[EventInfo], _Packed | list[Any]]:
    """The events and the scan, fetched through the driver on one connection (no per-row
    SQLAlchemy processing: on a single-book season that was a fifth of the run): packed,
    unless a row's market or outcome is not one the packed form codes (then plain rows)."""
    dialect = db.dialect
    scope = (
        None if bookmakers is None else len(bookmakers),
        None if markets is None else len(markets),
    )
    coded = list(dict.fromkeys(markets if markets is not None else _MARKETS))
    lists = [list(v) for v in (bookmakers, markets) if v is not None]
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        if dialect == "postgresql":
            params: list[Any] = [sport_key, start, end]
            found = await driver.fetch(_EVENTS_SQL.format("", "$1", "$2", "$3"), *params)
            events = [
                EventInfo(e, h, a, t.astimezone(UTC), s, hs, as_, c and c.astimezone(UTC))
                for e, h, a, t, s, hs, as_, c in found
            ]
            columns = list(zip(*found, strict=False)) or [()] * 8
            packed = await driver.fetch(
                _packed_sql(dialect, len(coded), bookmakers, markets),
                columns[0], columns[3], columns[1], columns[2], coded, _OUTCOMES,
            )  # fmt: skip
            keys = np.arange(len(events), dtype=np.int64)
            rows = _packed(coded, keys, packed)
            if rows is not None:
                return events, rows
            return events, list(await driver.fetch(_scan_sql(dialect, *scope), *params, *lists))
        params = [
            sport_key,
            start.astimezone(UTC).strftime(_SQLITE_FORMAT),
            end.astimezone(UTC).strftime(_SQLITE_FORMAT),
        ]
        flat = [v for values in lists for v in values]
        cursor = await driver.execute(_EVENTS_SQL.format(", rowid", "?", "?", "?"), params)
        found = await cursor.fetchall()
        await cursor.close()
        events = [
            EventInfo(e, h, a, _sqlite_time(t), s, hs, as_, c and _sqlite_time(c))
            for e, h, a, t, s, hs, as_, c, _ in found
        ]
        keys = np.fromiter((row[8] for row in found), dtype=np.int64, count=len(found))
        cursor = await driver.execute(
            _packed_sql(dialect, len(coded), bookmakers, markets),
            [*coded, *_OUTCOMES, *params, *flat],
        )
        rows = _packed(coded, keys, await cursor.fetchall())
        await cursor.close()
        if rows is not None:
            return events, rows
        cursor = await driver.execute(_scan_sql(dialect, *scope), [*params, *flat])
        plain = list(await cursor.fetchall())
        await cursor.close()
        return events, plain


def _packed(markets: Sequence[str], event_keys: IntArray, rows: Sequence[Any]) -> _Packed | None:
    """The packed scan's rows as columns; None when a row has no code (a name not coded)."""
    if not rows:
        return _Packed(markets, event_keys, (), (), (), (), ())
    # Not strict: rows have the SELECT's width (strict costs ~15% of the zip).
    code, book, point, price, stamp = zip(*rows, strict=False)
    if None in code:
        return None
    return _Packed(markets, event_keys, code, book, point, price, stamp)


class _Timestamps:
    """The scan's timestamps: text on SQLite, epoch microseconds on PostgreSQL; each distinct
    one is turned into a datetime once."""

    def __init__(self, textual: bool) -> None:
        self.textual = textual
        self.cache: dict[Any, datetime] = {}

    def micros(self, distinct: list[Any]) -> IntArray:
        """The scan's distinct timestamps as epoch microseconds (sorted as they are)."""
        if not self.textual:
            return np.array(distinct, dtype=np.int64)
        cache = self.cache
        return np.fromiter(
            (((cache.get(v) or self.parse(v)) - _EPOCH) // _MICROSECOND for v in distinct),
            dtype=np.int64,
            count=len(distinct),
        )

    def parse(self, value: Any) -> datetime:
        if self.textual:
            found = _sqlite_time(value)
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
    _commence: IntArray | None = field(default=None, init=False)

    @classmethod
    def of(cls, rows: Sequence[Any], events: Sequence[EventInfo]) -> _Scan:
        """The columns of plain scan rows (event id, book, market, outcome, point, price,
        timestamp, valid), sorted by event, book, market and outcome (as a :class:`Board`
        is, so the boards selected from them need no sorting of their own)."""
        index = {e.id: i for i, e in enumerate(events)}
        if rows:
            # Not strict: rows have the SELECT's width (strict costs ~15% of the zip).
            ids, books, markets, outcomes, points, prices, times, valid = zip(*rows, strict=False)
        else:
            ids = books = markets = outcomes = points = prices = times = valid = ()
        n = len(ids)
        event = np.fromiter(map(index.get, ids, repeat(-1)), dtype=np.int64, count=n)
        book_names, book = codes(books)
        market_names, market = codes(markets)
        outcome_names, outcome = codes(outcomes)
        distinct, rank = _ranks(times)
        return cls._sorted(
            events,
            event,
            (book_names, book),
            (market_names, market),
            (outcome_names, outcome),
            np.array(points, dtype=float),  # None becomes NaN
            np.fromiter(prices, dtype=np.int64, count=n),
            np.fromiter(valid, dtype=bool, count=n),
            distinct,
            rank,
        )

    @classmethod
    def of_packed(cls, packed: _Packed, events: Sequence[EventInfo]) -> _Scan:
        """:meth:`of` for the packed scan (:func:`_packed_sql`): the same columns, decoded
        on arrays."""
        n = len(packed.code)
        code = np.fromiter(packed.code, dtype=np.int64, count=n)
        slot = code % _OUTCOME_SLOTS
        code //= _OUTCOME_SLOTS
        market = code % len(packed.markets)
        key = code // len(packed.markets)
        # The event part is the event's key (its position, or its rowid on SQLite).
        by_key = np.argsort(packed.event_keys, kind="stable")
        at = np.searchsorted(packed.event_keys, key, sorter=by_key)
        at = by_key[np.minimum(at, max(len(by_key) - 1, 0))] if len(by_key) else at
        event = np.where(packed.event_keys[at] == key, at, -1) if len(by_key) else at - 1
        listed = event >= 0  # all, unless an event was added between the two statements
        if not listed.all():
            packed = _Packed(
                packed.markets,
                packed.event_keys,
                *([v for v, keep in zip(c, listed.tolist(), strict=True) if keep]
                  for c in (packed.code, packed.book, packed.point, packed.price, packed.stamp)),
            )  # fmt: skip
            return cls.of_packed(packed, events)
        # Outcome names: the events' teams and the coded names, then only those present.
        names = sorted({*(e.home_team for e in events), *(e.away_team for e in events),
                        *_OUTCOMES})  # fmt: skip
        index = {name: i for i, name in enumerate(names)}
        home = np.array([index[e.home_team] for e in events] + [-1], dtype=np.int64)
        away = np.array([index[e.away_team] for e in events] + [-1], dtype=np.int64)
        fixed = np.array([index[name] for name in _OUTCOMES], dtype=np.int64)
        outcome = np.where(
            slot == 0, home[event], np.where(slot == 1, away[event], fixed[np.maximum(slot - 2, 0)])
        )
        market_names, market = _present(list(packed.markets), market)
        outcome_names, outcome = _present(names, outcome)
        book_names, book = codes(packed.book)
        price = np.fromiter(packed.price, dtype=np.int64, count=n)
        distinct, rank = _ranks(packed.stamp)
        return cls._sorted(
            events,
            event,
            (book_names, book),
            (market_names, market),
            (outcome_names, outcome),
            np.array(packed.point, dtype=float),
            price >> 1,
            (price & 1).astype(bool),
            distinct,
            rank,
        )

    @classmethod
    def _sorted(
        cls,
        events: Sequence[EventInfo],
        event: IntArray,
        book: tuple[list[str], IntArray],
        market: tuple[list[str], IntArray],
        outcome: tuple[list[str], IntArray],
        point: FloatArray,
        price: IntArray,
        valid: BoolArray,
        distinct: list[Any],
        rank: IntArray,
    ) -> _Scan:
        (book_names, book_codes), (market_names, market_codes), (outcome_names, outcome_codes) = (
            book, market, outcome
        )  # fmt: skip
        order = np.argsort(
            Board.sort_key(
                event + 1,
                book_codes,
                market_codes,
                outcome_codes,
                book_names,
                market_names,
                outcome_names,
            ),
            kind="stable",
        )
        return cls(
            events=events,
            event=event[order],
            books=book_names,
            book=book_codes[order],
            markets=market_names,
            market=market_codes[order],
            outcomes=outcome_names,
            outcome=outcome_codes[order],
            point=point[order],
            price=price[order],
            valid=valid[order],
            distinct=distinct,
            rank=rank[order],
        )

    def commence_micros(self) -> IntArray:
        """Each event's commence time in epoch microseconds."""
        if self._commence is None:
            self._commence = np.fromiter(
                ((e.commence_time - _EPOCH) // _MICROSECOND for e in self.events),
                dtype=np.int64,
                count=len(self.events),
            )
        return self._commence

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
        # (On epoch microseconds: comparing SQLite's text per event cost a strftime each.)
        times = stamps.micros(distinct)
        decision = self.commence_micros() - lead // _MICROSECOND
        until = np.r_[np.searchsorted(times, decision, side="right") - 1, -1]
        oldest = np.zeros(len(events) + 1, dtype=np.int64)
        if staleness is not None:
            oldest[:-1] = np.searchsorted(times, decision - staleness // _MICROSECOND)
        if only is not None:
            left_out = np.array([e.id not in only for e in events] + [False])
            until[left_out] = -1
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


def _present(names: list[str], code: IntArray) -> tuple[list[str], IntArray]:
    """``names`` narrowed to those ``code`` uses, sorted, and ``code`` recoded into them (as
    :func:`codes` gives them from the names of the rows)."""
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    sorted_code = rank[code]
    used = np.bincount(sorted_code, minlength=len(names)) > 0
    return [names[i] for i, u in zip(order, used.tolist(), strict=True) if u], (
        np.cumsum(used) - 1
    )[sorted_code]


def _ranks(times: Sequence[Any]) -> tuple[list[Any], IntArray]:
    """The distinct timestamps, sorted, and each row's rank among them."""
    if times and isinstance(times[0], int):
        values, rank = np.unique(np.fromiter(times, dtype=np.int64, count=len(times)),
                                 return_inverse=True)  # fmt: skip
        return values.tolist(), rank.astype(np.int64)
    distinct = sorted(set(times))
    rank_of = {t: i for i, t in enumerate(distinct)}
    return distinct, np.fromiter(map(rank_of.__getitem__, times), dtype=np.int64,
                                 count=len(times))  # fmt: skip


def _as_of_sets(
    rows: _Packed | Sequence[Any],
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
    scan = _Scan.of_packed(rows, events) if isinstance(rows, _Packed) else _Scan.of(rows, events)
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

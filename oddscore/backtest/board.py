"""A season's decision quotes as arrays: what the array strategies evaluate in one pass.

The board holds, for every event of a backtest, the same quotes a
:class:`~oddscore.backtest.market.MarketView` would show at its decision time (so it cannot
look ahead either), one row per quote, sorted by event, book, market and outcome. Each
(event, book, market) is a *set*; ``complete`` marks the rows of the sets that
:func:`~oddscore.backtest.market.complete_sets` keeps (two or more distinct outcomes of one
observation; spreads and totals exactly two sides of one line). Nothing assumes two
outcomes: a three-way market is a set of three rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from oddscore.backtest.market import MarketQuote

__all__ = ["Board", "CodedRows", "codes", "objects"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


def objects(values: Sequence[Any]) -> ObjectArray:
    """A 1-d object array of ``values`` (tuples stay elements, not rows)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def codes(values: Sequence[str]) -> tuple[list[str], IntArray]:
    """Distinct values in sorted order and each value's index (so codes sort as the names).

    A dict, not ``np.unique``: sorting an object array compares Python strings one by one.
    """
    names = sorted(set(values))
    index = {name: i for i, name in enumerate(names)}
    return names, np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


@dataclass(eq=False)
class CodedRows:
    """Quotes as columns, one row per quote, each name coded as its index among the sorted
    distinct names (:func:`codes`)."""

    event: IntArray  # per row: index of its event
    books: list[str]
    book: IntArray  # per row: index into ``books``
    markets: list[str]
    market: IntArray
    outcomes: list[str]
    outcome: IntArray
    point: FloatArray  # NaN: no point
    price: IntArray


@dataclass(eq=False)
class Board(CodedRows):
    """The decision quotes of a season's events, one row per quote (see the module doc)."""

    event_ids: list[str]  # the events (``event`` indexes them), as ``home_team``, ``away_team``
    home_team: ObjectArray
    away_team: ObjectArray
    decimal: FloatArray
    quote_time: ObjectArray  # datetimes
    stamp: IntArray  # quote_time as an orderable integer (one value per observation)
    source: ObjectArray | None = None  # the MarketQuote of each row, when built from them
    set_id: IntArray = field(init=False)  # per row: its (event, book, market) set
    complete: BoolArray = field(init=False)
    memo: dict[Any, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        key = self.sort_key(
            self.event,
            self.book,
            self.market,
            self.outcome,
            self.books,
            self.markets,
            self.outcomes,
        )
        if len(key) and not (key[1:] >= key[:-1]).all():  # the loader's rows come sorted
            order = np.argsort(key, kind="stable")
            for name in ("event", "book", "market", "outcome", "point", "price", "decimal"):
                setattr(self, name, getattr(self, name)[order])
            self.quote_time = self.quote_time[order]
            self.stamp = self.stamp[order]
            if self.source is not None:
                self.source = self.source[order]
        self.set_id, self.complete = self._sets()

    @staticmethod
    def sort_key(
        event: IntArray,
        book: IntArray,
        market: IntArray,
        outcome: IntArray,
        books: Sequence[str],
        markets: Sequence[str],
        outcomes: Sequence[str],
    ) -> IntArray:
        """One integer per row that orders rows by event, book, market and outcome (codes
        from 0): one stable sort of it orders them as a lexicographic sort of the four."""
        key: IntArray = ((event * len(books) + book) * len(markets) + market) * len(
            outcomes
        ) + outcome
        return key

    @classmethod
    def from_quotes(
        cls,
        events: Sequence[tuple[str, str, str]],
        quotes: Mapping[str, Sequence[MarketQuote]],
    ) -> Board:
        """From per-event quotes (``events``: id, home team, away team, in replay order)."""
        index = {event_id: i for i, (event_id, _, _) in enumerate(events)}
        rows = [(index[e], q) for e, qs in quotes.items() if e in index for q in qs]
        times = [q.quote_time for _, q in rows]
        rank = {t: i for i, t in enumerate(sorted(set(times)))}  # ordered as the times are
        board = cls.from_columns(
            events,
            event=np.array([e for e, _ in rows], dtype=np.int64),
            book=[q.book for _, q in rows],
            market=[q.market for _, q in rows],
            outcome=[q.outcome for _, q in rows],
            point=np.array(
                [np.nan if q.point is None else q.point for _, q in rows], dtype=np.float64
            ),
            price=np.array([q.price for _, q in rows], dtype=np.int64),
            decimal=np.array([q.decimal for _, q in rows], dtype=np.float64),
            quote_time=objects(times),
            stamp=np.array([rank[t] for t in times], dtype=np.int64),
            source=objects([q for _, q in rows]),
        )
        return board

    @classmethod
    def from_columns(
        cls,
        events: Sequence[tuple[str, str, str]],
        *,
        event: IntArray,
        book: Sequence[str],
        market: Sequence[str],
        outcome: Sequence[str],
        point: FloatArray,
        price: IntArray,
        decimal: FloatArray,
        quote_time: ObjectArray,
        stamp: IntArray,
        source: ObjectArray | None = None,
    ) -> Board:
        books, book_codes = codes(book)
        markets, market_codes = codes(market)
        outcomes, outcome_codes = codes(outcome)
        return cls(
            event_ids=[e for e, _, _ in events],
            home_team=objects([h for _, h, _ in events]),
            away_team=objects([a for _, _, a in events]),
            event=event,
            books=books,
            book=book_codes,
            markets=markets,
            market=market_codes,
            outcomes=outcomes,
            outcome=outcome_codes,
            point=point,
            price=price,
            decimal=decimal,
            quote_time=quote_time,
            stamp=stamp,
            source=source,
        )

    def _sets(self) -> tuple[IntArray, BoolArray]:
        """Each row's set and whether that set is complete and compatible (``complete_sets``)."""
        n = len(self.event)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        key = (self.event * len(self.books) + self.book) * len(self.markets) + self.market
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        sizes = np.diff(np.r_[starts, n])
        set_id = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)
        ok = sizes >= 2
        # One observation, each outcome once (rows are sorted by outcome within a set).
        new_set = np.r_[True, set_id[1:] != set_id[:-1]]
        same_time = np.r_[True, self.stamp[1:] == self.stamp[:-1]] | new_set
        distinct = np.r_[True, self.outcome[1:] != self.outcome[:-1]] | new_set
        ok &= np.logical_and.reduceat(same_time & distinct, starts)
        first, second = starts, np.minimum(starts + 1, n - 1)
        a, b = self.point[first], self.point[second]
        two = sizes == 2
        market = np.asarray(self.markets, dtype=object)[self.market[starts]]
        spreads = market == "spreads"
        totals = market == "totals"
        with np.errstate(invalid="ignore"):
            ok &= ~spreads | (two & ~np.isnan(a) & ~np.isnan(b) & (np.abs(a + b) < 1e-9))
            ok &= ~totals | (two & ~np.isnan(a) & (a == b))
        return set_id, np.repeat(ok, sizes)

    def code(self, names: list[str], value: str) -> int:
        """The code of ``value`` among ``names`` (-1: not on the board)."""
        key = ("code", id(names))
        index: dict[str, int] | None = self.memo.get(key)
        if index is None:
            index = self.memo[key] = {name: i for i, name in enumerate(names)}
        return index.get(value, -1)

    def quote(self, row: int) -> MarketQuote:
        if self.source is not None:
            found: MarketQuote = self.source[row]
            return found
        point = float(self.point[row])
        return MarketQuote(
            self.books[self.book[row]],
            self.markets[self.market[row]],
            self.outcomes[self.outcome[row]],
            None if np.isnan(point) else point,
            int(self.price[row]),
            float(self.decimal[row]),
            self.quote_time[row],
        )

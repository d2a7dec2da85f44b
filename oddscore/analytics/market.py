"""What a strategy may see: one event's quotes as of its decision time, and nothing later.

A :class:`MarketView` carries the event's schedule (teams, commence time; never its score)
and the latest quote of every book, market and outcome observed at or before the decision
time within the staleness limit. Strategies get nothing else, so they cannot look ahead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

from oddscore.analytics.consensus import fair_line
from oddscore.analytics.devig import DevigMethod, DevigUndefinedError, devig

__all__ = ["EventView", "MarketQuote", "MarketView", "complete_sets"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EventView:
    """The schedule of one event: what was known before it started."""

    id: str
    home_team: str
    away_team: str
    commence_time: datetime


class MarketQuote(NamedTuple):
    """One quote (a tuple: a season holds ~100,000 of them, built in a tight loop)."""

    book: str
    market: str
    outcome: str
    point: float | None
    price: int  # American
    decimal: float
    quote_time: datetime  # when the quote was observed


def _compatible(quotes: Sequence[MarketQuote], market: str) -> bool:
    """One snapshot's complete set: >= 2 distinct outcomes (sorted by name), one observation
    time, and for spreads/totals exactly two sides at the same line."""
    first = quotes[0]
    if len(quotes) < 2:
        return False
    previous = None
    for q in quotes:
        if q.quote_time != first.quote_time or q.outcome == previous:
            return False  # de-vig only one snapshot's complete set, each outcome once
        previous = q.outcome
    if market == "spreads":
        a, b = first.point, quotes[1].point
        return len(quotes) == 2 and a is not None and b is not None and abs(a + b) < 1e-9
    if market == "totals":
        return len(quotes) == 2 and first.point is not None and first.point == quotes[1].point
    return True


_BOOK_MARKET_OUTCOME = itemgetter(0, 1, 2)  # MarketQuote's book, market, outcome


def complete_sets(quotes: Iterable[MarketQuote]) -> dict[tuple[str, str], tuple[MarketQuote, ...]]:
    """Complete, compatible outcome sets keyed by (book, market), outcomes sorted by name."""
    grouped: dict[tuple[str, str], list[MarketQuote]] = defaultdict(list)
    for q in sorted(quotes, key=_BOOK_MARKET_OUTCOME):
        grouped[(q.book, q.market)].append(q)
    return {key: tuple(group) for key, group in grouped.items() if _compatible(group, key[1])}


@dataclass(frozen=True)
class MarketView:
    """One event's board as of ``decision_time``."""

    event: EventView
    decision_time: datetime
    quotes: tuple[MarketQuote, ...]
    _sets: dict[tuple[str, str], tuple[MarketQuote, ...]] = field(
        init=False, repr=False, compare=False
    )
    _fair: dict[tuple[Any, ...], dict[str, float] | None] = field(
        init=False, repr=False, compare=False
    )
    _books: dict[str, list[str]] = field(init=False, repr=False, compare=False)
    _memo: dict[Hashable, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sets = complete_sets(self.quotes)
        books: dict[str, list[str]] = defaultdict(list)
        for book, market in sets:  # sets are built in book order
            books[market].append(book)
        object.__setattr__(self, "_sets", sets)
        object.__setattr__(self, "_fair", {})
        object.__setattr__(self, "_books", dict(books))
        object.__setattr__(self, "_memo", {})

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per ``key`` for this board: a sweep shows the same boards to
        many runs, and a strategy may keep here what depends on the board and ``key`` only."""
        if key not in self._memo:
            self._memo[key] = compute()
        found: T = self._memo[key]
        return found

    def books(self, market: str) -> list[str]:
        """Books with a complete outcome set in ``market``, sorted."""
        return list(self._books.get(market, ()))

    def outcome_set(self, book: str, market: str) -> tuple[MarketQuote, ...] | None:
        """The book's complete set in ``market`` (one snapshot, compatible points), or None."""
        return self._sets.get((book, market))

    def fair_probabilities(
        self,
        market: str,
        books: Sequence[str],
        method: DevigMethod | str = DevigMethod.MULTIPLICATIVE,
        *,
        point_of: tuple[str, float | None] | None = None,
    ) -> dict[str, float] | None:
        """Consensus no-vig probability per outcome from ``books``' complete sets.

        For spreads and totals only sets at the same line as ``point_of`` (an outcome name and
        its point) are combined; None when no listed book has a usable set. Memoized: a
        strategy asks the same question for every retail book.
        """
        if point_of is not None and point_of[1] is None:
            point_of = None  # a point-free market (h2h) has one line: share the answer
        key = (market, tuple(books), method, point_of)
        if key not in self._fair:
            self._fair[key] = self._fair_probabilities(market, books, method, point_of)
        return self._fair[key]

    def _fair_probabilities(
        self,
        market: str,
        books: Sequence[str],
        method: DevigMethod | str,
        point_of: tuple[str, float | None] | None,
    ) -> dict[str, float] | None:
        chosen: list[tuple[str, tuple[MarketQuote, ...]]] = []
        names: tuple[str, ...] | None = None
        for book in books:
            quotes = self.outcome_set(book, market)
            if quotes is None:
                continue
            if point_of is not None:
                outcome, point = point_of
                if not any(q.outcome == outcome and q.point == point for q in quotes):
                    continue
            these = tuple(q.outcome for q in quotes)
            if names is None:
                names = these
            elif these != names:
                continue
            chosen.append((book, quotes))
        if names is None:
            return None
        # Both sides of one line (home -3.5 and away +3.5, over and under 220.5) pick the
        # same sets: the consensus is computed once per choice of sets.
        key = ("consensus", market, method, tuple(book for book, _ in chosen))
        if key not in self._memo:
            self._memo[key] = self._consensus(chosen, names, method)
        found: dict[str, float] | None = self._memo[key]
        return found

    @staticmethod
    def _consensus(
        chosen: Sequence[tuple[str, tuple[MarketQuote, ...]]],
        names: tuple[str, ...],
        method: DevigMethod | str,
    ) -> dict[str, float] | None:
        per_book: dict[str, Sequence[float]] = {}
        for book, quotes in chosen:
            try:
                per_book[book] = devig([q.decimal for q in quotes], method).probabilities
            except DevigUndefinedError:
                continue  # the method cannot de-vig this book's set: leave it out
        if not per_book:
            return None
        return dict(zip(names, fair_line(per_book), strict=True))

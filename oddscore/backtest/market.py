"""What a strategy may see: one event's quotes as of its decision time, and nothing later.

A :class:`MarketView` carries the event's schedule (teams, commence time; never its score)
and the latest quote of every book, market and outcome observed at or before the decision
time within the staleness limit. Strategies get nothing else, so they cannot look ahead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from oddscore.analytics.consensus import fair_line
from oddscore.analytics.devig import DevigMethod, devig

__all__ = ["EventView", "MarketQuote", "MarketView", "complete_sets"]


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
    if len(quotes) < 2 or len({q.quote_time for q in quotes}) != 1:
        return False  # de-vig only one snapshot's complete set
    if len({q.outcome for q in quotes}) != len(quotes):
        return False
    if market == "spreads":
        a, b = (q.point for q in quotes[:2])
        return len(quotes) == 2 and a is not None and b is not None and abs(a + b) < 1e-9
    if market == "totals":
        return (
            len(quotes) == 2 and quotes[0].point is not None and quotes[0].point == quotes[1].point
        )
    return True


def complete_sets(quotes: Iterable[MarketQuote]) -> dict[tuple[str, str], tuple[MarketQuote, ...]]:
    """Complete, compatible outcome sets keyed by (book, market), outcomes sorted by name."""
    grouped: dict[tuple[str, str], list[MarketQuote]] = defaultdict(list)
    for q in quotes:
        grouped[(q.book, q.market)].append(q)
    out = {}
    for key, group in grouped.items():
        group.sort(key=lambda q: q.outcome)
        if _compatible(group, key[1]):
            out[key] = tuple(group)
    return out


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sets", complete_sets(self.quotes))
        object.__setattr__(self, "_fair", {})

    def books(self, market: str) -> list[str]:
        """Books with a complete outcome set in ``market``, sorted."""
        return sorted(book for book, m in self._sets if m == market)

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
        per_book: dict[str, Sequence[float]] = {}
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
            per_book[book] = devig([q.decimal for q in quotes], method).probabilities
        if not per_book or names is None:
            return None
        return dict(zip(names, fair_line(per_book), strict=True))

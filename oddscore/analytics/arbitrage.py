"""Arbitrage, middles and the low-hold screen (BETTING_MATH.md d4).

A :class:`Quote` is one book's price for one outcome at one point. Outcomes are matched
line-aware: a spread or total pair is an arbitrage only at complementary points (home -4.5
with away +4.5; over 220.5 with under 220.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "Arbitrage",
    "Middle",
    "Quote",
    "best_prices",
    "find_arbitrages",
    "find_middles",
    "arbitrage_stakes",
    "arbitrage_profit",
]


@dataclass(frozen=True, slots=True)
class Quote:
    book: str
    outcome: str  # team name, "Over" or "Under"
    decimal: float
    point: float | None = None


@dataclass(frozen=True, slots=True)
class Arbitrage:
    legs: tuple[Quote, ...]
    booksum: float  # sum of 1/d over the best prices; < 1 is an arbitrage
    profit: float  # 1/booksum - 1, the guaranteed return on the total outlay
    stakes: tuple[float, ...]  # balanced stakes for the outlay asked for


def arbitrage_profit(decimals: Sequence[float]) -> float:
    """Guaranteed profit rate of balanced stakes: ``1/sum(1/d) - 1`` (not ``1 - sum``)."""
    return 1.0 / sum(1.0 / d for d in decimals) - 1.0


def arbitrage_stakes(decimals: Sequence[float], outlay: float) -> tuple[float, ...]:
    """``s_i = S (1/d_i) / sum(1/d)``: every outcome then pays ``S / sum(1/d)``."""
    total = sum(1.0 / d for d in decimals)
    return tuple(outlay * (1.0 / d) / total for d in decimals)


def _line_key(q: Quote) -> tuple[str, float | None]:
    return (q.outcome, q.point)


def best_prices(quotes: Iterable[Quote]) -> dict[tuple[str, float | None], Quote]:
    """The best price per (outcome, point) among the books given (the user's books)."""
    best: dict[tuple[str, float | None], Quote] = {}
    for q in quotes:
        key = _line_key(q)
        if key not in best or q.decimal > best[key].decimal:
            best[key] = q
    return best


def _complementary_sets(
    best: dict[tuple[str, float | None], Quote], market: str
) -> list[tuple[Quote, ...]]:
    keys = list(best)
    if market == "totals":
        return [
            (best[("Over", pt)], best[("Under", pt)])
            for (name, pt) in keys
            if name == "Over" and ("Under", pt) in best
        ]
    if market == "spreads":
        sets: list[tuple[Quote, ...]] = []
        for name, pt in keys:
            if pt is None:
                continue
            for other, opt in keys:
                if other > name and opt is not None and abs(opt + pt) < 1e-9:
                    sets.append((best[(name, pt)], best[(other, opt)]))
        return sets
    # h2h and other point-free markets: one set of every outcome.
    return [tuple(best[k] for k in keys)] if len(keys) >= 2 else []


def find_arbitrages(
    quotes: Iterable[Quote], market: str = "h2h", outlay: float = 100.0
) -> list[Arbitrage]:
    """Every complementary outcome set whose best prices sum to less than 1, best first."""
    best = best_prices(quotes)
    found = []
    for legs in _complementary_sets(best, market):
        decimals = [q.decimal for q in legs]
        total = sum(1.0 / d for d in decimals)
        if total < 1.0:
            found.append(
                Arbitrage(legs, total, 1.0 / total - 1.0, arbitrage_stakes(decimals, outlay))
            )
    return sorted(found, key=lambda a: a.booksum)


@dataclass(frozen=True, slots=True)
class Middle:
    low: Quote  # Over at the low total, or the side getting points at the wider line
    high: Quote
    width: float  # distance between the two lines


def find_middles(quotes: Iterable[Quote], market: str = "totals") -> list[Middle]:
    """Opposite sides at different lines that can both win.

    Totals: Over L1 and Under L2 with L1 < L2 (both win when L1 < T < L2). Spreads: the two
    teams at points p_a, p_b with p_a + p_b > 0 (both win when the margin falls between).
    """
    best = best_prices(quotes)
    found = []
    for (name, pt), q in best.items():
        if pt is None:
            continue
        for (other, opt), r in best.items():
            if opt is None:
                continue
            if market == "totals" and name == "Over" and other == "Under" and pt < opt:
                found.append(Middle(q, r, opt - pt))
            elif market == "spreads" and name < other and pt + opt > 0:
                found.append(Middle(q, r, pt + opt))
    return sorted(found, key=lambda m: -m.width)

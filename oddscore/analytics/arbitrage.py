"""Arbitrage, middles and the low-hold screen (BETTING_MATH.md d4).

A :class:`Quote` is one book's price for one outcome at one point, and when it was seen.
Outcomes are matched line-aware: a spread or total pair is an arbitrage only at complementary
points (home -4.5 with away +4.5; over 220.5 with under 220.5). A moneyline's set is every
outcome quoted; ``outcomes`` (the sport profile's count, 3 for soccer's home/draw/away) makes
a set that lacks one, two legs of a three-way market, no arbitrage at all: it is not one.

Realism (:class:`ArbitrageRules`): a leg must be fresh (seen at most ``max_quote_age`` before
the moment of the search), the legs must have been seen within ``max_leg_gap`` of each other,
and an exchange leg is priced after its commission on net winnings,
``d_eff = 1 + (d - 1)(1 - c)``. The booksum, the profit and the stakes are all computed on
those effective prices, so the profit reported is the profit after commission. A quote
without an observation time cannot be checked and is left out while a limit is set.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from oddscore.analytics.consensus import exchange_effective_odds

__all__ = [
    "DEFAULT_COMMISSION",
    "DEFAULT_MAX_LEG_GAP",
    "DEFAULT_MAX_QUOTE_AGE",
    "NO_LIMITS",
    "Arbitrage",
    "ArbitrageRules",
    "LowHold",
    "Middle",
    "Quote",
    "best_prices",
    "find_arbitrages",
    "find_middles",
    "lowest_hold",
    "arbitrage_stakes",
    "arbitrage_profit",
]

# Typical base commission on net winnings of the exchanges The Odds API lists (``betfair``
# is the pre-2023 key). Configurable per book (BOOK_COMMISSION); sportsbooks charge none.
DEFAULT_COMMISSION: Mapping[str, float] = MappingProxyType(
    {
        "betfair": 0.05,
        "betfair_ex_uk": 0.05,
        "betfair_ex_eu": 0.05,
        "betfair_ex_au": 0.05,
        "matchbook": 0.02,
        "smarkets": 0.02,
        "betdaq": 0.02,
    }
)
# The provider refreshes featured pre-match markets about every minute: a price unconfirmed
# for 15 minutes may be gone, and legs seen 5 minutes apart may never have coexisted.
DEFAULT_MAX_QUOTE_AGE = timedelta(minutes=15)
DEFAULT_MAX_LEG_GAP = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Quote:
    book: str
    outcome: str  # team name, "Over" or "Under"
    decimal: float
    point: float | None = None
    observed_at: datetime | None = None  # when the price was last seen (timezone-aware)


@dataclass(frozen=True, slots=True)
class ArbitrageRules:
    """What makes an arbitrage actionable; ``None`` turns a limit off."""

    max_quote_age: timedelta | None = DEFAULT_MAX_QUOTE_AGE
    max_leg_gap: timedelta | None = DEFAULT_MAX_LEG_GAP
    commission: Mapping[str, float] = field(default_factory=lambda: DEFAULT_COMMISSION)

    def effective(self, quote: Quote) -> float:
        """The quote's decimal price after its book's commission."""
        rate = self.commission.get(quote.book, 0.0)
        return exchange_effective_odds(quote.decimal, rate) if rate else quote.decimal


# Prices as quoted, whenever seen: what the finder did before it had rules.
NO_LIMITS = ArbitrageRules(max_quote_age=None, max_leg_gap=None, commission={})


@dataclass(frozen=True, slots=True)
class Arbitrage:
    legs: tuple[Quote, ...]
    booksum: float  # sum of 1/d_eff over the legs; < 1 is an arbitrage
    profit: float  # 1/booksum - 1: the guaranteed return on the outlay, after commission
    stakes: tuple[float, ...]  # balanced stakes for the outlay asked for (on d_eff)
    effective: tuple[float, ...] = ()  # each leg's decimal after commission
    leg_gap: timedelta | None = None  # newest minus oldest leg observation


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
    keys: Iterable[tuple[str, float | None]], market: str, outcomes: int | None = None
) -> list[tuple[tuple[str, float | None], ...]]:
    keys = list(keys)
    present = set(keys)
    if market == "totals":
        return [
            (("Over", pt), ("Under", pt))
            for (name, pt) in keys
            if name == "Over" and ("Under", pt) in present
        ]
    if market == "spreads":
        sets: list[tuple[tuple[str, float | None], ...]] = []
        for name, pt in keys:
            if pt is None:
                continue
            for other, opt in keys:
                if other > name and opt is not None and abs(opt + pt) < 1e-9:
                    sets.append(((name, pt), (other, opt)))
        return sets
    # h2h and other point-free markets: one set of every outcome, if none is missing.
    return [tuple(keys)] if len(keys) >= max(2, outcomes or 2) else []


def _fresh(quotes: Iterable[Quote], as_of: datetime | None, rules: ArbitrageRules) -> list[Quote]:
    """The quotes whose age can be checked and is within the limit."""
    quotes = list(quotes)
    checked = rules.max_quote_age is not None or rules.max_leg_gap is not None
    if checked:
        quotes = [q for q in quotes if q.observed_at is not None]
    if rules.max_quote_age is None or not quotes:
        return quotes
    now = as_of or max(q.observed_at for q in quotes if q.observed_at is not None)
    limit = rules.max_quote_age
    return [q for q in quotes if q.observed_at is not None and now - q.observed_at <= limit]


def _gap(legs: Sequence[Quote]) -> timedelta | None:
    times = [q.observed_at for q in legs if q.observed_at is not None]
    return max(times) - min(times) if len(times) == len(legs) else None


def _priced_sets(
    quotes: Iterable[Quote],
    market: str,
    as_of: datetime | None,
    rules: ArbitrageRules,
    outcomes: int | None = None,
) -> list[tuple[float, tuple[Quote, ...]]]:
    """Per complementary outcome set, the fresh legs within the gap limit that pay the most
    after commission (the lowest booksum), with that booksum."""
    by_key: dict[tuple[str, float | None], list[Quote]] = defaultdict(list)
    for q in _fresh(quotes, as_of, rules):
        by_key[_line_key(q)].append(q)
    priced = []
    for keys in _complementary_sets(by_key, market, outcomes):
        if rules.max_leg_gap is None:
            # Legs are independent: the best price after commission per outcome is the set.
            legs = tuple(max(by_key[k], key=rules.effective) for k in keys)
            priced.append((sum(1.0 / rules.effective(q) for q in legs), legs))
            continue
        best: tuple[float, tuple[Quote, ...]] | None = None
        # Two or three outcomes, a couple of dozen books: the combinations are few.
        for legs in itertools.product(*(by_key[k] for k in keys)):
            if rules.max_leg_gap is not None:
                gap = _gap(legs)
                if gap is None or gap > rules.max_leg_gap:
                    continue
            total = sum(1.0 / rules.effective(q) for q in legs)
            if best is None or total < best[0]:
                best = (total, legs)
        if best is not None:
            priced.append(best)
    return priced


def find_arbitrages(
    quotes: Iterable[Quote],
    market: str = "h2h",
    outlay: float = 100.0,
    *,
    as_of: datetime | None = None,
    rules: ArbitrageRules | None = None,
    outcomes: int | None = None,
) -> list[Arbitrage]:
    """Every complementary outcome set that is an arbitrage under ``rules``, best first.

    Legs older than ``rules.max_quote_age`` at ``as_of`` (default: the newest quote given)
    are dropped first; each outcome set then takes the combination of books with the best
    after-commission payout whose legs lie within ``rules.max_leg_gap`` of each other.
    ``outcomes``: how many outcomes a moneyline set needs (3 for home/draw/away).
    """
    rules = ArbitrageRules() if rules is None else rules
    found = []
    for total, legs in _priced_sets(quotes, market, as_of, rules, outcomes):
        if total < 1.0:
            effective = tuple(rules.effective(q) for q in legs)
            found.append(
                Arbitrage(
                    legs,
                    total,
                    1.0 / total - 1.0,
                    arbitrage_stakes(effective, outlay),
                    effective,
                    _gap(legs),
                )
            )
    return sorted(found, key=lambda a: a.booksum)


@dataclass(frozen=True, slots=True)
class LowHold:
    """The cheapest complete bet on one game and market: the best price per side."""

    legs: tuple[Quote, ...]
    booksum: float  # sum of 1/d_eff of the legs
    hold: float  # 1 - 1/booksum: what a balanced book of these legs keeps (< 0: arbitrage)


def lowest_hold(
    quotes: Iterable[Quote],
    market: str = "h2h",
    *,
    as_of: datetime | None = None,
    rules: ArbitrageRules | None = None,
    outcomes: int | None = None,
) -> LowHold | None:
    """The lowest hold of one game's market across books (every complementary line of a
    spread or total considered; every outcome of a moneyline, the draw too), under the same
    rules as :func:`find_arbitrages`."""
    rules = ArbitrageRules() if rules is None else rules
    priced = _priced_sets(quotes, market, as_of, rules, outcomes)
    if not priced:
        return None
    total, legs = min(priced, key=lambda item: item[0])
    return LowHold(legs, total, 1.0 - 1.0 / total)


@dataclass(frozen=True, slots=True)
class Middle:
    low: Quote  # Over at the low total, or the side getting points at the wider line
    high: Quote
    width: float  # distance between the two lines


def _both_can_win(low: float, high: float) -> bool:
    """Is there a whole-number score strictly between ``low`` and ``high``?"""
    return math.floor(low) + 1 < high


def find_middles(
    quotes: Iterable[Quote],
    market: str = "totals",
    *,
    as_of: datetime | None = None,
    rules: ArbitrageRules | None = None,
) -> list[Middle]:
    """Opposite sides at different lines that can both win, for some whole-number score.

    Totals: Over L1 and Under L2 with L1 < L2 (both win when L1 < T < L2). Spreads: the two
    teams at points p_a, p_b (both win when team a's margin m has -p_a < m < p_b). A pair
    whose window holds no whole number (-3 against +3.5) is not a middle. Each side takes its
    best fresh price after commission; the legs must be within ``rules.max_leg_gap``.
    """
    rules = ArbitrageRules() if rules is None else rules
    best: dict[tuple[str, float | None], Quote] = {}
    for q in _fresh(quotes, as_of, rules):
        key = _line_key(q)
        if key not in best or rules.effective(q) > rules.effective(best[key]):
            best[key] = q
    found = []
    for (name, pt), q in best.items():
        if pt is None:
            continue
        for (other, opt), r in best.items():
            if opt is None:
                continue
            if rules.max_leg_gap is not None:
                gap = _gap((q, r))
                if gap is None or gap > rules.max_leg_gap:
                    continue
            if market == "totals" and name == "Over" and other == "Under":
                if _both_can_win(pt, opt):
                    found.append(Middle(q, r, opt - pt))
            elif market == "spreads" and name < other and _both_can_win(-pt, opt):
                found.append(Middle(q, r, pt + opt))
    return sorted(found, key=lambda m: -m.width)

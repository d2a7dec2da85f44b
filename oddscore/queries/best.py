"""Best price per outcome, line-aware: spreads and totals only compare quotes at equal points.

A -110 at +4.5 and a -105 at +3.5 are different bets; ranking them against each other would
call the worse line "best". So outcomes are grouped by (market, outcome, point) and h2h by
name alone (its point is empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oddscore.prices.odds import american_to_decimal
from oddscore.queries.asof_one import DEFAULT_MAX_STALENESS, odds_as_of
from oddscore.queries.types import BestPrice, Quote

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["best_prices", "best_prices_as_of"]

GroupKey = tuple[str, str, str | None, float | None]


def best_prices(quotes: Iterable[Quote]) -> list[BestPrice]:
    """The best price of each (market, outcome, point) among ``quotes``; ties list every book."""
    groups: dict[GroupKey, list[Quote]] = {}
    for quote in quotes:
        if -100 < quote.price < 100:
            continue  # not an American price; validation has flagged it
        key = (quote.market_key, quote.outcome_name, quote.outcome_description, quote.point)
        groups.setdefault(key, []).append(quote)
    best: list[BestPrice] = []
    for (market, outcome, _description, point), group in groups.items():
        top = max(american_to_decimal(q.price) for q in group)
        winners = [q for q in group if american_to_decimal(q.price) == top]
        best.append(
            BestPrice(
                market_key=market,
                outcome_name=outcome,
                point=point,
                price=winners[0].price,
                bookmakers=tuple(sorted({q.bookmaker_key for q in winners})),
                books_quoting=len({q.bookmaker_key for q in group}),
                odds_timestamp=max(q.odds_timestamp for q in winners),
            )
        )
    best.sort(key=lambda b: (b.market_key, b.outcome_name, b.point is None, b.point or 0.0))
    return best


async def best_prices_as_of(
    session: AsyncSession,
    event_id: str,
    at: datetime,
    *,
    markets: Sequence[str] | None = None,
    bookmakers: Sequence[str] | None = None,
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
) -> list[BestPrice]:
    """Best prices on the as-of board of one event (only quotes observed by ``at``)."""
    quotes = await odds_as_of(
        session,
        event_id,
        at,
        markets=markets,
        bookmakers=bookmakers,
        max_staleness=max_staleness,
    )
    return best_prices(quotes)

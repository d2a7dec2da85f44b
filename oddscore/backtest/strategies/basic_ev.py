"""``basic_ev``: bet retail prices that beat the de-vigged sharp fair price by a minimum EV."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from oddscore.analytics.devig import DevigMethod
from oddscore.analytics.ev import expected_value
from oddscore.backtest.market import MarketView
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy, StrategyParams, register

__all__ = ["BasicEvParams", "BasicEvStrategy"]


class BasicEvParams(StrategyParams):
    sharp_books: list[str] = Field(default_factory=lambda: ["pinnacle"], min_length=1)
    # None: every book that is not sharp.
    retail_books: list[str] | None = None
    devig_method: DevigMethod = DevigMethod.MULTIPLICATIVE
    min_ev: float = Field(default=0.02, ge=0.0)
    markets: list[str] = Field(default_factory=lambda: ["h2h"], min_length=1)
    # Highest-EV bets kept per event (one side per market at most).
    max_bets_per_event: int = Field(default=1, ge=1)


@register
class BasicEvStrategy(BettingStrategy[BasicEvParams]):
    name = "basic_ev"
    description = "Retail prices with EV >= min_ev against the de-vigged sharp consensus."
    Params = BasicEvParams

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        p = self.params
        sharp = set(p.sharp_books)
        candidates: list[tuple[float, str, BetIntent]] = []
        for market in p.markets:
            books = p.retail_books if p.retail_books is not None else view.books(market)
            for book in books:
                if book in sharp:
                    continue
                quotes = view.outcome_set(book, market)
                if quotes is None:
                    continue
                for quote in quotes:
                    # Lines must match: the sharp set is taken at this quote's own point.
                    fair = view.fair_probabilities(
                        market, p.sharp_books, p.devig_method, point_of=(quote.outcome, quote.point)
                    )
                    if fair is None or quote.outcome not in fair:
                        continue
                    prob = fair[quote.outcome]
                    ev = expected_value(prob, quote.decimal)
                    if ev >= p.min_ev:
                        candidates.append((ev, market, BetIntent(quote, probability=prob)))
        chosen: list[BetIntent] = []
        markets_used: set[str] = set()
        for _ev, market, intent in sorted(candidates, key=lambda c: -c[0]):
            if market in markets_used:
                continue  # one side per market: never both sides, never two books
            chosen.append(intent)
            markets_used.add(market)
            if len(chosen) >= p.max_bets_per_event:
                break
        return chosen

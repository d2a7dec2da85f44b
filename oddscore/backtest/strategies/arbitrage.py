"""``arbitrage``: back every outcome at its best price when the best prices sum below 1."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from oddscore.analytics.arbitrage import Quote, find_arbitrages
from oddscore.backtest.market import MarketQuote, MarketView
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy, StrategyParams, register

__all__ = ["ArbitrageParams", "ArbitrageStrategy"]


class ArbitrageParams(StrategyParams):
    markets: list[str] = Field(default_factory=lambda: ["h2h", "spreads", "totals"])
    books: list[str] | None = None  # None: every book on the board
    min_profit: float = Field(default=0.0, ge=0.0)


@register
class ArbitrageStrategy(BettingStrategy[ArbitrageParams]):
    name = "arbitrage"
    description = "Balanced stakes on every outcome when best prices across books sum below 1."
    Params = ArbitrageParams

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        allowed = None if self.params.books is None else set(self.params.books)
        best: tuple[float, list[BetIntent]] | None = None
        for market in self.params.markets:
            by_key: dict[tuple[str, str, float | None], MarketQuote] = {}
            quotes = []
            for book in view.books(market):
                if allowed is not None and book not in allowed:
                    continue
                for q in view.outcome_set(book, market) or ():
                    by_key[(q.book, q.outcome, q.point)] = q
                    quotes.append(Quote(q.book, q.outcome, q.decimal, q.point))
            for arb in find_arbitrages(quotes, market, outlay=1.0):
                if arb.profit < self.params.min_profit:
                    continue
                if best is None or arb.profit > best[0]:
                    legs = [
                        BetIntent(by_key[(leg.book, leg.outcome, leg.point)], share=share)
                        for leg, share in zip(arb.legs, arb.stakes, strict=True)
                    ]
                    best = (arb.profit, legs)
        return [] if best is None else best[1]

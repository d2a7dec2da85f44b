"""``arbitrage``: back every outcome at its best price when the best prices sum below 1.

Only actionable arbitrages count (:class:`~oddscore.analytics.arbitrage.ArbitrageRules`): each
leg seen at most ``max_quote_age_minutes`` before the decision, the legs within
``max_leg_gap_minutes`` of each other, exchange prices after ``commission`` (default: the
exchange base rates of :data:`~oddscore.analytics.arbitrage.DEFAULT_COMMISSION`); the
defaults come from the configuration, :class:`~oddscore.config.BettingSettings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from oddscore.analytics.arbitrage import ArbitrageRules, Quote, find_arbitrages
from oddscore.backtest.market import MarketView
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy, StrategyParams
from oddscore.config import BettingSettings

__all__ = [
    "ArbitrageParams",
    "ArbitrageStrategy",
    "RealismParams",
    "board_quotes",
    "outcome_count",
]


class RealismParams(StrategyParams):
    """When a multi-leg bet is actionable; shared by ``arbitrage`` and ``middles``.

    Defaults from the configuration (BettingSettings: ARB_MAX_QUOTE_AGE_MINUTES,
    ARB_MAX_LEG_GAP_MINUTES, BOOK_COMMISSION); None turns a limit off (any age, any gap).
    """

    max_quote_age_minutes: float | None = Field(
        default_factory=lambda: BettingSettings().arb_max_quote_age_minutes, gt=0.0
    )
    max_leg_gap_minutes: float | None = Field(
        default_factory=lambda: BettingSettings().arb_max_leg_gap_minutes, ge=0.0
    )
    commission: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(
        default_factory=lambda: BettingSettings().commission
    )

    def rules(self) -> ArbitrageRules:
        def minutes(value: float | None) -> timedelta | None:
            return None if value is None else timedelta(minutes=value)

        return ArbitrageRules(
            minutes(self.max_quote_age_minutes),
            minutes(self.max_leg_gap_minutes),
            self.commission,
        )


def board_quotes(view: MarketView, market: str, books: list[str] | None) -> list[Quote]:
    """The view's complete outcome sets in ``market`` as finder quotes with their times."""
    allowed = None if books is None else set(books)
    return [
        Quote(q.book, q.outcome, q.decimal, q.point, q.quote_time)
        for book in view.books(market)
        if allowed is None or book in allowed
        for q in view.outcome_set(book, market) or ()
    ]


def outcome_count(view: MarketView, market: str) -> int | None:
    """How many outcomes a complete set of ``market`` has on this board: the most any book
    quotes. Where one book prices the draw the market is three-way, so home and away alone
    (the draw quotes too old to count, say) are not an arbitrage."""
    sizes = [len(view.outcome_set(book, market) or ()) for book in view.books(market)]
    return max(sizes, default=None)


class ArbitrageParams(RealismParams):
    markets: list[str] = Field(default_factory=lambda: ["h2h", "spreads", "totals"])
    books: list[str] | None = None  # None: every book on the board
    min_profit: float = Field(default=0.0, ge=0.0)


class ArbitrageStrategy(BettingStrategy[ArbitrageParams]):
    name = "arbitrage"
    description = "Balanced stakes on every outcome when best prices across books sum below 1."
    Params = ArbitrageParams

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        rules = self.params.rules()
        best: tuple[float, list[BetIntent]] | None = None
        for market in self.params.markets:
            by_key = {(q.book, q.outcome, q.point): q for q in view.quotes if q.market == market}
            quotes = board_quotes(view, market, self.params.books)
            for arb in find_arbitrages(
                quotes,
                market,
                outlay=1.0,
                as_of=view.decision_time,
                rules=rules,
                outcomes=outcome_count(view, market),
            ):
                if arb.profit < self.params.min_profit:
                    continue
                if best is None or arb.profit > best[0]:
                    legs = [
                        BetIntent(by_key[(leg.book, leg.outcome, leg.point)], share=share)
                        for leg, share in zip(arb.legs, arb.stakes, strict=True)
                    ]
                    best = (arb.profit, legs)
        return [] if best is None else best[1]

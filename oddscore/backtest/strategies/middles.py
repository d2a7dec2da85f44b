"""``middles``: both sides of a spread or total at two books when the middle's EV is positive.

The EV comes from :func:`~oddscore.analytics.middles.middle_value` with the residuals the
strategy has seen so far: at each decision it notes the game's consensus line (the median
point across books), and when the game's result arrives (``on_result``, after the game) it
adds final minus that line. It bets only once ``min_history`` games are known, so it never
uses a result before it happened. Legs obey the same realism rules as ``arbitrage``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from oddscore.analytics.arbitrage import find_middles
from oddscore.analytics.middles import MiddleValue, ScoreDistribution, consensus_line, middle_value
from oddscore.backtest.market import MarketView
from oddscore.backtest.strategies.arbitrage import RealismParams, board_quotes
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy, EventResult

__all__ = ["MiddleParams", "MiddleStrategy"]


class MiddleParams(RealismParams):
    markets: list[str] = Field(default_factory=lambda: ["spreads", "totals"])
    books: list[str] | None = None  # None: every book on the board
    min_ev: float = 0.0  # per unit staked over both legs
    min_history: int = Field(default=100, ge=1)  # games with a result before the first bet


class MiddleStrategy(BettingStrategy[MiddleParams]):
    name = "middles"
    description = "Both sides of a spread/total middle when its EV from past games is positive."
    Params = MiddleParams

    def on_start(self) -> None:
        # event id -> (home team, {market: consensus line at decision})
        self._lines: dict[str, tuple[str, dict[str, float]]] = {}
        self._residuals: dict[str, list[float]] = {m: [] for m in ("spreads", "totals")}

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        rules = self.params.rules()
        home = view.event.home_team
        lines: dict[str, float] = {}
        best: MiddleValue | None = None
        best_market = ""
        for market in self.params.markets:
            if market not in ("spreads", "totals"):
                continue
            quotes = board_quotes(view, market, self.params.books)
            line = consensus_line(quotes, "Over" if market == "totals" else home)
            if line is None:
                continue
            lines[market] = line
            history = self._residuals[market]
            if len(history) < self.params.min_history:
                continue
            distribution = ScoreDistribution(tuple(history))
            for middle in find_middles(quotes, market, as_of=view.decision_time, rules=rules):
                side = consensus_line(quotes, middle.low.outcome)
                assert side is not None  # the low leg's own quote is among them
                center = side if market == "totals" else -side
                value = middle_value(middle, market, distribution, center, rules)
                if value.ev >= self.params.min_ev and (best is None or value.ev > best.ev):
                    best, best_market = value, market
        self._lines[view.event.id] = (home, lines)
        if best is None:
            return []
        by_key = {(q.book, q.outcome, q.point): q for q in view.quotes if q.market == best_market}
        legs = (best.middle.low, best.middle.high)
        return [
            BetIntent(by_key[(leg.book, leg.outcome, leg.point)], share=share)
            for leg, share in zip(legs, best.stakes, strict=True)
        ]

    def on_result(self, result: EventResult) -> None:
        noted = self._lines.pop(result.event_id, None)
        if noted is None:
            return
        _, lines = noted
        if "totals" in lines:
            self._residuals["totals"].append(
                result.home_score + result.away_score - lines["totals"]
            )
        if "spreads" in lines:
            r = result.home_score - result.away_score + lines["spreads"]
            self._residuals["spreads"].extend((r, -r))

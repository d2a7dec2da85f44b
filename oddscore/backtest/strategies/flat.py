"""``flat``: the same side of the same market at one book, every game (a baseline).

``draw`` bets the draw of a three-way moneyline (soccer); ``favorite`` and ``underdog`` pick
between the two teams, never the draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import model_validator

from oddscore.backtest.board import Board
from oddscore.backtest.board_picks import flat_rows
from oddscore.backtest.grading import DRAW
from oddscore.backtest.market import MarketQuote, MarketView
from oddscore.backtest.strategies.base import (
    BetIntent,
    BettingStrategy,
    StrategyParams,
    intents_by_event,
)

__all__ = ["FlatParams", "FlatStrategy"]


class FlatParams(StrategyParams):
    market: Literal["h2h", "spreads", "totals"] = "h2h"
    outcome: Literal["home", "away", "draw", "favorite", "underdog", "over", "under"] = "home"
    book: str = "draftkings"

    @model_validator(mode="after")
    def _side_fits_market(self) -> FlatParams:
        totals_side = self.outcome in ("over", "under")
        if totals_side != (self.market == "totals"):
            raise ValueError(f"outcome {self.outcome!r} does not fit market {self.market!r}")
        if self.outcome == "draw" and self.market != "h2h":
            raise ValueError("outcome 'draw' is a moneyline (h2h) outcome only")
        return self


def _pick(quotes: Sequence[MarketQuote], outcome: str, view: MarketView) -> MarketQuote | None:
    by_name = {q.outcome: q for q in quotes}
    if outcome in ("over", "under"):
        return by_name.get(outcome.capitalize())
    if outcome == "draw":
        return by_name.get(DRAW)
    home, away = by_name.get(view.event.home_team), by_name.get(view.event.away_team)
    if home is None or away is None:
        return None
    if outcome == "home":
        return home
    if outcome == "away":
        return away
    # Favourite: the shorter price (on spreads, equal prices fall back to the point given).
    key = (home.decimal, home.point or 0.0) <= (away.decimal, away.point or 0.0)
    favourite, underdog = (home, away) if key else (away, home)
    if home.point is not None and away.point is not None and home.point != away.point:
        favourite, underdog = (home, away) if home.point < away.point else (away, home)
    return favourite if outcome == "favorite" else underdog


class FlatStrategy(BettingStrategy[FlatParams]):
    name = "flat"
    description = (
        "Bet one side (home/away/draw/favorite/underdog/over/under) of one market at one book."
    )
    Params = FlatParams

    def quotes_used(self) -> tuple[list[str] | None, list[str] | None]:
        return [self.params.book], [self.params.market]

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        quotes = view.outcome_set(self.params.book, self.params.market)
        if quotes is None:
            return []
        quote = _pick(quotes, self.params.outcome, view)
        return [] if quote is None else [BetIntent(quote)]

    def decide_all(self, board: Board) -> Mapping[str, Sequence[BetIntent]] | None:
        if type(self).decide is not FlatStrategy.decide:
            return None  # a subclass decides its own way
        p = self.params
        return intents_by_event(board, flat_rows(board, p.book, p.market, p.outcome).tolist())

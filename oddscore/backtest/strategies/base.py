"""The strategy base class, its hooks and the registry.

A strategy is a class with a typed parameter model and hook methods, in the spirit of
flumine's ``BaseStrategy``. The engine calls, in time order:

* :meth:`BettingStrategy.on_start` once;
* :meth:`BettingStrategy.decide` for every event at its decision time, with a
  :class:`~oddscore.backtest.market.MarketView` (as-of quotes, never the score);
* :meth:`BettingStrategy.on_result` for every event once it has ended (so a learning
  strategy sees a result only after the game, never before);
* :meth:`BettingStrategy.on_end` once.

This module knows no strategy: :mod:`oddscore.backtest.strategies.registry` imports the
built-ins and finds the installed ones, so a new strategy never edits this file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from oddscore.backtest.board import Board
from oddscore.backtest.market import MarketQuote, MarketView

__all__ = [
    "BetIntent",
    "BettingStrategy",
    "EventResult",
    "StrategyParams",
    "intents_by_event",
]


class StrategyParams(BaseModel):
    """Base of every strategy's parameter model: unknown keys are an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


P = TypeVar("P", bound=StrategyParams)


@dataclass(frozen=True, slots=True)
class BetIntent:
    """A bet a strategy wants; the engine sizes, limits, places and settles it.

    ``probability`` is the strategy's own win probability (needed for Kelly sizing);
    ``share`` splits one sized stake across legs (arbitrage legs sum to 1).
    """

    quote: MarketQuote
    probability: float | None = None
    share: float = 1.0


@dataclass(frozen=True, slots=True)
class EventResult:
    event_id: str
    home_team: str
    away_team: str
    home_score: int
    away_score: int
    ended_at: datetime  # when the engine learnt the result (the game's end)


class BettingStrategy(ABC, Generic[P]):
    """Subclass, set ``name``, ``description`` and ``Params``, implement :meth:`decide`."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    Params: ClassVar[type[StrategyParams]]

    def __init__(self, params: P) -> None:
        self.params = params

    def quotes_used(self) -> tuple[list[str] | None, list[str] | None]:
        """The books and markets :meth:`decide` can read (None: any); the engine loads only
        those. A strategy that reads the whole board keeps the default."""
        return None, None

    def on_start(self) -> None:
        """Called once before the first decision."""

    @abstractmethod
    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        """The bets to place on one event, from what was known at ``view.decision_time``."""

    def decide_all(self, board: Board) -> Mapping[str, Sequence[BetIntent]] | None:
        """Every event's bets at once, from the season's decision quotes as arrays (the
        same answers as :meth:`decide` per event), or None to be asked per event. Only for
        strategies that learn nothing from results: the engine asks before the first slate."""
        return None

    def on_result(self, result: EventResult) -> None:
        """Called when an event has ended, in time order (after its end, never before)."""

    def on_end(self) -> None:
        """Called once after the last settlement."""


def intents_by_event(
    board: Board, rows: Sequence[int], probabilities: Sequence[float] | None = None
) -> dict[str, list[BetIntent]]:
    """Intents on ``board``'s ``rows`` (with their probabilities), per event id, in order."""
    out: dict[str, list[BetIntent]] = defaultdict(list)
    for i, row in enumerate(rows):
        out[board.event_ids[board.event[row]]].append(
            BetIntent(board.quote(row), None if probabilities is None else probabilities[i])
        )
    return out

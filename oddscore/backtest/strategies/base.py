"""The strategy base class, its hooks and the registry.

A strategy is a class with a typed parameter model and hook methods, in the spirit of
flumine's ``BaseStrategy``. The engine calls, in time order:

* :meth:`BettingStrategy.on_start` once;
* :meth:`BettingStrategy.decide` for every event at its decision time, with a
  :class:`~oddscore.backtest.market.MarketView` (as-of quotes, never the score);
* :meth:`BettingStrategy.on_result` for every event once it has ended (so a learning
  strategy sees a result only after the game, never before);
* :meth:`BettingStrategy.on_end` once.

Register a strategy with ``@register``; ``odds backtest list-strategies`` lists the registry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from oddscore.backtest.market import MarketQuote, MarketView
from oddscore.exceptions import BacktestError

__all__ = [
    "STRATEGIES",
    "BetIntent",
    "BettingStrategy",
    "EventResult",
    "StrategyParams",
    "create_strategy",
    "get_strategy",
    "register",
    "parse_params",
    "strategy_table",
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

    def on_result(self, result: EventResult) -> None:
        """Called when an event has ended, in time order (after its end, never before)."""

    def on_end(self) -> None:
        """Called once after the last settlement."""


STRATEGIES: dict[str, type[BettingStrategy[Any]]] = {}

S = TypeVar("S", bound=type[BettingStrategy[Any]])


def register(cls: S) -> S:
    """Class decorator: add a strategy to the registry under its ``name``."""
    if cls.name in STRATEGIES and STRATEGIES[cls.name] is not cls:
        raise BacktestError(f"strategy {cls.name!r} is already registered")
    STRATEGIES[cls.name] = cls
    return cls


def _load_builtins() -> None:
    # Importing the modules registers them; the ML strategy imports xgboost only when used.
    from oddscore.backtest.strategies import arbitrage, basic_ev, flat, middles, ml  # noqa: F401


def get_strategy(name: str) -> type[BettingStrategy[Any]]:
    _load_builtins()
    try:
        return STRATEGIES[name]
    except KeyError:
        known = ", ".join(sorted(STRATEGIES))
        raise BacktestError(f"unknown strategy {name!r}; known: {known}") from None


def create_strategy(name: str, params: Mapping[str, Any] | None = None) -> BettingStrategy[Any]:
    """Build a registered strategy from plain parameters (validated by its model)."""
    cls = get_strategy(name)
    try:
        model = cls.Params.model_validate(dict(params or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise BacktestError(f"bad parameters for {name!r}: {problems}") from exc
    return cls(model)


def strategy_table() -> list[dict[str, Any]]:
    """Name, description and parameters (with defaults) of every registered strategy."""
    _load_builtins()
    rows = []
    for name in sorted(STRATEGIES):
        cls = STRATEGIES[name]
        fields = {
            key: None if f.is_required() else f.get_default(call_default_factory=True)
            for key, f in cls.Params.model_fields.items()
        }
        rows.append({"name": name, "description": cls.description, "params": fields})
    return rows


def parse_params(name: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``["min_ev=0.03", "sharp_books=pinnacle,circasports"]`` to a parameter dict.

    A value is read as JSON when it parses (numbers, booleans, lists), else as text; a text
    value for a list parameter is split on commas.
    """
    import json
    import typing

    cls = get_strategy(name)
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise BacktestError(f"parameters are KEY=VALUE, got {pair!r}")
        if key not in cls.Params.model_fields:
            known = ", ".join(cls.Params.model_fields)
            raise BacktestError(f"strategy {name!r} has no parameter {key!r}; it has: {known}")
        value: Any
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        annotation = cls.Params.model_fields[key].annotation
        wants_list = list in {
            typing.get_origin(a) for a in (annotation, *typing.get_args(annotation))
        }
        if isinstance(value, str) and wants_list:
            value = [item.strip() for item in value.split(",") if item.strip()]
        out[key] = value
    return out

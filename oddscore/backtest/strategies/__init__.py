"""Strategies: the base class and hooks (:mod:`.base`), the built-ins, and the registry
(:mod:`.registry`) that imports the built-ins and finds the installed ones."""

from oddscore.backtest.strategies.base import (
    BetIntent,
    BettingStrategy,
    EventResult,
    StrategyParams,
)
from oddscore.backtest.strategies.registry import (
    ENTRY_POINT_GROUP,
    all_strategies,
    create_strategy,
    get_strategy,
    parse_params,
    strategy_table,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "BetIntent",
    "BettingStrategy",
    "EventResult",
    "StrategyParams",
    "all_strategies",
    "create_strategy",
    "get_strategy",
    "parse_params",
    "strategy_table",
]

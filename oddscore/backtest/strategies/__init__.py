"""Strategies: the base class and registry (:mod:`.base`) and the built-ins."""

from oddscore.backtest.strategies.base import (
    STRATEGIES,
    BetIntent,
    BettingStrategy,
    EventResult,
    StrategyParams,
    create_strategy,
    get_strategy,
    parse_params,
    register,
    strategy_table,
)

__all__ = [
    "STRATEGIES",
    "BetIntent",
    "BettingStrategy",
    "EventResult",
    "StrategyParams",
    "create_strategy",
    "get_strategy",
    "parse_params",
    "register",
    "strategy_table",
]

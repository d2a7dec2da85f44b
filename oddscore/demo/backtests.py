"""Backtest the built-in strategies over what the demo collected: one load, several replays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import load_for_config, simulate
from oddscore.backtest.results import BacktestResult
from oddscore.backtest.strategies import create_strategy
from oddscore.storage.engine import Database

__all__ = ["DEMO_STRATEGIES", "run_backtests"]

# (strategy, parameters): a retail baseline, value betting against Pinnacle's de-vigged line
# in every featured market, and cross-book arbitrage. ML needs a season of history to train
# on, which a few simulated days are not, so it is not part of the demo.
DEMO_STRATEGIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("flat", {}),
    ("basic_ev", {"markets": ["h2h", "spreads", "totals"], "min_ev": 0.02}),
    ("arbitrage", {}),
)


async def run_backtests(
    db: Database,
    start: datetime,
    end: datetime,
    strategies: Sequence[tuple[str, dict[str, Any]]] = DEMO_STRATEGIES,
    sport: str = "basketball_nba",
) -> list[BacktestResult]:
    """Each strategy over the ``sport``'s games commencing in ``[start, end)``, decided 1 h
    before tip, flat 100-unit stakes, CLV against Pinnacle's no-vig close."""
    config = BacktestConfig(start=start, end=end, clv_books=["pinnacle"], sport_key=sport)
    data = await load_for_config(db, config)
    return [simulate(create_strategy(name, params), data, config) for name, params in strategies]

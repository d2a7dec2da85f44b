"""Parameter sweeps and table rows: what the backtest flow maps over and publishes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import board_of, load_for_config, run_backtest, simulate
from oddscore.backtest.market import MarketView
from oddscore.backtest.results import BacktestResult
from oddscore.backtest.strategies.registry import create_strategy
from oddscore.collector import no_collections
from oddscore.storage.engine import Database

__all__ = [
    "SUMMARY_COLUMNS",
    "equity_rows",
    "expand_grid",
    "run_from_settings",
    "run_sweep",
    "run_sweep_from_settings",
    "summary_row",
]

SUMMARY_COLUMNS = (
    "total_bets",
    "wins",
    "losses",
    "pushes",
    "turnover",
    "profit",
    "yield",
    "roi",
    "win_rate",
    "sharpe",
    "sortino",
    "max_drawdown",
    "clv_mean",
    "clv_beat_close_share",
    "expected_profit",
)


def expand_grid(
    base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]] | None
) -> list[dict[str, Any]]:
    """Every combination of ``grid`` on top of ``base`` (just ``base`` without a grid).

    The number of combinations is the number of configurations tried: report it, because the
    best of many backtests is biased upwards.
    """
    if not grid:
        return [dict(base)]
    keys = sorted(grid)
    return [
        {**base, **dict(zip(keys, values, strict=True))}
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def summary_row(result: BacktestResult) -> dict[str, Any]:
    """One flat row: the strategy, its parameters and the headline metrics."""
    summary = result.summary.model_dump(by_alias=True)
    params = ", ".join(f"{k}={v}" for k, v in sorted(result.params.items()))
    row: dict[str, Any] = {"strategy": result.strategy, "params": params}
    for column in SUMMARY_COLUMNS:
        value = summary[column]
        row[column] = round(value, 6) if isinstance(value, float) else value
    return row


def equity_rows(result: BacktestResult) -> list[dict[str, Any]]:
    """The daily equity curve with its drawdown from the running peak, for a table."""
    rows, peak = [], float("-inf")
    for point in result.daily_equity:
        peak = max(peak, point.bankroll)
        drawdown = (peak - point.bankroll) / peak if peak > 0 else 0.0
        rows.append(
            {
                "day": point.time.date().isoformat(),
                "bankroll": round(point.bankroll, 2),
                "drawdown": round(drawdown, 6),
            }
        )
    return rows


async def run_from_settings(
    strategy: str, config: BacktestConfig, params: Mapping[str, Any] | None = None
) -> BacktestResult:
    """A backtest against the configured database (``DATABASE_URL``)."""
    async with Database.from_settings() as db:
        return await run_backtest(db, strategy, config, dict(params or {}))


async def run_sweep(
    db: Database,
    strategy: str,
    config: BacktestConfig,
    combinations: Sequence[Mapping[str, Any]],
) -> list[BacktestResult]:
    """One backtest per parameter combination, all over ONE load of the range.

    The range is loaded once, with the books and markets any of the combinations can read;
    each run's results are the same as its own :func:`run_backtest`.
    """
    instances = [create_strategy(strategy, dict(params)) for params in combinations]
    with no_collections():
        data = await load_for_config(db, config, instances)
        views: dict[str, MarketView] = {}
        board = board_of(data)
        return [simulate(instance, data, config, views, board) for instance in instances]


async def run_sweep_from_settings(
    strategy: str, config: BacktestConfig, combinations: Sequence[Mapping[str, Any]]
) -> list[BacktestResult]:
    """:func:`run_sweep` against the configured database (``DATABASE_URL``)."""
    async with Database.from_settings() as db:
        return await run_sweep(db, strategy, config, combinations)

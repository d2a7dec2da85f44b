"""The ``backtest`` flow: one backtest, or a parameter sweep over one load of the range.

Orchestration only: every task wraps an ``oddscore.backtest`` function. The flow publishes a
summary table (one row per parameter combination) and, for the best combination by profit,
the equity curve as a table artifact and, with ``output_dir``, as a PNG with a link.
``output_dir`` may be an ``s3://bucket/prefix``: a Fargate task's disk is gone when it ends.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_table_artifact
from pydantic import BaseModel, ConfigDict, Field, model_validator

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.results import BacktestResult
from oddscore.backtest.strategies import get_strategy
from oddscore.backtest.sweep import equity_rows, expand_grid, run_sweep_from_settings, summary_row
from oddscore.locations import is_s3, join, link, write_bytes

__all__ = ["BacktestFlowParameters", "backtest", "publish_results", "run_all"]


class BacktestFlowParameters(BaseModel):
    """What to backtest; ``sweep`` maps parameter names to the values to try."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = "basic_ev"
    start: date
    end: date  # inclusive
    params: dict[str, Any] = Field(default_factory=dict)
    sweep: dict[str, list[Any]] = Field(default_factory=dict)
    sizing: Literal["flat", "percentage", "kelly"] = "flat"
    stake: float = Field(default=100.0, gt=0)
    bankroll: float = Field(default=10_000.0, gt=0)
    decision_hours: float = Field(default=1.0, ge=0)
    max_staleness_hours: float = Field(default=24.0, gt=0)
    output_dir: str | None = None

    @model_validator(mode="after")
    def _known_strategy(self) -> BacktestFlowParameters:
        get_strategy(self.strategy)  # fail at submission, not in the middle of a sweep
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self

    def config(self) -> BacktestConfig:
        return BacktestConfig(
            start=datetime.combine(self.start, time(), UTC),
            end=datetime.combine(self.end + timedelta(days=1), time(), UTC),
            sizing=self.sizing,
            stake=self.stake,
            bankroll=self.bankroll,
            decision_hours=self.decision_hours,
            max_staleness_hours=self.max_staleness_hours,
        )


@task(name="run-backtests", task_run_name="backtest {strategy}")
async def run_all(strategy: str, config_json: str, combinations: list[dict[str, Any]]) -> list[str]:
    """Every combination over one load of the range (a sweep shares it, and each event's
    board); the JSON results travel between tasks (they round-trip exactly)."""
    config = BacktestConfig.model_validate_json(config_json)
    results = await run_sweep_from_settings(strategy, config, combinations)
    return [result.to_json(indent=None) for result in results]


@task(name="publish-backtest")
def publish_results(results_json: list[str], output_dir: str | None) -> list[dict[str, Any]]:
    results = [BacktestResult.from_json(text) for text in results_json]
    rows = [summary_row(r) for r in results]
    strategy = results[0].strategy.replace("_", "-")
    create_table_artifact(
        table=rows,
        key=f"backtest-summary-{strategy}",
        description=f"{len(rows)} configuration(s) of {results[0].strategy}",
    )
    best = max(results, key=lambda r: r.summary.profit)
    create_table_artifact(
        table=equity_rows(best),
        key=f"backtest-equity-{strategy}",
        description=f"daily equity curve of the best configuration: {summary_row(best)['params']}",
    )
    if output_dir is not None:
        _save_outputs(best, output_dir, strategy)
    return rows


def _save_outputs(best: BacktestResult, output_dir: str, key: str) -> None:
    """The best result (JSON, for ``odds backtest show``) and its pictures in ``output_dir``:
    a folder, or an ``s3://`` prefix (drawn in a scratch folder, then uploaded)."""
    from flows._pictures import publish_png
    from oddscore.backtest.plot import save_equity_plot
    from oddscore.charts.clv import save_clv_distribution

    names = [f"backtest-{key}.json", f"backtest-{key}.png", f"backtest-{key}-clv.png"]
    with tempfile.TemporaryDirectory(prefix="oddscore-backtest-") as scratch:
        folder = Path(scratch) if is_s3(output_dir) else Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        best.save(folder / names[0])
        save_equity_plot(best, folder / names[1])
        save_clv_distribution([best], folder / names[2])
        stored: dict[str, str] = {}
        for name in names:
            if is_s3(output_dir):
                stored[name] = str(join(output_dir, name))
                write_bytes(stored[name], (folder / name).read_bytes())
            else:
                stored[name] = str((folder / name).resolve())
        create_link_artifact(
            link=link(stored[names[1]]),
            link_text="equity curve (PNG)",
            key=f"backtest-equity-plot-{key}",
        )
        params = summary_row(best)["params"]
        title = f"{best.strategy} ({params})" if params else best.strategy
        publish_png(
            folder / names[1],
            key=f"backtest-equity-png-{key}",
            title=f"Equity curve: {title}",
            stored_at=stored[names[1]],
        )
        publish_png(
            folder / names[2],
            key=f"backtest-clv-png-{key}",
            title=f"CLV distribution: {title}",
            stored_at=stored[names[2]],
        )


@flow(name="backtest")
def backtest(parameters: BacktestFlowParameters) -> list[dict[str, Any]]:
    """Run the backtest (every sweep combination in one task, over one load of the range)
    and publish the summary."""
    combinations = expand_grid(parameters.params, parameters.sweep)
    config_json = parameters.config().model_dump_json()
    # A submitted async task resolves to its value; Prefect's stubs type it as a coroutine.
    future = run_all.submit(parameters.strategy, config_json, combinations)
    results = cast(list[str], future.result())
    return publish_results(results, parameters.output_dir)

"""Several backtests' bankrolls on one time axis, with each one's drawdown below."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from oddscore.backtest.results import BacktestResult
from oddscore.charts._mpl import pyplot, save

__all__ = ["drawdown_percent", "equity_steps", "save_equity_comparison"]


def drawdown_percent(values: Sequence[float]) -> list[float]:
    """Distance below the running peak, in percent (0 at a new high, negative below it).

    >>> drawdown_percent([100.0, 110.0, 99.0, 120.0])
    [0.0, 0.0, -10.0, 0.0]
    """
    out, peak = [], float("-inf")
    for value in values:
        peak = max(peak, value)
        out.append((value - peak) / peak * 100.0 if peak > 0 else 0.0)  # 0.0, never -0.0
    return out


def equity_steps(result: BacktestResult) -> tuple[list[datetime], list[float]]:
    """The bankroll from the start of the range, one step per settlement time.

    Bets settling at the same moment (an arbitrage's legs, one game's bets) are one step:
    the bankroll between them never existed.
    """
    at_time = {result.start: result.summary.starting_bankroll}
    for point in result.equity_curve:
        at_time[point.time] = point.bankroll
    return list(at_time), list(at_time.values())


def save_equity_comparison(
    results: Sequence[BacktestResult], path: Path, *, title: str | None = None
) -> Path:
    """Bankroll after every settlement (a step line per strategy) over its drawdown."""
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
    )
    starting = results[0].summary.starting_bankroll if results else 0.0
    for result in results:
        s = result.summary
        if not result.equity_curve:
            top.plot([], [], label=f"{result.strategy}: no bets")
            continue
        times, values = equity_steps(result)
        yield_text = "n/a" if s.yield_ is None else f"{s.yield_:+.1%}"
        line = top.step(
            times,
            values,
            where="post",
            linewidth=1.6,
            label=f"{result.strategy}: {s.total_bets} bets, {s.profit:+,.0f} ({yield_text})",
        )[0]
        bottom.step(times, drawdown_percent(values), where="post", color=line.get_color())
    top.axhline(starting, color="grey", linewidth=0.8, linestyle="--")
    top.set_ylabel("bankroll")
    top.set_title(title or "Equity curve by strategy (bankroll after each settlement)")
    if top.get_legend_handles_labels()[0]:
        top.legend(fontsize="small", loc="best")
    top.grid(alpha=0.3)
    bottom.set_ylabel("drawdown %")
    bottom.set_xlabel("settlement time (UTC)")
    bottom.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return save(fig, path)

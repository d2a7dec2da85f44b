"""The equity-curve chart: bankroll over time above its drawdown (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

from oddscore.backtest.results import BacktestResult

__all__ = ["save_equity_plot"]


def save_equity_plot(result: BacktestResult, path: Path) -> Path:
    """Write a PNG of the per-settlement equity curve and its drawdown from the running peak."""
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit: this runs in CLIs and flows
    import matplotlib.pyplot as plt

    times = [p.time for p in result.equity_curve]
    values = [p.bankroll for p in result.equity_curve]
    peaks, peak = [], float("-inf")
    for v in values:
        peak = max(peak, v)
        peaks.append(peak)
    drawdown = [
        -(pk - v) / pk * 100.0 if pk > 0 else 0.0 for v, pk in zip(values, peaks, strict=True)
    ]
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    try:
        top.plot(times, values, color="tab:blue", linewidth=1.2)
        top.axhline(result.summary.starting_bankroll, color="grey", linewidth=0.8, linestyle="--")
        s = result.summary
        yield_text = "n/a" if s.yield_ is None else f"{s.yield_:+.2%}"
        top.set_title(
            f"{result.strategy}: {s.total_bets} bets, profit {s.profit:+,.2f}, yield {yield_text}"
        )
        top.set_ylabel("bankroll")
        bottom.fill_between(times, drawdown, 0, color="tab:red", alpha=0.4)
        bottom.set_ylabel("drawdown %")
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path

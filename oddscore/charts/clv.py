"""The distribution of closing line value: did the bets beat the closing price?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from oddscore.backtest.results import BacktestResult
from oddscore.charts._mpl import pyplot, save

__all__ = ["save_clv_distribution"]


def save_clv_distribution(
    results: Sequence[BacktestResult], path: Path, *, title: str | None = None
) -> Path:
    """A histogram of each strategy's per-bet no-vig CLV, in percent, with its mean marked.

    Bets without a closing quote have no CLV and are left out (the legend says how many
    remain).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    samples = {r.strategy: [b.clv * 100.0 for b in r.bets if b.clv is not None] for r in results}
    everything = [v for values in samples.values() for v in values]
    if everything:
        low, high = min(everything), max(everything)
        span = max(high - low, 1.0)
        bins = [low + span * i / 30 for i in range(31)]
    else:
        bins = [-1.0, 1.0]
    colors = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 4)
    for name, values in samples.items():
        if not values:
            ax.plot([], [], label=f"{name}: no bet with a close")
            continue
        mean = sum(values) / len(values)
        beat = sum(1 for v in values if v > 0) / len(values)
        # An outline per strategy over a light fill keeps overlapping histograms readable.
        color = next(colors)
        ax.hist(values, bins=bins, color=color, alpha=0.15, histtype="stepfilled")
        ax.hist(
            values,
            bins=bins,
            color=color,
            linewidth=2.0,
            histtype="step",
            label=f"{name}: {len(values)} bets, mean {mean:+.2f}%, beat close {beat:.0%}",
        )
        ax.axvline(mean, color=color, linewidth=2.0, linestyle="-.")
    ax.axvline(0.0, color="black", linewidth=0.9, linestyle="--")
    ax.set_xlabel("CLV (no-vig closing probability x decimal odds taken - 1), %")
    ax.set_ylabel("bets")
    ax.set_title(title or "CLV distribution per strategy (dash-dot lines: means)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, path)

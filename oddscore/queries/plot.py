"""A PNG of line movement across books: sharp books dashed, retail books solid.

One panel per market: spreads and totals plot the line (the home side's spread, the total's
point), h2h plots the home side's implied probability, so books on different price scales
stay comparable. matplotlib is imported here, with the Agg backend, only when a plot is made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from oddscore.prices.odds import american_to_implied
from oddscore.queries.types import EventSummary, LinePoint

__all__ = ["plot_line_movement"]


def _series_outcome(market: str, event: EventSummary) -> str:
    return "Over" if market.startswith("totals") else event.home_team


def plot_line_movement(
    points: Iterable[LinePoint],
    event: EventSummary,
    path: Path,
    *,
    sharp_books: Sequence[str] = ("pinnacle",),
) -> Path:
    """Write the chart to ``path`` and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_market: dict[str, dict[str, list[LinePoint]]] = {}
    for p in points:
        if p.outcome_name != _series_outcome(p.market_key, event):
            continue
        by_market.setdefault(p.market_key, {}).setdefault(p.bookmaker_key, []).append(p)
    markets = sorted(by_market) or ["h2h"]
    fig, axes = plt.subplots(len(markets), 1, figsize=(10, 3.2 * len(markets)), squeeze=False)
    for ax, market in zip(axes[:, 0], markets, strict=True):
        for book, series in sorted(by_market.get(market, {}).items()):
            times = [p.odds_timestamp for p in series]
            if market.startswith("h2h"):
                values = [american_to_implied(p.price) for p in series]
            else:
                values = [p.point if p.point is not None else float("nan") for p in series]
            sharp = book in sharp_books
            ax.step(
                times,
                values,
                where="post",
                linestyle="--" if sharp else "-",
                linewidth=2.0 if sharp else 1.2,
                label=f"{book} (sharp)" if sharp else book,
            )
        ax.axvline(event.commence_time, color="grey", linewidth=0.8, linestyle=":")
        outcome = _series_outcome(market, event)
        ylabel = "implied probability" if market.startswith("h2h") else "line"
        ax.set_title(f"{market}: {outcome}")
        ax.set_ylabel(ylabel)
        if by_market.get(market):
            ax.legend(fontsize="small", ncol=4)
    fig.suptitle(f"{event.away_team} @ {event.home_team} (tip-off dotted)")
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
    return path

"""Tier coverage: for each game day, the share of games with a snapshot in each fetch tier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from oddscore.charts._mpl import pyplot, save
from oddscore.queries.types import TierCoverage
from oddscore.scheduling.tiers import TIERS, tiers_for

__all__ = ["DayCoverage", "coverage_by_day", "save_tier_coverage", "tier_labels"]

TIER_NAMES: tuple[str, ...] = tuple(spec.tier.value for spec in TIERS)


@dataclass(frozen=True, slots=True)
class DayCoverage:
    day: str  # the US game day, YYYY-MM-DD
    games: int
    covered: dict[str, int]  # tier -> games with at least one snapshot in it

    def share(self, tier: str) -> float:
        return self.covered.get(tier, 0) / self.games if self.games else 0.0


def coverage_by_day(coverage: Iterable[TierCoverage]) -> list[DayCoverage]:
    """Group events by US game day (evening tips fall after midnight UTC)."""
    from oddscore.backtest.engine import slate_key

    games: dict[str, int] = defaultdict(int)
    covered: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item in coverage:
        day = slate_key(item.commence_time)
        games[day] += 1
        for tier, count in item.snapshots.items():
            if count:
                covered[day][tier] += 1
    return [DayCoverage(day, games[day], dict(covered[day])) for day in sorted(games)]


def save_tier_coverage(
    coverage: Sequence[TierCoverage], path: Path, *, title: str | None = None
) -> Path:
    """A tiers x game days heat map of coverage shares (numbers written on short ranges)."""
    plt = pyplot()
    days = coverage_by_day(coverage)
    grid = [[day.share(tier) * 100.0 for day in days] for tier in TIER_NAMES]
    width = min(16.0, max(7.0, 0.9 * len(days) + 3.0))
    fig, ax = plt.subplots(figsize=(width, 4.2))
    image = ax.imshow(grid if days else [[0.0]], aspect="auto", cmap="YlGn", vmin=0.0, vmax=100.0)
    ax.set_yticks(range(len(TIER_NAMES)))
    ax.set_yticklabels(tier_labels({item.sport_key for item in coverage}))
    step = max(1, len(days) // 20)
    ax.set_xticks(range(0, len(days), step))
    ax.set_xticklabels([f"{d.day}\n{d.games} games" for d in days[::step]], fontsize="small")
    if len(days) <= 31:
        for row, tier in enumerate(TIER_NAMES):
            for col, day in enumerate(days):
                share = day.share(tier)
                ax.text(
                    col,
                    row,
                    f"{day.covered.get(tier, 0)}/{day.games}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if share > 0.6 else "black",
                )
    fig.colorbar(image, ax=ax, label="% of games with a snapshot")
    total = len(coverage)
    full = sum(1 for c in coverage if all(c.snapshots.get(t) for t in TIER_NAMES))
    ax.set_title(
        title or f"Tier coverage by game day: {full} of {total} games have a snapshot in every tier"
    )
    ax.set_xlabel("game day (US)")
    fig.tight_layout()
    return save(fig, path)


def tier_labels(sports: set[str | None]) -> list[str]:
    """Each tier's name with its hours before tip, as the games' sport defines them.

    A sport's profile can move the boundaries (``tier_offsets``), so games of sports whose
    tables differ share a row's name but not its hours: the hours are left out then.
    """
    tables = {tiers_for(sport) for sport in sports} or {TIERS}
    if len(tables) > 1:
        return [f"{name} (hours vary by sport)" for name in TIER_NAMES]
    (table,) = tables
    return [f"{spec.tier.value} ({_hours(spec.min_hours, spec.max_hours)})" for spec in table]


def _hours(low: float, high: float | None) -> str:
    upper = "+" if high is None else f"-{high:g}"
    return f"{low:g}{upper} h"

"""The demo's four PNGs: equity with drawdown, one game's line movement, CLV, tier coverage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from oddscore.backtest.results import BacktestResult
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, OddsSnapshot

EV = Event.__table__.c  # type: ignore[attr-defined]
SN = OddsSnapshot.__table__.c  # type: ignore[attr-defined]

__all__ = ["PICTURES", "draw_pictures", "showcase_event"]

# file name -> what it shows (the report lists them in this order)
PICTURES = {
    "equity.png": "equity curve with drawdown, per strategy",
    "line_movement.png": "one game's lines across books (sharp dashed, retail solid)",
    "clv.png": "CLV distribution per strategy",
    "tier_coverage.png": "tier coverage per game day",
}
SHARP_BOOKS = ("pinnacle", "circasports")


async def showcase_event(db: Database, start: datetime, end: datetime) -> str | None:
    """The game of the window with the most snapshots (ties: the earliest tip)."""
    statement = (
        select(EV.id)
        .select_from(EV.id.table.join(SN.id.table, SN.event_id == EV.id))
        .where(EV.commence_time >= start, EV.commence_time < end)
        .group_by(EV.id, EV.commence_time)
        .order_by(func.count(SN.id).desc(), EV.commence_time, EV.id)
        .limit(1)
    )
    async with db.session() as session:
        return (await session.execute(statement)).scalar_one_or_none()


async def draw_pictures(
    db: Database,
    folder: Path,
    results: Sequence[BacktestResult],
    start: datetime,
    end: datetime,
    event_id: str | None,
) -> dict[str, Path]:
    from oddscore.charts.clv import save_clv_distribution
    from oddscore.charts.coverage import save_tier_coverage
    from oddscore.charts.equity import save_equity_comparison
    from oddscore.queries.coverage import tier_coverage
    from oddscore.queries.events import get_event
    from oddscore.queries.lines import line_movement
    from oddscore.queries.plot import plot_line_movement

    written: dict[str, Path] = {}
    days = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"
    written["equity.png"] = save_equity_comparison(
        results,
        folder / "equity.png",
        title=f"Equity curve with drawdown, per strategy (demo games {days})",
    )
    written["clv.png"] = save_clv_distribution(
        results,
        folder / "clv.png",
        title="CLV distribution per strategy, against Pinnacle's no-vig close",
    )
    async with db.session() as session:
        coverage = await tier_coverage(session, start=start, end=end)
        if event_id is not None:
            event = await get_event(session, event_id)
            points = await line_movement(session, event_id, pregame_only=True)
    written["tier_coverage.png"] = save_tier_coverage(coverage, folder / "tier_coverage.png")
    if event_id is not None:
        written["line_movement.png"] = plot_line_movement(
            points, event, folder / "line_movement.png", sharp_books=SHARP_BOOKS
        )
    return {name: written[name] for name in PICTURES if name in written}

"""One demo run, start to finish: fresh database, virtual-time collection, backtests, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from oddscore.demo.backtests import run_backtests
from oddscore.demo.collect import collect
from oddscore.demo.options import DemoOptions
from oddscore.demo.pictures import draw_pictures, showcase_event
from oddscore.demo.report import (
    DemoReport,
    credit_report,
    game_counts,
    quality_report,
    strategy_row,
    tier_counts,
)
from oddscore.demo.world import fresh_database, open_world

__all__ = ["Progress", "run_demo"]

# (stage, virtual time or None): "collect" is called with the clock after every run.
Progress = Callable[[str, datetime | None], None]


def _quiet(_stage: str, _at: datetime | None) -> None:
    return None


async def run_demo(options: DemoOptions, on_progress: Progress = _quiet) -> DemoReport:
    """Run the whole product over ``options.days`` simulated days; the report of what it did.

    The database at ``options.database_path`` is deleted and re-created first, so every run
    starts clean and reports the same figures for the same seed and start.
    """
    began = time.perf_counter()
    on_progress("database", None)
    url = await fresh_database(options.database_path)
    async with open_world(url, options.start, options.seed, options.sport) as world:
        on_progress("collect", world.clock.now())
        log = await collect(world, options.end, lambda at: on_progress("collect", at))
        on_progress("backtest", None)
        results = await run_backtests(world.db, options.start, options.end, sport=options.sport)
        start, end = options.start, options.end
        async with world.db.session() as session:
            games, finals, statuses = await game_counts(session, start, end)
            tiers, closing, snapshots, odds_rows = await tier_counts(session, start, end)
            credits = await credit_report(session, start, end, world.policy, world.credits_used)
            quality = await quality_report(session)
        event_id = await showcase_event(world.db, start, end)
        pictures = {}
        if options.plots:
            on_progress("pictures", None)
            pictures = await draw_pictures(world.db, options.output, results, start, end, event_id)
    for result in results:
        result.save(options.output / f"backtest-{result.strategy}.json")
    on_progress("done", None)
    return DemoReport(
        start=options.start,
        end=options.end,
        seed=options.seed,
        database=options.database_path,
        games=games,
        finals=finals,
        statuses=statuses,
        snapshots=snapshots,
        odds_rows=odds_rows,
        tiers=tiers,
        closing_captured=closing,
        runs=dict(log.runs),
        credits=credits,
        quality=quality,
        strategies=[strategy_row(r) for r in results],
        line_event=event_id,
        pictures=pictures,
        elapsed_seconds=time.perf_counter() - began,
        sport=options.sport,
    )

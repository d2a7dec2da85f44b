"""A full-season ``basic_ev`` backtest of the real 2023-24 archive, end to end from the database.

Setup (not timed): a fresh database, migrated, with the 2023-24 Odds API archive imported
through ingestion and the Kaggle final scores imported as results.

Timed, on PostgreSQL and SQLite:

* backtest: :func:`oddscore.backtest.engine.run_backtest` of ``basic_ev`` (sharp consensus of
  LowVig and BetOnline, the sharpest books in the archive, against every other book; h2h,
  spreads and totals; min EV 2%), from the set-based load to the finished result with every
  metric. Goal: under 2 s.
* baseline: the plain SQL scan of the same rows (every odds row of the season's events,
  fetched to Python), measured in the same run.

Printed last: seconds, events per second and the ratio of the backtest to the scan.

Run: ``uv run python -m benchmarks.backtest [--backend postgres|sqlite|both] [--repeat 3]``.
PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database ``odds_bench_backtest`` on
127.0.0.1:5432, created and overwritten); SQLite is a temporary file. Needs
``/work/shared/data/real_nba_odds``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks._database import fresh_database
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.data import QUOTE_COLUMNS
from oddscore.backtest.engine import run_backtest
from oddscore.queries._sql import EVENTS, ODDS
from oddscore.storage.engine import Database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench_backtest"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_nba_odds"
START = datetime(2023, 10, 24, tzinfo=UTC)
END = datetime(2024, 6, 19, tzinfo=UTC)
PARAMS: dict[str, Any] = {
    "sharp_books": ["lowvig", "betonlineag"],
    "markets": ["h2h", "spreads", "totals"],
    "min_ev": 0.02,
}
CONFIG = BacktestConfig(
    start=START,
    end=END,
    decision_hours=1.0,
    max_staleness_hours=24.0,
    clv_books=["lowvig", "betonlineag"],
)


async def _load(url: str) -> None:
    from oddscore.ingestion.files import import_snapshots
    from oddscore.ingestion.results import import_results

    async with Database.from_url(url) as db:
        began = time.perf_counter()
        summary = await import_snapshots(db, REAL / "the_odds_api_snapshots", seasons=["2023-2024"])
        report = await import_results(db, REAL / "kaggle_nba_2008_2025" / "nba_2008-2025.csv")
        print(
            f"  setup: {summary.result.odds_rows:,} odds rows, {report.updated:,} results "
            f"imported in {time.perf_counter() - began:.1f} s"
        )


async def _scan(db: Database) -> int:
    statement = (
        select(*QUOTE_COLUMNS)
        .select_from(ODDS.join(EVENTS, EVENTS.c.id == ODDS.c.event_id))
        .where(EVENTS.c.commence_time >= START, EVENTS.c.commence_time < END)
    )
    async with db.session() as session:
        return len((await session.execute(statement)).all())


async def _measure(url: str, repeat: int) -> dict[str, float]:
    async with Database.from_url(url) as db:
        await _scan(db)  # warm the cache and the connection pool for both measurements
        scans, runs = [], []
        rows = 0
        result = None
        for _ in range(repeat):
            began = time.perf_counter()
            rows = await _scan(db)
            scans.append(time.perf_counter() - began)
            began = time.perf_counter()
            result = await run_backtest(db, "basic_ev", CONFIG, PARAMS)
            runs.append(time.perf_counter() - began)
        assert result is not None
        async with db.session() as session:
            events = len(
                (
                    await session.execute(
                        select(EVENTS.c.id).where(
                            EVENTS.c.commence_time >= START, EVENTS.c.commence_time < END
                        )
                    )
                ).all()
            )
        s = result.summary
        print(
            f"  result: {s.total_bets} bets, profit {s.profit:,.0f}, yield "
            f"{(s.yield_ or 0):+.2%}, CLV {(s.clv_mean or 0):+.2%}"
        )
        return {"events": events, "rows": rows, "scan": min(scans), "backtest": min(runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not REAL.is_dir():
        raise SystemExit(f"the real archive is not at {REAL}")
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {}
        if args.backend in ("sqlite", "both"):
            urls["sqlite"] = f"sqlite+aiosqlite:///{tmp}/bench.db"
        if args.backend in ("postgres", "both"):
            urls["postgres"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        for name, url in urls.items():
            print(f"{name}:")
            asyncio.run(fresh_database(url))
            asyncio.run(_load(url))
            figures[name] = asyncio.run(_measure(url, args.repeat))
    print()
    print(
        f"{'backend':<10}{'events':>8}{'rows':>10}{'scan s':>9}{'backtest s':>12}"
        f"{'events/s':>10}{'x scan':>8}"
    )
    for name, f in figures.items():
        print(
            f"{name:<10}{f['events']:>8.0f}{f['rows']:>10,.0f}{f['scan']:>9.3f}"
            f"{f['backtest']:>12.3f}{f['events'] / f['backtest']:>10,.0f}"
            f"{f['backtest'] / f['scan']:>8.1f}"
        )


if __name__ == "__main__":
    main()

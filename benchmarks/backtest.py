"""Full-season backtests of the real 2023-24 archive, end to end from the database.

Setup (not timed): a fresh database, migrated, with the 2023-24 Odds API archive imported
through ingestion and the Kaggle final scores imported as results.

Timed, on PostgreSQL and SQLite, best of ``--repeat``:

* four backtests through :func:`oddscore.backtest.engine.run_backtest`, from the set-based
  load to the finished result with every metric: ``flat`` (DraftKings home moneyline) and
  ``basic_ev`` (sharp consensus of LowVig and BetOnline, the sharpest books in the archive),
  each in a single-book configuration (the seed's: ``flat`` loads DraftKings h2h only,
  ``basic_ev`` prices DraftKings h2h against LowVig) and an all-books configuration (every
  book loaded; ``basic_ev`` bets any book on h2h, spreads and totals);
* a 50-run ``basic_ev`` parameter sweep (``min_ev`` x ``max_bets_per_event``) through
  :func:`oddscore.backtest.sweep.run_sweep`, which loads the season once;
* baseline 1, the plain scan: every odds row of the season's events fetched to Python;
* baseline 2, the minimal as-of query: the query layer's statement for the decision quotes
  (:func:`oddscore.queries.asof.odds_before_tip_statement`, each event as of one hour before
  tip, in the backtest's books and markets), fetched to Python.

Each backtest row also prints the CPU time of its best run (this process, SQLite's reader
thread included; not the database server's): the comparable figure on a loaded machine.

Targets (printed as met or not): each backtest at >= 4,000 events/s and within 2x the
as-of query of its own books and markets; the 50-run sweep within 10x one all-books
``basic_ev`` run.

Run: ``uv run python -m benchmarks.backtest [--backend postgres|sqlite|both] [--repeat 3]
[--keep]``. PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database
``odds_bench_backtest`` on 127.0.0.1:5432, created and overwritten); SQLite is a temporary file,
or ``BENCH_SQLITE_PATH``. ``--keep`` reuses those databases as they are when they already
hold the season (no re-import). Needs ``/work/shared/data/real_nba_odds``.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks._database import fresh_database
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.data import QUOTE_COLUMNS
from oddscore.backtest.engine import load_scope, run_backtest
from oddscore.backtest.strategies.registry import create_strategy
from oddscore.backtest.sweep import expand_grid, run_sweep
from oddscore.queries._sql import EVENTS, ODDS
from oddscore.queries.asof import odds_before_tip_statement
from oddscore.storage.engine import Database

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench_backtest"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real_nba_odds"
START = datetime(2023, 10, 24, tzinfo=UTC)
END = datetime(2024, 6, 19, tzinfo=UTC)
SHARP = ["lowvig", "betonlineag"]
BASE: dict[str, Any] = {
    "start": START,
    "end": END,
    "decision_hours": 1.0,
    "max_staleness_hours": 24.0,
}
EVENTS_PER_SECOND = 4_000
WITHIN_ASOF = 2.0
SWEEP_RUNS = 50
WITHIN_ONE_RUN = 10.0


@dataclass(frozen=True)
class Case:
    name: str
    strategy: str
    params: dict[str, Any]
    config: BacktestConfig


CASES = [
    Case(
        "flat single-book",
        "flat",
        {"book": "draftkings", "outcome": "home"},
        BacktestConfig(**BASE, bookmakers=["draftkings"], markets=["h2h"]),
    ),
    Case(
        "flat all-books",
        "flat",
        {"book": "draftkings", "outcome": "home"},
        BacktestConfig(**BASE, clv_books=SHARP),
    ),
    Case(
        "basic_ev single-book",
        "basic_ev",
        {"sharp_books": ["lowvig"], "retail_books": ["draftkings"], "min_ev": 0.01},
        BacktestConfig(**BASE, bookmakers=["lowvig", "draftkings"], markets=["h2h"]),
    ),
    Case(
        "basic_ev all-books",
        "basic_ev",
        {"sharp_books": SHARP, "markets": ["h2h", "spreads", "totals"], "min_ev": 0.02},
        BacktestConfig(**BASE, clv_books=SHARP),
    ),
]
SWEEP = expand_grid(
    CASES[-1].params,
    {
        "min_ev": [0.0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06],
        "max_bets_per_event": [1, 2, 3, 4, 5],
    },
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


async def _holds_season(url: str) -> bool:
    try:
        async with Database.from_url(url) as db, db.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(ODDS).where(ODDS.c.odds_timestamp >= START)
            )
    except Exception:  # a missing database or schema: import it
        return False
    return bool(count and count > 100_000)


async def _scan(db: Database) -> int:
    """Baseline 1: every odds row of the season's events."""
    statement = (
        select(*QUOTE_COLUMNS)
        .select_from(ODDS.join(EVENTS, EVENTS.c.id == ODDS.c.event_id))
        .where(EVENTS.c.commence_time >= START, EVENTS.c.commence_time < END)
    )
    async with db.session() as session:
        return len((await session.execute(statement)).all())


async def _asof(db: Database, case: Case) -> int:
    """Baseline 2: the decision quotes of the case's books and markets, as of decision time."""
    books, markets = load_scope(case.config, [create_strategy(case.strategy, case.params)])
    statement = odds_before_tip_statement(
        START,
        END,
        lead=timedelta(hours=case.config.decision_hours),
        max_staleness=timedelta(hours=case.config.max_staleness_hours or 24.0),
        bookmakers=books,
        markets=markets,
        sport_key=case.config.sport_key,
        dialect=db.dialect,
    )
    async with db.session() as session:
        return len((await session.execute(statement)).all())


async def _best(repeat: int, run: Any) -> tuple[float, Any]:
    seconds, _, out = await _best_cpu(repeat, run)
    return seconds, out


async def _best_cpu(repeat: int, run: Any) -> tuple[float, float, Any]:
    """The best wall time of ``repeat`` runs and that run's CPU time (this process, every
    thread: SQLite's reads run in aiosqlite's; a database server's CPU is not in it)."""
    best, cpu, out = math.inf, 0.0, None
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        out = await run()
        took = time.perf_counter() - began
        if took < best:
            best, cpu = took, time.process_time() - began_cpu
    return best, cpu, out


async def _measure(url: str, repeat: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"cases": {}}
    async with Database.from_url(url) as db:
        await _scan(db)  # warm the cache and the connection pool
        async with db.session() as session:
            figures["events"] = len(
                (
                    await session.execute(
                        select(EVENTS.c.id).where(
                            EVENTS.c.commence_time >= START, EVENTS.c.commence_time < END
                        )
                    )
                ).all()
            )
        figures["scan"], figures["rows"] = await _best(repeat, lambda: _scan(db))
        for case in CASES:

            def one(case: Case = case) -> Any:
                return run_backtest(db, case.strategy, case.config, case.params)

            await _asof(db, case)
            asof, quotes = await _best(repeat, lambda case=case: _asof(db, case))
            seconds, cpu, result = await _best_cpu(repeat, one)
            s = result.summary
            figures["cases"][case.name] = {
                "asof": asof,
                "quotes": quotes,
                "run": seconds,
                "cpu": cpu,
            }
            print(
                f"  {case.name}: {s.total_bets} bets, profit {s.profit:,.2f}, "
                f"yield {(s.yield_ or 0):+.2%}"
            )
        case = CASES[-1]
        sweep, results = await _best(1, lambda: run_sweep(db, case.strategy, case.config, SWEEP))
        figures["sweep"] = sweep
        print(
            f"  sweep: {len(results)} runs, bets from {min(r.summary.total_bets for r in results)}"
            f" to {max(r.summary.total_bets for r in results)}"
        )
    return figures


def _report(figures: dict[str, dict[str, Any]]) -> None:
    met = True
    print()
    print(
        f"{'backend':<10}{'backtest':<22}{'events':>7}{'run s':>8}{'events/s':>10}"
        f"{'as-of s':>9}{'x as-of':>9}{'scan s':>8}{'x scan':>8}{'cpu s':>7}  target"
    )
    for backend, f in figures.items():
        for name, c in f["cases"].items():
            rate = f["events"] / c["run"]
            ratio = c["run"] / c["asof"]
            ok = rate >= EVENTS_PER_SECOND and ratio <= WITHIN_ASOF
            met &= ok
            print(
                f"{backend:<10}{name:<22}{f['events']:>7}{c['run']:>8.3f}{rate:>10,.0f}"
                f"{c['asof']:>9.3f}{ratio:>9.2f}{f['scan']:>8.3f}{c['run'] / f['scan']:>8.2f}"
                f"{c['cpu']:>7.3f}  {'met' if ok else 'NOT MET'}"
            )
    print()
    print(
        f"{'backend':<10}{'sweep runs':>11}{'sweep s':>9}{'one run s':>10}{'x one run':>10}  target"
    )
    for backend, f in figures.items():
        one = f["cases"][CASES[-1].name]["run"]
        ratio = f["sweep"] / one
        ok = ratio <= WITHIN_ONE_RUN
        met &= ok
        print(
            f"{backend:<10}{SWEEP_RUNS:>11}{f['sweep']:>9.3f}{one:>10.3f}{ratio:>10.2f}"
            f"  {'met' if ok else 'NOT MET'}"
        )
    print()
    print(
        f"targets (>= {EVENTS_PER_SECOND:,} events/s, <= {WITHIN_ASOF:g}x the as-of query, "
        f"{SWEEP_RUNS}-run sweep <= {WITHIN_ONE_RUN:g}x one run): "
        f"{'all met' if met else 'NOT all met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse databases holding the season")
    args = parser.parse_args()
    if not REAL.is_dir():
        raise SystemExit(f"the real archive is not at {REAL}")
    assert len(SWEEP) == SWEEP_RUNS
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        urls = {}
        if args.backend in ("postgres", "both"):
            urls["postgres"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        if args.backend in ("sqlite", "both"):
            path = os.environ.get("BENCH_SQLITE_PATH", f"{tmp}/bench.db")
            urls["sqlite"] = f"sqlite+aiosqlite:///{path}"
        for name, url in urls.items():
            print(f"{name}:")
            if not (args.keep and asyncio.run(_holds_season(url))):
                asyncio.run(fresh_database(url))
                asyncio.run(_load(url))
            figures[name] = asyncio.run(_measure(url, args.repeat))
    _report(figures)


if __name__ == "__main__":
    main()

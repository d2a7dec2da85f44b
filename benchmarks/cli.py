"""Cold starts of the ``odds`` command line, on SQLite and PostgreSQL.

Stores the screen benchmark's data (:func:`benchmarks.web.load`: a 15-game slate and 200 past
games, 10 books, h2h, spreads and totals, ~187,000 odds rows), then times fresh processes of

* ``odds --help`` (no database),
* ``odds status show`` (the health dashboard: counts, fetches, quota, quality),
* ``odds lines EVENT --market h2h --book pinnacle`` (one game's line movement),
* ``odds best EVENT`` (the best price per outcome, as of now),
* ``odds odds show EVENT`` (the event's board as of now: the as-of query),
* ``odds backtest show RESULT`` (a saved backtest result, written by ``odds backtest run``
  on the stored games before the timing starts),

each beside two floors measured in the same run: ``python -c pass`` (the interpreter) and
``python -c "import typer, rich"`` (the CLI toolkit every command needs). Each figure is the
median of ``--runs`` runs after one warm-up run. The load average is printed before and after,
since the box is shared.

Two interpreter set-ups are timed, because they differ by far more than any code change:

* ``bytecode``: the modules' compiled bytecode is cached (as after ``pip install``, or
  ``uv sync --compile-bytecode``); the cache goes to a temporary ``PYTHONPYCACHEPREFIX``, so
  the run writes nothing into the project or the virtualenv.
* ``as is``: this shell's environment unchanged. When ``PYTHONDONTWRITEBYTECODE`` is set and
  the virtualenv was installed without bytecode (uv's default), every process compiles each
  module it imports from source, which is most of a cold start.

Targets (printed as met or not): each query command under 1.0 s, ``--help`` under 0.5 s.

Run: ``uv run python -m benchmarks.cli [--backend sqlite|postgres|both] [--runs 7]``.
PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database ``odds_cli_bench`` on
127.0.0.1:5432, created and overwritten); SQLite is a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from benchmarks.web import load
from oddscore.storage.engine import Database
from oddscore.storage.tables import EVENTS

EV = EVENTS.c

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_cli_bench"
QUERY_GOAL_S = 1.0
HELP_GOAL_S = 0.5
ODDS = str(Path(sys.executable).with_name("odds"))


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def _first_upcoming_event(url: str) -> str:
    database = Database.from_url(url)
    try:
        async with database.session() as session:
            found = await session.scalar(
                select(EV.id).where(EV.status == "scheduled").order_by(EV.id).limit(1)
            )
    finally:
        await database.dispose()
    assert found is not None, "the slate was not stored"
    return str(found)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_s(argv: list[str], env: dict[str, str], runs: int) -> float:
    return _median(argv, env, runs)[0]


def _median(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds of a fresh process (the CPU figure moves
    far less than the wall clock when other work shares the box)."""
    times, cpus = [], []
    for n in range(runs + 1):
        cpu = _children_cpu_s()
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
        if n:  # the first run warms the page cache (and, with bytecode, writes it)
            times.append(elapsed)
            cpus.append(_children_cpu_s() - cpu)
    return statistics.median(times), statistics.median(cpus)


def _environments(cache: str) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # Without a Prefect server, `status show` reports the next runs as unknown at once rather
    # than timing a connection attempt.
    compiled = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    compiled["PYTHONPYCACHEPREFIX"] = cache
    return {"bytecode": compiled, "as is": base}


def _queries(event_id: str, result: str) -> dict[str, list[str]]:
    return {
        "odds status show": ["status", "show"],
        "odds lines (h2h, 1 book)": ["lines", event_id, "--market", "h2h", "--book", "pinnacle"],
        "odds best": ["best", event_id],
        "odds odds show (as-of)": ["odds", "show", event_id],
        "odds backtest show": ["backtest", "show", result],
    }


def _backtest_result(url: str, folder: str) -> str:
    """A saved result of a flat backtest over the stored games, for `odds backtest show`."""
    path = str(Path(folder) / "flat.json")
    argv = [ODDS, "backtest", "run", "-s", "flat", "--start", "2024-01-01", "--end", "2025-02-01"]
    done = subprocess.run(
        [*argv, "--output-json", path],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the backtest for `odds backtest show` failed:\n{done.stderr}")
    return path


def measure(backends: dict[str, tuple[str, str]], runs: int, result: str) -> bool:
    met = True
    with tempfile.TemporaryDirectory() as cache:
        for setup, env in _environments(cache).items():
            floors = {
                "python -c pass": _median_s([sys.executable, "-c", "pass"], env, runs),
                "import typer, rich": _median_s(
                    [sys.executable, "-c", "import typer, rich"], env, runs
                ),
            }
            help_s, help_cpu = _median([ODDS, "--help"], {**env, "DATABASE_URL": DEFAULT_PG}, runs)
            print(
                f"\n[{setup}] floors: python -c pass {floors['python -c pass']:.3f} s, "
                f"import typer, rich {floors['import typer, rich']:.3f} s"
            )
            header = (
                f"{'command':<40}{'median s':>9}{'cpu s':>7}{'x pass':>8}{'x typer':>9}  target"
            )
            print(header)
            rows: list[tuple[str, tuple[float, float], float]] = [
                ("odds --help", (help_s, help_cpu), HELP_GOAL_S)
            ]
            for backend, (url, event_id) in backends.items():
                db_env = {**env, "DATABASE_URL": url}
                for name, args in _queries(event_id, result).items():
                    rows.append(
                        (f"{backend}: {name}", _median([ODDS, *args], db_env, runs), QUERY_GOAL_S)
                    )
            for name, (seconds, cpu), goal in rows:
                ok = seconds < goal
                met &= ok or setup != "bytecode"
                print(
                    f"{name:<40}{seconds:>9.3f}{cpu:>7.3f}"
                    f"{seconds / max(floors['python -c pass'], 1e-3):>8.1f}"
                    f"{seconds / floors['import typer, rich']:>9.2f}"
                    f"  < {goal:g} s {'met' if ok else 'NOT MET'}"
                )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"load average at start: {_load_average()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        urls = {}
        if args.backend in ("sqlite", "both"):
            urls["sqlite"] = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        if args.backend in ("postgres", "both"):
            urls["postgres"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        backends = {}
        for name, url in urls.items():
            rows = asyncio.run(load(url))
            backends[name] = (url, asyncio.run(_first_upcoming_event(url)))
            print(f"{name}: {rows:,} odds rows stored")
        first_url = next(iter(backends.values()))[0]
        met = measure(backends, args.runs, _backtest_result(first_url, folder))
    print(f"\nload average at end: {_load_average()}")
    print(
        f"targets with bytecode (queries < {QUERY_GOAL_S:g} s, --help < {HELP_GOAL_S:g} s): "
        f"{'all met' if met else 'NOT all met'}"
    )


if __name__ == "__main__":
    main()

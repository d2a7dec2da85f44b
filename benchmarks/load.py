"""Load: a full synthetic season backfilled through the simulator at the provider's rate limit.

What runs, each phase in its own Python process (so that each peak RSS is its own) against
its own fresh ``odds simulator serve`` process (its own quota ledger, the provider's
30 requests/second limit on, over real HTTP on 127.0.0.1):

1. plan: the season's games (``--games``, default 1,230: an NBA regular season) are the
   synthetic market's last N games ending four days ago; they are discovered through the
   historical ``/events`` endpoint (1 credit per date) and every game is planned
   (``select_games(sample_rate=1)``, ``build_plan``: six slots per game, shared calls).
2. baseline: the same planned historical ``/odds`` calls through the same client (30 req/s,
   the executor's concurrency), each answer parsed into the provider models, nothing stored.
3. load (per backend): ``Executor.execute`` of the plan into a fresh, migrated database:
   every call paid once, ingested, recorded in the ledger.

Asserted (the run fails otherwise): no failed, unfinished or claimed call; credits spent ==
planned credits == what the simulator charged; one snapshot per planned (game, slot).

Printed last: calls/s and rows/s of the load, and its ratios to the baseline (calls/s, peak
RSS). A calls/s ratio near 1 means ingestion keeps up with the provider's rate limit.

Run: ``uv run python -m benchmarks.load [--games 1230] [--sqlite] [--concurrency 4]``.
PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database ``odds_bench_load`` on
127.0.0.1:5432, created and overwritten); ``--sqlite`` adds a run into a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks._database import fresh_database

KEY = "bench-load-key"
SEED = 7
SPORT = "basketball_nba"
RATE = 30.0  # the provider's limit, requests per second
QUOTA = 10**9
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench_load"
ROOT = Path(__file__).resolve().parents[1]


# -- processes -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    return {**os.environ, "ODDS_ENV_FILE": "", "ODDS_API_KEY": KEY, "LOG_LEVEL": "WARNING"}


class Simulator:
    """``odds simulator serve`` as a child process with its own quota; stopped by its pid."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"simulator-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Simulator:
        args = [sys.executable, "-m", "oddscore", "simulator", "serve"]
        args += ["--port", str(self.port), "--seed", str(SEED), "--quota", str(QUOTA)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulator exited:\n{self.log.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.url}/v4/sports", params={"apiKey": KEY}, timeout=2)
                return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the simulator did not start in 60 s")

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _phase(name: str, simulator: Simulator, *args: str) -> dict[str, Any]:
    """Run one phase in a child process; its last stdout line is its JSON result."""
    command = [sys.executable, "-m", "benchmarks.load", "--phase", name, "--url", simulator.url]
    done = subprocess.run(
        [*command, *args], cwd=ROOT, env=_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"phase {name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # The client logs each retried request (a 429 of the provider's limit, a 5xx ...).
    result["retries"] = (done.stdout + done.stderr).count("provider retry")
    return result


def _peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# -- the phases (in child processes) ----------------------------------------------------------


def _client(url: str) -> Any:
    from oddscore.provider.client import OddsApiClient

    return OddsApiClient(KEY, base_url=url, requests_per_second=RATE, timeout_seconds=60)


def _season(games: int) -> tuple[date, date]:
    """The last ``games`` games of the synthetic market, ending four days ago."""
    from oddscore.clock import utcnow
    from oddscore.simulator import SyntheticMarket

    market = SyntheticMarket(seed=SEED)
    end = utcnow().date() - timedelta(days=4)
    day, found = end, 0
    while found < games:
        found += len(market.games_on(day))
        day -= timedelta(days=1)
    return day + timedelta(days=1), end


async def _plan(url: str, games: int, output: Path) -> dict[str, Any]:
    from oddscore.backfill.planner import PlanSettings, build_plan, write_plan
    from oddscore.backfill.selection import select_games
    from oddscore.backfill.sources import endpoint_games
    from oddscore.clock import utcnow
    from oddscore.config import DEFAULT_BOOKMAKERS

    start, end = _season(games)
    async with _client(url) as client:
        pool, credits, calls = await endpoint_games(client, SPORT, start, end)
    chosen = select_games(pool, sample_rate=1.0)
    settings = PlanSettings(
        sport=SPORT,
        markets=["h2h", "spreads", "totals"],
        bookmakers=list(DEFAULT_BOOKMAKERS),
        start=start,
        end=end,
        sample_rate=1.0,
    )
    plan = build_plan(
        chosen, settings, now=utcnow(), selection_source="endpoint", selection_credits=credits
    )
    write_plan(plan, output)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "games": len(plan.games),
        "events_calls": calls,
        "calls": len(plan.calls),
        "targets": sum(len(call.targets) for call in plan.calls),
        "credits": plan.costs.grouped,
        "credits_naive": plan.costs.naive,
        "skipped_targets": plan.skipped_targets,
    }


async def _baseline(url: str, plan_file: Path, concurrency: int) -> dict[str, Any]:
    """The planned calls, parsed by the client, stored nowhere."""
    from oddscore.backfill.planner import read_plan

    plan = read_plan(plan_file)
    settings = plan.settings
    gate = asyncio.Semaphore(concurrency)
    events = 0

    async with _client(url) as client:

        async def one(call_time: Any) -> None:
            nonlocal events
            async with gate:
                response = await client.historical_odds(
                    settings.sport,
                    date=call_time,
                    markets=settings.markets,
                    bookmakers=settings.bookmakers,
                )
            events += len(response.data.data)

        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for call in plan.calls:
                group.create_task(one(call.time))
        elapsed = time.perf_counter() - started
        used = (await client.sports()).quota.used
    return {
        "calls": len(plan.calls),
        "seconds": elapsed,
        "events_parsed": events,
        "credits_charged": used,
        "peak_rss": _peak_rss_bytes(),
    }


async def _load(url: str, plan_file: Path, database_url: str, concurrency: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from oddscore.backfill.executor import Executor
    from oddscore.backfill.planner import read_plan
    from oddscore.storage.engine import Database
    from oddscore.storage.models import Odds, OddsSnapshot

    plan = read_plan(plan_file)
    await fresh_database(database_url)
    async with Database.from_url(database_url) as db, _client(url) as client:
        started = time.perf_counter()
        report = await Executor(db, client, plan).execute(concurrency=concurrency)
        elapsed = time.perf_counter() - started
        used = (await client.sports()).quota.used
        async with db.session() as session:
            snapshots = (await session.execute(select(func.count(OddsSnapshot.id)))).scalar_one()
            rows = (await session.execute(select(func.count(Odds.id)))).scalar_one()
    problems = {
        "failed": [str(o.note) for o in report.failures][:5],
        "not_ingested": len(report.not_ingested),
        "busy": len(report.busy),
        "missing_games": sum(len(o.games_missing) for o in report.outcomes),
        "rejected": [o.note for o in report.outcomes if o.note][:5],
    }
    targets = sum(len(call.targets) for call in plan.calls)
    assert not any(problems.values()), problems
    assert report.credits_spent == plan.costs.grouped == used, (
        report.credits_spent,
        plan.costs.grouped,
        used,
    )
    assert snapshots == targets, (snapshots, targets)
    return {
        "backend": database_url.split(":", 1)[0],
        "calls": report.calls_paid,
        "seconds": elapsed,
        "credits_spent": report.credits_spent,
        "credits_charged": used,
        "snapshots": snapshots,
        "rows": rows,
        "peak_rss": _peak_rss_bytes(),
    }


# -- the parent --------------------------------------------------------------------------------


def _line(name: str, result: dict[str, Any]) -> str:
    calls_per_s = result["calls"] / result["seconds"]
    text = (
        f"{name}: {result['calls']} calls in {result['seconds']:.1f} s = {calls_per_s:.1f} calls/s"
    )
    if "rows" in result:
        text += f", {result['rows']:,} rows = {result['rows'] / result['seconds']:,.0f} rows/s"
    text += f", {result['retries']} retried requests"
    return text + f", peak RSS {result['peak_rss'] / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=1230, help="Games in the season.")
    parser.add_argument("--concurrency", type=int, default=4, help="Requests in flight.")
    parser.add_argument("--sqlite", action="store_true", help="Also load into SQLite.")
    parser.add_argument("--phase", choices=["plan", "baseline", "load"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "plan":
        result = asyncio.run(_plan(args.url, args.games, args.plan))
    elif args.phase == "baseline":
        result = asyncio.run(_baseline(args.url, args.plan, args.concurrency))
    elif args.phase == "load":
        result = asyncio.run(_load(args.url, args.plan, args.database, args.concurrency))
    if args.phase is not None:
        print(json.dumps(result))
        return

    pg = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
    with tempfile.TemporaryDirectory(prefix="odds-bench-load-") as tmp:
        work = Path(tmp)
        plan_file = work / "plan.json"
        common = ["--plan", str(plan_file), "--concurrency", str(args.concurrency)]
        with Simulator(work) as sim:
            plan = _phase("plan", sim, "--plan", str(plan_file), "--games", str(args.games))
        print(
            f"plan: {plan['games']} games {plan['start']}..{plan['end']} "
            f"({plan['events_calls']} /events calls), {plan['targets']} game slots in "
            f"{plan['calls']} historical calls, {plan['credits']:,} credits "
            f"(naive {plan['credits_naive']:,})",
            flush=True,
        )
        with Simulator(work) as sim:
            baseline = _phase("baseline", sim, *common)
        print(_line("baseline (requests + parsing, no database)", baseline), flush=True)
        backends = [("postgresql", pg)]
        if args.sqlite:
            backends.append(("sqlite", f"sqlite+aiosqlite:///{work / 'load.db'}"))
        loads = []
        for name, url in backends:
            with Simulator(work) as sim:
                load = _phase("load", sim, *common, "--database", url)
            loads.append((name, load))
            print(
                _line(f"load into {name}", load)
                + f"; credits spent {load['credits_spent']:,} = planned {plan['credits']:,}"
                f" = charged {load['credits_charged']:,}; {load['snapshots']:,} snapshots",
                flush=True,
            )
        base_rate = baseline["calls"] / baseline["seconds"]
        for name, load in loads:
            rate = load["calls"] / load["seconds"]
            print(
                f"ratio {name}: calls/s {rate / base_rate:.2f} x baseline "
                f"({rate:.1f} vs {base_rate:.1f}; the provider allows {RATE:g}), "
                f"rows/s {load['rows'] / load['seconds']:,.0f}, "
                f"peak RSS {load['peak_rss'] / baseline['peak_rss']:.2f} x baseline"
            )


if __name__ == "__main__":
    main()

"""How fast the simulator answers, in the two ways the product uses it.

* demo: live ``/odds`` for the eight configured books and three markets, in-process over
  ``httpx.ASGITransport``, the frozen clock moved 5 minutes between calls (what ``odds demo``
  does hundreds of times). Goal: a few milliseconds per call.
* backfill: historical ``/odds`` stepping one hour through a past month of the synthetic
  season (what a backfill does thousands of times).

Baseline, measured in the same run: parsing each answer's JSON body with the provider models
(``parse_events_odds``), which the client does for every response anyway. A ratio near or
below a few means the simulator is not what makes a demo or a backfill slow.

Run: ``uv run python -m benchmarks.simulator [--calls 300] [--sport soccer_epl]`` (the
soccer and baseball markets price from score distributions, so their quotes cost more than
the NBA's; the ratio says whether that matters).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from oddscore.clock import FrozenClock
from oddscore.provider.models import parse_events_odds
from oddscore.simulator import create_app

KEY = "bench-key"
BOOKS = "pinnacle,circasports,draftkings,fanduel,betmgm,williamhill_us,betrivers,bovada"
START = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


async def _run(
    calls: int, historical: bool, sport: str = "basketball_nba"
) -> tuple[list[float], list[float], int]:
    clock = FrozenClock(START)
    app = create_app(api_key=KEY, seed=1, clock=clock, quota=10**9, requests_per_second_limit=None)
    params: dict[str, Any] = {
        "apiKey": KEY,
        "bookmakers": BOOKS,
        "markets": "h2h,spreads,totals",
        "oddsFormat": "american",
    }
    path = f"/v4/sports/{sport}/odds"
    if historical:
        path = f"/v4/historical/sports/{sport}/odds"
    serve, parse, events = [], [], 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        for i in range(calls):
            if historical:
                params["date"] = (START - timedelta(days=40) + timedelta(hours=i)).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                )
            else:
                clock.advance(timedelta(minutes=5))
            t0 = time.perf_counter()
            response = await http.get(path, params=params)
            t1 = time.perf_counter()
            body = response.json()
            data = body["data"] if historical else body
            t2 = time.perf_counter()
            parse_events_odds(data)
            t3 = time.perf_counter()
            serve.append(t1 - t0)
            parse.append((t3 - t2) + 0.0)
            events += len(data)
    return serve, parse, events


def _report(name: str, serve: list[float], parse: list[float], events: int) -> None:
    calls = len(serve)
    s50, p50 = statistics.median(serve), statistics.median(parse)
    print(
        f"{name}: {calls} calls, {events / calls:.1f} events per answer; "
        f"answer p50 {s50 * 1e3:.2f} ms (p95 {sorted(serve)[int(calls * 0.95)] * 1e3:.2f} ms), "
        f"baseline parse p50 {p50 * 1e3:.2f} ms, ratio {s50 / p50:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--sport", default="basketball_nba")
    args = parser.parse_args()
    demo = await _run(args.calls, historical=False, sport=args.sport)
    backfill = await _run(args.calls, historical=True, sport=args.sport)
    _report("demo (live /odds, clock +5 min per call)", *demo)
    _report("backfill (historical /odds, +1 h per call)", *backfill)


if __name__ == "__main__":
    asyncio.run(main())

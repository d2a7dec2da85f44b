"""The odds screen's board page (``odds serve``), on SQLite and PostgreSQL.

Stores a 15-game slate quoted by 10 books in h2h, spreads and totals, every hour for two days
before the screen's time (each book's points moving), on top of 200 past games with their own
quotes, so that the as-of read has history to skip. Then measures, in the same run:

* the board page: ``GET /board`` through the app in process (ASGI, no network), so the time
  is the server's: parameter checks, the as-of read of the slate, best and no-vig fair prices,
  the grid and the Jinja2 render. Goal < 300 ms.
* the JSON query beside it: the library call behind ``/api/board`` and ``odds screen board
  --json`` (:func:`oddscore.screens.opportunities.screen_boards` and ``board_payload``), and
  ``GET /api/board`` end to end.

Each figure is the median of ``--runs`` timed runs after two warm-up runs.

Run: ``uv run python -m benchmarks.web [--backend sqlite|postgres|both] [--runs 20]``.
PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database ``odds_bench_web`` on
127.0.0.1:5432, created and overwritten); SQLite is a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from benchmarks._database import fresh_database
from oddscore.clock import FrozenClock
from oddscore.config import DEFAULT_BOOKMAKERS, get_settings
from oddscore.screens.opportunities import board_payload, screen_boards
from oddscore.storage import Event, Odds, OddsSnapshot
from oddscore.storage.engine import Database
from oddscore.web.app import WebConfig, create_app

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench_web"
AT = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
BOOKS = [*DEFAULT_BOOKMAKERS, "betonlineag", "lowvig"]  # the product's eight and two sharp
SLATE = 15
PAST = 200
HOURS_QUOTED = 48
GOAL_MS = 300.0


def _american(p: float, margin: float) -> int:
    d = 1.0 / (p * (1.0 + margin))
    return round(100 * (d - 1)) if d >= 2 else round(-100 / (d - 1))


def build(
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Events, snapshots and odds rows of the slate and of the past games."""
    teams = [f"Team {i:02d}" for i in range(30)]
    now = AT
    events, snapshots, odds = [], [], []
    tips = [AT + timedelta(hours=1 + 0.5 * i) for i in range(SLATE)]
    tips += [AT - timedelta(days=2 + i // 8, hours=i % 8) for i in range(PAST)]
    snap_id = 0
    for n, tip in enumerate(tips):
        event_id = f"{rng.getrandbits(128):032x}"
        home, away = rng.sample(teams, 2)
        events.append(
            {
                "id": event_id,
                "sport_key": "basketball_nba",
                "sport_title": "NBA",
                "commence_time": tip,
                "home_team": home,
                "away_team": away,
                "status": "scheduled" if n < SLATE else "final",
                "created_at": now,
                "updated_at": now,
            }
        )
        p_home = rng.uniform(0.3, 0.7)
        spread = round(rng.uniform(-9, 9) * 2) / 2
        total = round(rng.uniform(215, 235) * 2) / 2
        hours = HOURS_QUOTED if n < SLATE else 12
        last = min(tip, AT) - timedelta(minutes=5)
        for h in range(hours):
            taken = last - timedelta(hours=h)
            snap_id += 1
            snapshots.append(
                {
                    "id": snap_id,
                    "event_id": event_id,
                    "snapshot_time": taken,
                    "raw_data": {},
                    "bookmaker_count": len(BOOKS),
                    "source": "live",
                    "created_at": now,
                }
            )
            for book in BOOKS:
                margin = rng.uniform(0.02, 0.06)
                drift = rng.choice([-0.5, 0.0, 0.0, 0.5])
                p = min(max(p_home + rng.uniform(-0.03, 0.03), 0.05), 0.95)
                rows = [
                    ("h2h", home, _american(p, margin), None),
                    ("h2h", away, _american(1 - p, margin), None),
                    ("spreads", home, _american(0.5, margin), spread + drift),
                    ("spreads", away, _american(0.5, margin), -(spread + drift)),
                    ("totals", "Over", _american(0.5, margin), total + drift),
                    ("totals", "Under", _american(0.5, margin), total + drift),
                ]
                for market, outcome, price, point in rows:
                    odds.append(
                        {
                            "snapshot_id": snap_id,
                            "event_id": event_id,
                            "bookmaker_key": book,
                            "bookmaker_title": book,
                            "market_key": market,
                            "outcome_name": outcome,
                            "price": price,
                            "point": point,
                            "odds_timestamp": taken,
                            "last_update": taken,
                            "is_valid": True,
                            "created_at": now,
                        }
                    )
    return events, snapshots, odds


async def load(url: str) -> int:
    await fresh_database(url)
    events, snapshots, odds = build(random.Random(7))
    db = Database.from_url(url)
    try:
        async with db.session() as session:
            await session.execute(insert(Event), events)
            await session.execute(insert(OddsSnapshot), snapshots)
            for first in range(0, len(odds), 20_000):
                await session.execute(insert(Odds), odds[first : first + 20_000])
    finally:
        await db.dispose()
    return len(odds)


async def median_ms(call: Callable[[], Awaitable[Any]], runs: int) -> float:
    for _ in range(2):
        await call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def measure(name: str, url: str, runs: int) -> float:
    rows = await load(url)
    database = Database.from_url(url)
    config = WebConfig(get_settings(), FrozenClock(AT), refresh_seconds=60)
    app = create_app(config, database=database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            first = await client.get("/board")
            assert first.status_code == 200, first.text[-500:]
            assert first.text.count('class="game"') == SLATE, "the slate is not on the board"

            async def page() -> None:
                response = await client.get("/board")
                assert response.status_code == 200

            async def api() -> None:
                response = await client.get("/api/board")
                assert response.status_code == 200

            async def query() -> None:
                async with database.session() as session:
                    boards = await screen_boards(
                        session, AT, sharp_books=config.sharp_books, hours=36.0
                    )
                board_payload(AT, boards)

            page_ms = await median_ms(page, runs)
            query_ms = await median_ms(query, runs)
            api_ms = await median_ms(api, runs)
    finally:
        await database.dispose()
    verdict = "ok" if page_ms < GOAL_MS else "OVER GOAL"
    print(
        f"{name:>8}: {rows:,} odds rows, {SLATE} games x {len(BOOKS)} books | "
        f"board page {page_ms:6.1f} ms (goal < {GOAL_MS:.0f} ms: {verdict}) | "
        f"JSON query {query_ms:6.1f} ms | /api/board {api_ms:6.1f} ms | "
        f"page / query {page_ms / query_ms:4.2f}x"
    )
    return page_ms


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    results = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            results["sqlite"] = await measure("sqlite", f"sqlite+aiosqlite:///{path}", args.runs)
    if args.backend in ("postgres", "both"):
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        results["postgres"] = await measure("postgres", url, args.runs)
    if any(ms >= GOAL_MS for ms in results.values()):
        raise SystemExit(f"board page over {GOAL_MS:.0f} ms: {results}")


if __name__ == "__main__":
    asyncio.run(main())

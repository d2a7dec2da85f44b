"""As-of reads on a season-sized odds table, on PostgreSQL and SQLite.

Builds ~3.8 million synthetic but realistically shaped odds rows (1,300 events x 8 books x
3 markets x 2 outcomes x ~60 snapshots from four days out to tip-off, plus two in-play
snapshots), then measures through the query layer:

* the season load: every event's board as of one hour before its tip, in one statement
  (:func:`oddscore.queries.asof.odds_before_tip`), materialized as ``Quote`` rows. Goal < 1 s.
* a single-event as-of lookup (:func:`oddscore.queries.asof.odds_as_of`) at random times,
  p50 over many lookups. Goal < 5 ms.

Each figure is also printed as a ratio to a baseline measured in the same run: the season
load against ``SELECT count(*) FROM odds`` (a full pass over the same rows), the single
lookup against a primary-key read of one event row (one round trip).

Run: ``uv run python -m benchmarks.asof [--events 1300] [--backend postgres|sqlite|both]``.
PostgreSQL comes from ``BENCH_DATABASE_URL`` (default: a database ``odds_bench`` on
127.0.0.1:5432, created and overwritten); SQLite is a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from benchmarks._database import fresh_database
from oddscore.config import DEFAULT_BOOKMAKERS
from oddscore.queries._sql import EVENTS
from oddscore.queries.asof import odds_as_of, odds_before_tip, odds_before_tip_statement
from oddscore.storage.engine import Database
from oddscore.storage.migrate import upgrade

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_bench"
BOOKS = list(DEFAULT_BOOKMAKERS)
SEASON_START = datetime(2023, 10, 24, tzinfo=UTC)
# Hours before tip of each snapshot: every 2 h from 4 days out, every 15 min in the last 3 h,
# then two in-play snapshots (which no pre-game read may return).
OFFSETS_H = [h / 1.0 for h in range(96, 3, -2)] + [h / 4 for h in range(12, 0, -1)] + [-0.5, -1.5]
LEAD = timedelta(hours=1)
STALENESS = timedelta(hours=24)
MARKETS = ["h2h", "spreads", "totals"]


def season(n_events: int, seed: int = 7) -> list[tuple[str, datetime, str, str]]:
    rng = random.Random(seed)
    teams = [f"Team {i:02d}" for i in range(30)]
    events = []
    day = 0
    while len(events) < n_events:
        for slot in range(min(rng.randint(4, 11), n_events - len(events))):
            tip = SEASON_START + timedelta(days=day, hours=23, minutes=30 * (slot % 8))
            home, away = rng.sample(teams, 2)
            events.append((f"{rng.getrandbits(128):032x}", tip, home, away))
        day += 1
    return events


def odds_rows(
    events: list[tuple[str, datetime, str, str]], seed: int = 11
) -> Iterator[tuple[Any, ...]]:
    """(snapshot_no, event_id, book, market, outcome, price, point, taken) per quote."""
    rng = random.Random(seed)
    snap = 0
    for event_id, tip, home, away in events:
        spread = rng.choice([-9.5, -6.5, -4.5, -2.5, 1.5, 3.5, 5.5])
        total = rng.choice([218.5, 224.0, 229.5, 233.5])
        fav = rng.randint(-260, -105)
        for offset in OFFSETS_H:
            snap += 1
            taken = tip - timedelta(hours=offset)
            drift = rng.choice([-1.0, -0.5, 0.0, 0.0, 0.5, 1.0])
            spread += drift
            for book in BOOKS:
                price = fav + rng.randint(-8, 8)
                dog = -price - rng.randint(15, 30)
                dog = dog if dog >= 100 else 100
                yield snap, event_id, book, "h2h", home, price, None, taken
                yield snap, event_id, book, "h2h", away, dog, None, taken
                yield snap, event_id, book, "spreads", home, -110, spread, taken
                yield snap, event_id, book, "spreads", away, -110, -spread, taken
                yield (
                    snap,
                    event_id,
                    book,
                    "totals",
                    "Over",
                    -110 + rng.randint(-5, 5),
                    total,
                    taken,
                )
                yield snap, event_id, book, "totals", "Under", -110, total, taken


def snapshots(events: list[tuple[str, datetime, str, str]]) -> Iterator[tuple[int, str, datetime]]:
    snap = 0
    for event_id, tip, _home, _away in events:
        for offset in OFFSETS_H:
            snap += 1
            yield snap, event_id, tip - timedelta(hours=offset)


async def load_postgres(url: str, events: list[tuple[str, datetime, str, str]]) -> int:
    import asyncpg

    await fresh_database(url)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    now = datetime.now(UTC)
    try:
        # Load without the odds index, then build it: the same end state, much faster.
        await conn.execute("DROP INDEX ix_odds_event_market_book_time")
        await conn.copy_records_to_table(
            "events",
            records=[
                (e, "basketball_nba", "NBA", tip, h, a, "scheduled", now, now)
                for e, tip, h, a in events
            ],
            columns=[
                "id",
                "sport_key",
                "sport_title",
                "commence_time",
                "home_team",
                "away_team",
                "status",
                "created_at",
                "updated_at",
            ],
        )
        await conn.copy_records_to_table(
            "odds_snapshots",
            records=[(i, e, t, "{}", 8, "live", now) for i, e, t in snapshots(events)],
            columns=[
                "id",
                "event_id",
                "snapshot_time",
                "raw_data",
                "bookmaker_count",
                "source",
                "created_at",
            ],
        )
        batch: list[tuple[Any, ...]] = []
        columns = [
            "snapshot_id",
            "event_id",
            "bookmaker_key",
            "bookmaker_title",
            "market_key",
            "outcome_name",
            "price",
            "point",
            "odds_timestamp",
            "last_update",
            "is_valid",
            "created_at",
        ]
        for snap, e, book, market, outcome, price, point, taken in odds_rows(events):
            batch.append(
                (snap, e, book, book, market, outcome, price, point, taken, taken, True, now)
            )
            if len(batch) >= 200_000:
                await conn.copy_records_to_table("odds", records=batch, columns=columns)
                batch = []
        if batch:
            await conn.copy_records_to_table("odds", records=batch, columns=columns)
        await conn.execute(
            "CREATE INDEX ix_odds_event_market_book_time "
            "ON odds (event_id, market_key, bookmaker_key, odds_timestamp)"
        )
        await conn.execute("VACUUM ANALYZE")
        return int(await conn.fetchval("SELECT count(*) FROM odds"))
    finally:
        await conn.close()


async def _count(url: str) -> int:
    db = Database.from_url(url)
    try:
        async with db.session() as session:
            return int((await session.execute(text("SELECT count(*) FROM odds"))).scalar_one())
    finally:
        await db.dispose()


def _sqlite_text(value: datetime) -> str:
    # The text layout SQLAlchemy's DateTime writes on SQLite (UTC, six-digit microseconds).
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: Path, events: list[tuple[str, datetime, str, str]]) -> int:
    upgrade(f"sqlite+aiosqlite:///{path}")
    now = _sqlite_text(datetime.now(UTC))
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("DROP INDEX ix_odds_event_market_book_time")
        conn.executemany(
            "INSERT INTO events (id, sport_key, sport_title, commence_time, home_team, "
            "away_team, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (e, "basketball_nba", "NBA", _sqlite_text(tip), h, a, "scheduled", now, now)
                for e, tip, h, a in events
            ],
        )
        conn.executemany(
            "INSERT INTO odds_snapshots (id, event_id, snapshot_time, raw_data, "
            "bookmaker_count, source, created_at) VALUES (?,?,?,?,?,?,?)",
            ((i, e, _sqlite_text(t), "{}", 8, "live", now) for i, e, t in snapshots(events)),
        )
        texts: dict[datetime, str] = {}

        def rows() -> Iterator[tuple[Any, ...]]:
            for snap, e, book, market, outcome, price, point, taken in odds_rows(events):
                stamp = texts.get(taken)
                if stamp is None:
                    stamp = texts[taken] = _sqlite_text(taken)
                yield snap, e, book, book, market, outcome, price, point, stamp, stamp, 1, now

        conn.executemany(
            "INSERT INTO odds (snapshot_id, event_id, bookmaker_key, bookmaker_title, "
            "market_key, outcome_name, price, point, odds_timestamp, last_update, is_valid, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows(),
        )
        conn.execute(
            "CREATE INDEX ix_odds_event_market_book_time "
            "ON odds (event_id, market_key, bookmaker_key, odds_timestamp)"
        )
        conn.commit()
        conn.execute("ANALYZE")
        return int(conn.execute("SELECT count(*) FROM odds").fetchone()[0])
    finally:
        conn.close()


def _median_time(timings: list[float]) -> float:
    return statistics.median(timings)


async def measure(
    url: str, events: list[tuple[str, datetime, str, str]], repeats: int, lookups: int
) -> dict[str, float]:
    db = Database.from_url(url)
    start = events[0][1] - timedelta(days=1)
    end = events[-1][1] + timedelta(days=1)
    rng = random.Random(3)
    out: dict[str, float] = {}
    try:
        async with db.session() as session:
            await session.execute(text("SELECT count(*) FROM odds"))  # warm the cache
            scans, loads, general = [], [], []
            quotes: list[Any] = []
            for _ in range(repeats):
                t = time.perf_counter()
                await session.execute(text("SELECT count(*) FROM odds"))
                scans.append(time.perf_counter() - t)
                t = time.perf_counter()
                quotes = await odds_before_tip(
                    session,
                    start,
                    end,
                    lead=LEAD,
                    max_staleness=STALENESS,
                    bookmakers=BOOKS,
                    markets=MARKETS,
                )
                loads.append(time.perf_counter() - t)
            for _ in range(max(1, repeats // 2)):
                t = time.perf_counter()
                unfiltered = await odds_before_tip(
                    session, start, end, lead=LEAD, max_staleness=STALENESS
                )
                general.append(time.perf_counter() - t)
                assert len(unfiltered) == len(quotes)
            out["scan_s"] = _median_time(scans)
            out["season_s"] = _median_time(loads)
            out["season_general_s"] = _median_time(general)
            out["season_quotes"] = len(quotes)
            out["season_events"] = len({q.event_id for q in quotes})
            assert all(q.odds_timestamp <= q.as_of for q in quotes)

            picks = [rng.choice(events) for _ in range(lookups)]
            by_pk = select(EVENTS.c.id, EVENTS.c.commence_time).where(EVENTS.c.id == picks[0][0])
            await session.execute(by_pk)
            pk_times, single_times = [], []
            for i, (event_id, tip, _h, _a) in enumerate(picks):
                filtered = i % 2 == 0
                at = tip - timedelta(minutes=rng.randint(0, 48 * 60))
                t = time.perf_counter()
                await session.execute(
                    select(EVENTS.c.id, EVENTS.c.commence_time).where(EVENTS.c.id == event_id)
                )
                pk_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                board = await odds_as_of(
                    session,
                    event_id,
                    at,
                    max_staleness=STALENESS,
                    bookmakers=BOOKS if filtered else None,
                    markets=MARKETS if filtered else None,
                )
                single_times.append(time.perf_counter() - t)
                assert len(board) == len(BOOKS) * 6
            out["pk_p50_ms"] = statistics.median(pk_times) * 1000
            out["single_p50_ms"] = statistics.median(single_times) * 1000
            out["single_filtered_p50_ms"] = statistics.median(single_times[::2]) * 1000
            out["single_general_p50_ms"] = statistics.median(single_times[1::2]) * 1000
            out["single_p95_ms"] = statistics.quantiles(single_times, n=20)[-1] * 1000
            out["rows"] = float(
                (await session.execute(text("SELECT count(*) FROM odds"))).scalar_one()
            )
    finally:
        await db.dispose()
    return out


async def explain(url: str, events: list[tuple[str, datetime, str, str]]) -> str:
    """EXPLAIN ANALYZE of the season statement (PostgreSQL), for the report."""
    db = Database.from_url(url)
    start = events[0][1] - timedelta(days=1)
    end = events[-1][1] + timedelta(days=1)
    statement = odds_before_tip_statement(
        start, end, lead=LEAD, max_staleness=STALENESS, bookmakers=BOOKS, markets=MARKETS
    )
    try:
        async with db.engine.connect() as conn:
            sql = str(
                statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
            )
            result = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))
            return "\n".join(row[0] for row in result)
    finally:
        await db.dispose()


def report(name: str, figures: dict[str, float]) -> None:
    print(f"\n{name}: {int(figures['rows']):,} odds rows")
    print(
        f"  season as-of load ({int(figures['season_events'])} events, "
        f"{int(figures['season_quotes']):,} quotes, decision = tip - 1 h): "
        f"{figures['season_s']:.3f} s  (goal < 1 s)  = "
        f"{figures['season_s'] / figures['scan_s']:.2f} x SELECT count(*) "
        f"({figures['scan_s'] * 1000:.0f} ms)"
    )
    print(
        f"    (books and markets given: index probes; without them the general plan takes "
        f"{figures['season_general_s']:.3f} s = "
        f"{figures['season_general_s'] / figures['scan_s']:.2f} x count)"
    )
    print(
        f"  single-event as-of lookup p50: {figures['single_p50_ms']:.2f} ms "
        f"(p95 {figures['single_p95_ms']:.2f} ms; goal < 5 ms)  = "
        f"{figures['single_p50_ms'] / figures['pk_p50_ms']:.2f} x a primary-key read "
        f"({figures['pk_p50_ms']:.2f} ms)"
    )
    print(
        f"    (with books+markets {figures['single_filtered_p50_ms']:.2f} ms, "
        f"without {figures['single_general_p50_ms']:.2f} ms)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1300)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--explain", action="store_true", help="print the PostgreSQL plan")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already loaded PostgreSQL table"
    )
    args = parser.parse_args()
    events = season(args.events)
    results: dict[str, dict[str, float]] = {}
    if args.backend in ("postgres", "both"):
        url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG)
        t = time.perf_counter()
        rows = await (_count(url) if args.reuse else load_postgres(url, events))
        print(f"PostgreSQL: loaded {rows:,} odds rows in {time.perf_counter() - t:.1f} s")
        results["PostgreSQL"] = await measure(url, events, args.repeats, args.lookups)
        if args.explain:
            print(await explain(url, events))
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            t = time.perf_counter()
            rows = await asyncio.to_thread(load_sqlite, path, events)
            print(f"SQLite: loaded {rows:,} odds rows in {time.perf_counter() - t:.1f} s")
            results["SQLite"] = await measure(
                f"sqlite+aiosqlite:///{path}", events, args.repeats, args.lookups
            )
    for name, figures in results.items():
        report(name, figures)


if __name__ == "__main__":
    asyncio.run(main())

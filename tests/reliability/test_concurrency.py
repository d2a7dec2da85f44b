"""Concurrency: the same new event from two payloads at once, and fetch-odds, a backfill and a
backtest running together on one database, without lost rows, duplicates or deadlocks."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from oddscore.backfill.executor import CallStatus, Executor
from oddscore.backfill.planner import PlanSettings, build_plan
from oddscore.backfill.selection import select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import run_backtest
from oddscore.backtest.results import BacktestResult
from oddscore.clock import as_utc
from oddscore.config import Settings
from oddscore.ingestion import store
from oddscore.ingestion.fetch import fetch_current
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.simulator import simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.migrate import upgrade
from oddscore.storage.models import Event, Odds, OddsSnapshot
from tests.reliability.conftest import NOW, SPORT, fault_app, make_client, odds_event

OPTIONS = IngestOptions(expected_bookmakers=None, expected_markets=None)
OLD_TIP = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
NEW_TIP = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
EARLY = datetime(2026, 11, 20, 10, tzinfo=UTC)
LATE = datetime(2026, 11, 20, 11, tzinfo=UTC)


async def _event(db: Database, event_id: str) -> Event:
    async with db.session() as session:
        return (await session.execute(select(Event).where(Event.id == event_id))).scalar_one()


async def _count(db: Database, model: type, *where: object) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(model)
        if where:
            query = query.where(*where)  # type: ignore[arg-type]
        return int((await session.execute(query)).scalar_one())


async def test_two_payloads_listing_the_same_new_event_at_once(db: Database) -> None:
    """A third writer holds the new row uncommitted while both payloads are ingested; the older
    payload must not win, whichever commits last. (On PostgreSQL the second waits for the
    event-resolution lock; the ``last_seen_at`` guard of the upsert still decides.)"""
    event_id = "race" + "0" * 28
    holder = await db.engine.connect()
    tx = await holder.begin()
    await holder.execute(
        Event.__table__.insert().values(  # type: ignore[attr-defined]
            id=event_id,
            sport_key=SPORT,
            sport_title="NBA",
            commence_time=OLD_TIP - timedelta(hours=5),
            home_team="Boston Celtics",
            away_team="Miami Heat",
            status="scheduled",
            last_seen_at=EARLY - timedelta(days=1),
            created_at=EARLY,
            updated_at=EARLY,
        )
    )
    ingests = asyncio.gather(
        ingest_odds(db, [odds_event(event_id, NEW_TIP)], snapshot_time=LATE, options=OPTIONS),
        ingest_odds(db, [odds_event(event_id, OLD_TIP)], snapshot_time=EARLY, options=OPTIONS),
    )
    await asyncio.sleep(0.5)  # both have planned an insert and now wait on the held row
    await tx.commit()
    await holder.close()
    late, early = await ingests
    assert late.snapshots_inserted == early.snapshots_inserted == 1
    event = await _event(db, event_id)
    assert as_utc(event.commence_time) == NEW_TIP  # the newer payload won
    assert as_utc(event.last_seen_at) == LATE  # type: ignore[arg-type]
    assert await _count(db, OddsSnapshot, OddsSnapshot.event_id == event_id) == 2
    assert await _count(db, Odds, Odds.event_id == event_id) == 4


async def test_ingestion_waits_while_another_writer_resolves_event_ids(db: Database) -> None:
    """Which stored event an id is gets decided by one transaction at a time: PostgreSQL's
    event-resolution advisory lock, SQLite's write lock. An ingestion started while another
    transaction holds it reads nothing until that one ends, so it sees its merges."""
    async with db.engine.begin() as holder:
        if db.dialect == "postgresql":
            await store.lock_events(holder)
        else:
            await holder.exec_driver_sql("BEGIN IMMEDIATE")
        waiting = asyncio.ensure_future(
            ingest_odds(
                db, [odds_event("wait" + "0" * 28, NEW_TIP)], snapshot_time=LATE, options=OPTIONS
            )
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()
    result = await asyncio.wait_for(waiting, timeout=30)
    assert result.snapshots_inserted == 1


async def test_newer_payload_wins_in_either_order_under_gather(db: Database) -> None:
    ids = [f"pair{i:02d}" + "0" * 26 for i in range(8)]
    # One game a day: the same teams on one US date would be one game under two ids.
    days = [timedelta(days=i) for i in range(len(ids))]
    for index, (event_id, day) in enumerate(zip(ids, days, strict=True)):
        late = ingest_odds(
            db, [odds_event(event_id, NEW_TIP + day)], snapshot_time=LATE, options=OPTIONS
        )
        early = ingest_odds(
            db, [odds_event(event_id, OLD_TIP + day)], snapshot_time=EARLY, options=OPTIONS
        )
        results = await asyncio.gather(*((late, early) if index % 2 else (early, late)))
        assert sum(r.snapshots_inserted for r in results) == 2
    for event_id, day in zip(ids, days, strict=True):
        event = await _event(db, event_id)
        assert as_utc(event.commence_time) == NEW_TIP + day
    assert await _count(db, Event) == len(ids)
    assert await _count(db, OddsSnapshot) == 2 * len(ids)


async def test_fetch_backfill_and_backtest_at_once_on_one_database(db: Database) -> None:
    """No deadlock, no lost row: every snapshot holds exactly the quotes of its raw payload."""
    app = fault_app(quota=1_000_000)
    client, _ = make_client(app=app)
    books = ["draftkings", "fanduel", "betmgm"]
    async with client:
        games, credits, _ = await endpoint_games(
            client, SPORT, date(2026, 11, 10), date(2026, 11, 12)
        )
        settings = PlanSettings(
            sport=SPORT, start=date(2026, 11, 10), end=date(2026, 11, 12), bookmakers=books
        )
        plan = build_plan(
            select_games(games, count=4), settings, now=NOW, selection_source="endpoint"
        )
        executor = Executor(db, client, plan)
        config = BacktestConfig(
            start=datetime(2026, 11, 9, tzinfo=UTC), end=datetime(2026, 11, 13, tzinfo=UTC)
        )
        live_settings = Settings(_env_file=None)  # type: ignore[call-arg]
        report, paid, backtest = await asyncio.wait_for(
            asyncio.gather(
                executor.execute(concurrency=4),
                fetch_current(db, client, sport=SPORT, settings=live_settings, flow_name="t"),
                run_backtest(db, "flat", config),
            ),
            timeout=60,
        )
    live = paid.stored
    assert live is not None
    assert all(o.status is CallStatus.DONE for o in report.outcomes)
    targets = sum(len(call.targets) for call in plan.calls)
    assert live.snapshots_inserted > 0
    assert await _count(db, OddsSnapshot) == targets + live.snapshots_inserted
    assert await _count(db, Odds) >= live.odds_rows
    assert report.credits_spent == plan.costs.grouped
    live_cost = 3  # /odds: 3 markets x 1 region (8 books)
    assert simulator_of(app).ledger.used == credits + plan.costs.grouped + live_cost
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OddsSnapshot.id, OddsSnapshot.raw_data, func.count(Odds.id))
                .join(Odds, Odds.snapshot_id == OddsSnapshot.id, isouter=True)
                .group_by(OddsSnapshot.id, OddsSnapshot.raw_data)
            )
        ).all()
    for _, raw, stored in rows:
        quoted = sum(
            len(market["outcomes"]) for book in raw["bookmakers"] for market in book["markets"]
        )
        assert stored == quoted
    # It ran to the end beside the writers and produced a whole result.
    assert BacktestResult.from_json(backtest.to_json()) == backtest


def test_migrated_sqlite_file_is_born_in_wal_mode(tmp_path: Path) -> None:
    """Several engines opening a rollback-journal file at once each try to switch it to WAL,
    and that switch fails with "database is locked" whatever the busy timeout; so a migrated
    file must already be WAL (bytes 18 and 19 of the header are 2) before any writer opens it."""
    path = tmp_path / "fresh.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    header = path.read_bytes()[:20]
    assert (header[18], header[19]) == (2, 2)


async def test_sqlite_concurrent_writers_all_land(tmp_path: Path, sqlite_template: Path) -> None:
    """WAL, a 30 s busy timeout and write transactions that take the lock up front
    (``BEGIN IMMEDIATE``) make concurrent writers wait their turn: every payload lands whole.
    (A deferred transaction that read first would be refused at once with "database is
    locked", which the busy timeout does not cover.)"""
    path = tmp_path / "odds.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    writers = [Database.from_url(url) for _ in range(4)]  # four processes' engines
    try:
        payloads = [
            [
                odds_event(f"w{w}e{e:02d}" + "0" * 26, NEW_TIP + timedelta(days=5 * w + e))
                for e in range(5)
            ]
            for w in range(4)
        ]

        def ingest(index: int, round_: int) -> Any:
            return ingest_odds(
                writers[index],
                payloads[index],
                snapshot_time=LATE + timedelta(minutes=10 * round_ + index),
                options=OPTIONS,
            )

        # Several rounds: a lock refusal depends on timing, so give it chances to show.
        for round_ in range(3):
            outcomes = await asyncio.gather(
                *(ingest(i, round_) for i in range(4)), return_exceptions=True
            )
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            assert refused == []
            assert [o.snapshots_inserted for o in outcomes] == [5, 5, 5, 5]  # type: ignore[union-attr]
        assert await _count(writers[0], OddsSnapshot) == 60
        assert await _count(writers[0], Odds) == 120
        async with writers[0].engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        assert mode == "wal" and timeout == 30_000
    finally:
        for writer in writers:
            await writer.dispose()

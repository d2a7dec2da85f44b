"""Odds rows always have their snapshot and event, although the schema no longer checks it.

``odds.snapshot_id`` and ``odds.event_id`` are not foreign keys (checking them tripled the
cost of the COPY, see oddscore/storage/models.py). These tests hold the pipeline to what the
constraints used to guarantee: every odds row points at a stored snapshot of the same event
and time, and at a stored event, after successes, failed transactions, merges and replays.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import and_, func, inspect, or_, select, text

from oddscore.exceptions import StorageError
from oddscore.ingestion.files import import_snapshots
from oddscore.storage import Database, Event, Odds, OddsSnapshot
from tests.ingestion.conftest import TAKEN, TIP, archive_dir, book, event, violated_odds_index
from tests.ingestion.test_pipeline import OPTIONS, counts, ingest


async def orphans(db: Database) -> int:
    """Odds rows without their snapshot, without their event, or disagreeing with either."""
    snapshot = OddsSnapshot.__table__.alias("s")  # type: ignore[attr-defined]
    events = Event.__table__.alias("e")  # type: ignore[attr-defined]
    odds = Odds.__table__  # type: ignore[attr-defined]
    statement = (
        select(func.count())
        .select_from(
            odds.outerjoin(snapshot, snapshot.c.id == odds.c.snapshot_id).outerjoin(
                events, events.c.id == odds.c.event_id
            )
        )
        .where(
            or_(
                snapshot.c.id.is_(None),
                events.c.id.is_(None),
                snapshot.c.event_id != odds.c.event_id,
                snapshot.c.snapshot_time != odds.c.odds_timestamp,
            )
        )
    )
    async with db.session() as session:
        return int((await session.execute(statement)).scalar_one())


async def test_odds_table_has_no_foreign_keys_but_rows_keep_their_parents(db: Database) -> None:
    async with db.engine.connect() as conn:
        keys = await conn.run_sync(lambda sync: inspect(sync).get_foreign_keys("odds"))
    assert keys == []
    await ingest(db, [event(1), event(2, books=[book("fanduel")])])
    assert (await counts(db))["odds"] == 18
    assert await orphans(db) == 0


async def test_the_orphan_check_sees_a_row_without_its_snapshot(db: Database) -> None:
    # The check above must be able to fail: a row written behind the pipeline's back.
    await ingest(db, [event(1)])
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO odds (snapshot_id, event_id, bookmaker_key, bookmaker_title, "
                "market_key, outcome_name, price, odds_timestamp, is_valid, created_at) "
                "SELECT snapshot_id + 1000, event_id, bookmaker_key, bookmaker_title, "
                "market_key, outcome_name, price, odds_timestamp, is_valid, created_at "
                "FROM odds WHERE id = (SELECT min(id) FROM odds)"
            )
        )
    assert await orphans(db) == 1


async def test_a_failed_payload_leaves_no_odds_row_behind(db: Database) -> None:
    # The COPY of the third event's rows fails after the first two events' snapshots and rows
    # went out in the same transaction: the rollback takes all of them, nothing dangles.
    await ingest(db, [event(1)], taken=TAKEN - timedelta(hours=6))
    before = await counts(db)
    async with violated_odds_index(db, "bookmaker_key", "bookmaker_key = 'boom'"):
        payload = [event(1), event(2, books=[book("boom")]), event(3, books=[book("boom")])]
        with pytest.raises(StorageError, match="nothing stored"):
            await ingest(db, payload)
    assert await counts(db) == before
    assert await orphans(db) == 0
    result = await ingest(db, [event(1), event(2, books=[book("fanduel")])])
    assert (result.snapshots_inserted, result.odds_rows) == (2, 18)
    assert await orphans(db) == 0


async def test_merged_ids_move_every_odds_row_with_their_event(db: Database) -> None:
    early = TAKEN - timedelta(days=30)
    placeholder = event(
        event_id="a" * 32, commence=TIP - timedelta(minutes=70), books=[book(updated=early)]
    )
    game_day = event(event_id="b" * 32, commence=TIP)
    await ingest(db, [placeholder], taken=early)
    await ingest(db, [game_day], taken=TAKEN)
    # Same time under both ids: the clashing copy of the loser is dropped with its rows.
    await ingest(db, [event(event_id="c" * 32, commence=TIP)], taken=TAKEN)
    async with db.session() as session:
        owners = set((await session.execute(select(Odds.event_id))).scalars())
        stored = set((await session.execute(select(Event.id))).scalars())
        per_snapshot = (
            await session.execute(
                select(func.count()).select_from(
                    OddsSnapshot.__table__.join(  # type: ignore[attr-defined]
                        Odds.__table__,  # type: ignore[attr-defined]
                        and_(Odds.snapshot_id == OddsSnapshot.id),
                    )
                )
            )
        ).scalar_one()
    assert owners <= stored and len(stored) == 1
    assert per_snapshot == (await counts(db))["odds"]
    assert await orphans(db) == 0


async def test_an_archive_import_interrupted_by_a_failure_leaves_no_orphans(
    db: Database,
) -> None:
    """Real files, one transaction per group: a failing group leaves nothing of its own."""
    week = {"seasons": ["2023-2024"], "start": date(2023, 10, 24), "end": date(2023, 10, 31)}
    archive = archive_dir()
    late_h2h = "market_key = 'h2h' AND odds_timestamp > '2023-10-28'"
    async with violated_odds_index(db, "market_key", late_h2h):
        with pytest.raises(StorageError):
            await import_snapshots(db, archive, options=OPTIONS, batch_files=4, **week)
    partial = await counts(db)
    assert 0 < partial["odds"] and await orphans(db) == 0
    summary = await import_snapshots(db, archive, options=OPTIONS, batch_files=4, **week)
    assert summary.result.odds_rows == (await counts(db))["odds"] - partial["odds"] > 0
    assert await orphans(db) == 0

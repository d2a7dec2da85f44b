"""Set-based import groups: a constant number of statements per group, the same rows as
writing file by file, and no half-written group when a snapshot appears behind its back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from oddscore.exceptions import StorageError
from oddscore.ingestion import store
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pending import PendingRows
from oddscore.ingestion.quotes import Quote
from oddscore.storage import Database, Odds, OddsSnapshot
from tests.ingestion.conftest import NOW, TAKEN, TIP, book, event, iso
from tests.ingestion.ingest_digest import digest
from tests.ingestion.test_pipeline import OPTIONS, counts

FILES = 40


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def executed(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", executed)


def write_season(folder: Path, hours: range = range(FILES)) -> None:
    """An odds file an hour for ``FILES`` hours, three games each, prices drifting, and an
    events file listing the games with a moved tip-off half way."""
    for hour in hours:
        taken = TAKEN - timedelta(hours=FILES - hour)
        games = []
        for n in range(3):
            price = -150 + hour * 5 if n == 0 else -120 + n
            books = [book(h2h=(price, 130), updated=taken - timedelta(minutes=1))]
            home, away = f"Home {n}", f"Away {n}"
            books = [
                book(h2h=(price, 130), updated=taken - timedelta(minutes=1), home=home, away=away)
            ]
            games.append(
                event(n + 1, books=books, home=home, away=away, commence=TIP + timedelta(hours=n))
            )
        payload = {"timestamp": iso(taken), "data": games}
        (folder / f"odds_{taken:%Y-%m-%d_%H%M}.json").write_text(json.dumps(payload))


async def test_a_group_costs_the_same_statements_for_one_file_or_forty(
    db: Database, tmp_path: Path
) -> None:
    write_season(tmp_path)
    with counted(db) as statements:
        summary = await import_snapshots(db, tmp_path, options=OPTIONS, batch_files=FILES)
    assert summary.odds_files == FILES and summary.result.snapshots_inserted == 3 * FILES
    # Per group: the lock (PostgreSQL) or BEGIN (SQLite), planning settings, aliases, events,
    # nearby events, snapshot keys, previous quotes, then one write per table. Written file
    # by file it was ~6 statements a file (240 here).
    assert len(statements) <= 12, statements
    assert (await counts(db))["odds"] == summary.result.odds_rows > 0


async def test_a_group_over_partly_stored_files_stores_what_file_by_file_stores(
    db: Database, tmp_path: Path
) -> None:
    """Every other file stored first, then all of them in one group: the group must read the
    stored snapshots between its own (previous quotes, repeats) exactly as one file a
    transaction does."""
    found = {}
    for batch_files in (1, FILES):
        odd, every = tmp_path / f"odd{batch_files}", tmp_path / f"all{batch_files}"
        odd.mkdir()
        every.mkdir()
        write_season(odd, range(1, FILES, 2))
        write_season(every)
        await import_snapshots(db, odd, options=OPTIONS, batch_files=batch_files)
        second = await import_snapshots(db, every, options=OPTIONS, batch_files=batch_files)
        assert second.result.snapshots_inserted == 3 * (FILES // 2)
        assert second.result.snapshots_skipped == 3 * (FILES // 2)
        async with db.engine.begin() as conn:
            found[batch_files] = await digest(conn)
            for table in ("odds", "data_quality_logs", "odds_snapshots", "events"):
                await conn.exec_driver_sql(f"DELETE FROM {table}")
    assert found[FILES]["findings_by_issue"].get("price_jump", 0) > 0
    assert found[FILES] == found[1]


async def test_a_snapshot_stored_behind_the_groups_back_stops_it_whole(db: Database) -> None:
    """Every writer takes the event lock, so this cannot happen; if it did, writing on would
    store rows twice or without their snapshot: the group refuses and nothing is stored."""
    pending = PendingRows()
    row = {
        "event_id": "e" * 32,
        "snapshot_time": TAKEN,
        "raw_data": {},
        "bookmaker_count": 0,
        "source": "import",
        "created_at": NOW,
    }
    events = [
        {
            "id": "e" * 32,
            "sport_key": "basketball_nba",
            "sport_title": "NBA",
            "commence_time": TIP,
            "home_team": "A",
            "away_team": "B",
            "status": "scheduled",
            "last_seen_at": TAKEN,
            "created_at": NOW,
            "updated_at": NOW,
        }
    ]
    quote = Quote("draftkings", "DK", "h2h", "A", None, -110, -110, None, TAKEN)

    async def work(conn: Any) -> None:
        await store.upsert_events(conn, events)
        await store.insert_snapshots(conn, [dict(row)])  # the other writer
        pending.add(dict(row), [quote], [])
        await pending.flush(conn)

    with pytest.raises(StorageError, match="another writer"):
        await store.transaction(db, work)
    async with db.session() as session:
        stored = (
            await session.execute(select(func.count()).select_from(OddsSnapshot))
        ).scalar_one()
        rows = (await session.execute(select(func.count()).select_from(Odds))).scalar_one()
    assert (stored, rows) == (0, 0)

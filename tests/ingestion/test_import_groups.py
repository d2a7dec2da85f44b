"""An import writes a group of files in one transaction and their odds rows with one COPY;
what a later file of the group reads must still see the earlier files' rows."""

from __future__ import annotations

import asyncio
import gc
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from oddscore.collector import no_full_collections
from oddscore.exceptions import StorageError
from oddscore.ingestion import files
from oddscore.ingestion.files import import_snapshots
from oddscore.storage import Database, DataQualityLog, Odds, OddsSnapshot
from tests.ingestion.conftest import TAKEN, book, event, iso
from tests.ingestion.test_pipeline import OPTIONS

HOURS = (0, 3, 6)  # three snapshots of one game, three hours apart
SPREADS = (-3.5, -9.5, -9.5)  # a 6-point jump at the second, none at the third


def write_files(folder: Path) -> None:
    for hours, spread in zip(HOURS, SPREADS, strict=True):
        taken = TAKEN + timedelta(hours=hours)
        books = [book(spread=(spread, -110, -110), updated=taken - timedelta(minutes=1))]
        payload = {"timestamp": iso(taken), "data": [event(1, books=books)]}
        name = f"odds_{taken:%Y-%m-%d}_{taken:%H%M}.json"
        (folder / name).write_text(json.dumps(payload))


@pytest.mark.parametrize("batch_files", [1, 32], ids=["a-file-a-group", "one-group"])
async def test_line_jumps_see_the_previous_file_of_the_same_group(
    db: Database, tmp_path: Path, batch_files: int
) -> None:
    write_files(tmp_path)
    summary = await import_snapshots(db, tmp_path, options=OPTIONS, batch_files=batch_files)
    assert summary.failures == [] and summary.result.snapshots_inserted == 3
    async with db.session() as session:
        jumps = (
            await session.execute(
                select(DataQualityLog.snapshot_time, DataQualityLog.market_key).where(
                    DataQualityLog.issue_type == "line_jump"
                )
            )
        ).all()
        noted = (
            await session.execute(
                select(Odds.odds_timestamp).where(Odds.validation_notes == "line_jump").distinct()
            )
        ).scalars()
        noted_times = sorted(noted)
    # Only the second snapshot jumped: the first has nothing before it, and the third
    # compares with the second (held in the same group), not with the first.
    second = TAKEN + timedelta(hours=3)
    assert [(moment, market) for moment, market in jumps] == [(second, "spreads")]
    assert noted_times == [second]


@pytest.mark.parametrize("batch_files", [1, 32], ids=["a-file-a-group", "one-group"])
async def test_a_game_relisted_under_a_new_id_takes_the_held_rows_along(
    db: Database, tmp_path: Path, batch_files: int
) -> None:
    """The provider's second id of one game (SOURCES.md quirk 1) merges the first into it,
    moving its rows by event id; rows of the first still held in the group must move too."""
    first, second = "a" * 32, "b" * 32
    for hours, event_id in ((0, first), (3, second)):
        taken = TAKEN + timedelta(hours=hours)
        books = [book(updated=taken - timedelta(minutes=1))]
        payload = {"timestamp": iso(taken), "data": [event(event_id=event_id, books=books)]}
        (tmp_path / f"odds_{taken:%Y-%m-%d}_{taken:%H%M}.json").write_text(json.dumps(payload))
    summary = await import_snapshots(db, tmp_path, options=OPTIONS, batch_files=batch_files)
    assert summary.result.events_merged == 1 and summary.result.odds_rows == 12
    async with db.session() as session:
        stored = (await session.execute(select(Odds.event_id, Odds.snapshot_id))).all()
        snapshots = dict(
            (await session.execute(select(OddsSnapshot.id, OddsSnapshot.event_id))).all()
        )
    assert len(stored) == 12 and {event_id for event_id, _ in stored} == {second}
    assert {snapshots.get(snapshot_id) for _, snapshot_id in stored} == {second}


async def test_an_import_pauses_full_collections_and_restores_them(
    db: Database, tmp_path: Path
) -> None:
    write_files(tmp_path)
    before = gc.get_threshold()
    during: list[int] = []
    await import_snapshots(
        db, tmp_path, options=OPTIONS, on_file=lambda *_: during.append(gc.get_threshold()[2])
    )
    assert during == [2**30] * 3 and gc.get_threshold() == before
    (tmp_path / "odds_2024-01-01_broken.json").write_text("{not json")
    broken = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'no-schema.db'}")
    try:
        with pytest.raises(StorageError):  # no tables: the first group fails
            await import_snapshots(broken, tmp_path, options=OPTIONS)
    finally:
        await broken.dispose()
    assert gc.get_threshold() == before


async def test_overlapping_imports_share_one_pause() -> None:
    """The first import to finish must not end the pause of one still running, and the last
    must restore the threshold (not the paused one it would have read on entering)."""
    before = gc.get_threshold()
    first_in, second_in, first_out = asyncio.Event(), asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def first() -> None:
        with no_full_collections():
            first_in.set()
            await second_in.wait()
        first_out.set()

    async def second() -> None:
        await first_in.wait()
        with no_full_collections():
            second_in.set()
            await first_out.wait()
            seen.append(gc.get_threshold()[2])

    await asyncio.gather(first(), second())
    assert seen == [2**30] and gc.get_threshold() == before


async def test_an_unexpected_error_reading_ahead_stops_the_import_where_it_happened(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are parsed ahead in a thread: a bug there must surface from the import at the
    file it hit (the files before it stored), not be lost with the reader or hang it."""
    write_files(tmp_path)
    first, second = (f"{TAKEN + timedelta(hours=h):%H%M}.json" for h in HOURS[:2])
    load_file = files.load_file

    def failing(entry: files.ArchiveFile, *args: Any) -> files.LoadedFile:
        if entry.path.name.endswith(second):
            raise RuntimeError("a bug in the parser")
        return load_file(entry, *args)

    monkeypatch.setattr(files, "load_file", failing)
    stored: list[str] = []
    with pytest.raises(RuntimeError, match="a bug in the parser"):
        await import_snapshots(
            db,
            tmp_path,
            options=OPTIONS,
            batch_files=1,
            on_file=lambda entry, _: stored.append(entry.path.name),
        )
    assert [name[-9:] for name in stored] == [first]
    reading = [t for t in asyncio.all_tasks() if "_read_ahead" in repr(t.get_coro())]
    assert reading == []


async def test_the_reader_stays_a_group_of_rows_ahead(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed files wait for their group in memory: once ``batch_rows`` rows wait, the reader
    stops until the importer took them, so files of any size keep memory to about two
    groups (here a row bound of 1: never more than the next file read ahead)."""
    write_files(tmp_path)
    load_file = files.load_file
    events: list[str] = []

    def loading(entry: files.ArchiveFile, *args: Any) -> files.LoadedFile:
        events.append("read")
        return load_file(entry, *args)

    monkeypatch.setattr(files, "load_file", loading)
    summary = await import_snapshots(
        db, tmp_path, options=OPTIONS, batch_rows=1, on_file=lambda *_: events.append("stored")
    )
    assert summary.result.snapshots_inserted == 3
    ahead = [events[: i + 1].count("read") - events[:i].count("stored") for i in range(6)]
    assert events.count("read") == 3 and max(ahead) <= 2, events


async def test_the_reader_reads_on_as_soon_as_fewer_than_a_group_of_rows_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-ahead bound is on rows not taken yet. Bounding it by batches taken whole let
    the reader idle through a whole write whenever a group ended inside its batch, and then
    left the importer waiting on every file of the next group."""
    entries = [files.ArchiveFile(tmp_path / f"{i}.json", "events", None) for i in range(4)]
    read: list[int] = []
    third_read = asyncio.Event()
    loop = asyncio.get_running_loop()

    def loading(entries: Any, index: int, *_args: Any) -> files.LoadedFile:
        read.append(index)
        if index == 2:
            loop.call_soon_threadsafe(third_read.set)
        return files.LoadedFile(entries[index], "events", TAKEN, [], [object()] * 3)  # type: ignore[list-item]

    monkeypatch.setattr(files, "_load", loading)
    ready: asyncio.Queue[files.Loaded] = asyncio.Queue(maxsize=10)
    backlog = files._Backlog(5)  # three rows a file: the reader stops after its second file
    reader = asyncio.create_task(files._read_ahead(entries, OPTIONS, 1, ready, backlog))
    try:
        first = await ready.get()
        backlog.take(first.rows)  # type: ignore[union-attr]
        # The second file still waits (3 rows < 5): the reader must go on to the third.
        await asyncio.wait_for(third_read.wait(), timeout=30)
        # The event is set while the third file is read, before it is queued: wait for it.
        await asyncio.wait_for(_queued(ready, 2), timeout=30)
        assert read == [0, 1, 2] and ready.qsize() == 2
        assert backlog.rows == 6  # two files wait again: it stops there
    finally:
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader


def test_a_file_is_parsed_with_the_collector_paused_then_given_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file's JSON is ~100k containers and no cycle: young collector passes walked them all
    for nothing (~0.1 s of a season's parse). Paused while parsing, restored after."""
    write_files(tmp_path)
    collecting: list[bool] = []
    read = files._read_document

    def reading(*args: Any) -> Any:
        collecting.append(gc.isenabled())
        return read(*args)

    monkeypatch.setattr(files, "_read_document", reading)
    assert gc.isenabled()
    loaded = files.load_file(files.list_archive(tmp_path)[0], OPTIONS)
    assert collecting == [False] and gc.isenabled() and loaded.rows > 0


async def _queued(ready: asyncio.Queue[Any], count: int) -> None:
    while ready.qsize() < count:
        await asyncio.sleep(0.005)

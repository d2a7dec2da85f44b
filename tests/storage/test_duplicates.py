"""Rows stored twice before the event-resolution lock: migration 0004 refuses them, naming the
command, and `odds db doctor --fix` merges them keeping every odds row once; on both backends.

The damage is made the way concurrent imports made it: a game merged into its newer id (alias
recorded) and then its old id written back as an event with a snapshot of its own; a second
game stored under two ids by two writers that each read "not stored"; and one odds row
written twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.clock import FrozenClock
from oddscore.config import get_settings
from oddscore.exceptions import StorageError
from oddscore.ingestion.duplicates import find_duplicates
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.storage.engine import Database
from oddscore.storage.migrate import alembic_config, upgrade
from oddscore.storage.models import Event, EventAlias, Odds, OddsSnapshot
from tests.conftest import _prepare_postgres
from tests.reliability.conftest import NOW, odds_event

OPTIONS = IngestOptions(expected_bookmakers=None, expected_markets=None, clock=FrozenClock(NOW))
TIP = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
OLD_ID, NEW_ID = "a" * 32, "b" * 32  # one game: placeholder id, then game-day id
TWIN_1, TWIN_2 = "c" * 32, "d" * 32  # another game stored twice by two writers
FIRST = datetime(2026, 11, 20, 9, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 10, tzinfo=UTC)
REFUSAL = "odds db doctor --fix"
# The newest migration (later ones follow the duplicate check, so it is not always 0004).
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()  # type: ignore[arg-type]
T = TypeVar("T")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at revision 0003 (before the duplicate check)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        base = make_url(request.getfixturevalue("postgres_url"))
        url = base.set(database=f"{base.database}_migration").render_as_string(False)
        problem = asyncio.run(_prepare_postgres(url))
        assert problem is None, problem
    upgrade(url, "0003")
    return url


@pytest.fixture
async def old_db(old_url: str) -> AsyncIterator[Database]:
    db = Database.from_url(old_url)
    try:
        yield db
    finally:
        await db.dispose()


async def _copy_snapshot(db: Database, source: str, event_id: str, at: datetime) -> None:
    """A snapshot of ``event_id`` at ``at`` with the odds rows of ``source``'s snapshot: what
    a second writer stored under the other id."""
    async with db.engine.begin() as conn:
        snap = (
            await conn.execute(select(OddsSnapshot).where(OddsSnapshot.event_id == source))
        ).first()
        assert snap is not None
        new_id = (
            await conn.execute(
                insert(OddsSnapshot)
                .values(
                    event_id=event_id,
                    snapshot_time=at,
                    raw_data=snap.raw_data,
                    bookmaker_count=snap.bookmaker_count,
                    source="import",
                    created_at=NOW,
                )
                .returning(OddsSnapshot.id)
            )
        ).scalar_one()
        rows = (await conn.execute(select(Odds).where(Odds.snapshot_id == snap.id))).all()
        for row in rows:
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            values.update(snapshot_id=new_id, event_id=event_id, odds_timestamp=at)
            await conn.execute(insert(Odds).values(**values))


async def _damage(db: Database) -> None:
    await ingest_odds(db, [odds_event(OLD_ID, TIP)], snapshot_time=FIRST, options=OPTIONS)
    # The game-day id, listed later: ingestion merges the placeholder into it (alias kept).
    await ingest_odds(db, [odds_event(NEW_ID, TIP)], snapshot_time=LATER, options=OPTIONS)
    other = {"home": "Denver Nuggets", "away": "Utah Jazz"}
    await ingest_odds(
        db,
        [odds_event(TWIN_1, TIP + timedelta(days=2), **other)],
        snapshot_time=LATER,
        options=OPTIONS,
    )
    async with db.engine.begin() as conn:
        stored = (await conn.execute(select(Event).where(Event.id == NEW_ID))).one()._mapping
        twin = (await conn.execute(select(Event).where(Event.id == TWIN_1))).one()._mapping
        # The merged-away id upserted back, last seen at its old listing.
        await conn.execute(insert(Event).values({**stored, "id": OLD_ID, "last_seen_at": FIRST}))
        await conn.execute(insert(Event).values({**twin, "id": TWIN_2, "last_seen_at": FIRST}))
    await _copy_snapshot(db, NEW_ID, OLD_ID, FIRST - timedelta(hours=1))
    # The same payload stored under both ids: after the merge it is there once.
    await _copy_snapshot(db, NEW_ID, OLD_ID, LATER)
    await _copy_snapshot(db, TWIN_1, TWIN_2, FIRST)
    async with db.engine.begin() as conn:
        row = (await conn.execute(select(Odds).where(Odds.event_id == NEW_ID))).first()
        assert row is not None
        await conn.execute(
            insert(Odds).values({k: v for k, v in row._mapping.items() if k != "id"})
        )


async def _quotes(db: Database) -> list[tuple[Any, ...]]:
    """Every odds row as (game, snapshot time, book, market, outcome, price), sorted; the game
    is the event id after merging (aliases followed)."""
    async with db.engine.connect() as conn:
        aliases = dict((await conn.execute(select(EventAlias.alias_id, EventAlias.event_id))).all())
        rows = (
            await conn.execute(
                select(
                    Odds.event_id,
                    OddsSnapshot.snapshot_time,
                    Odds.bookmaker_key,
                    Odds.market_key,
                    Odds.outcome_name,
                    Odds.price,
                ).join(OddsSnapshot, OddsSnapshot.id == Odds.snapshot_id)
            )
        ).all()
    twins = {TWIN_2: TWIN_1}
    return sorted((twins.get(e, aliases.get(e, e)), t, *rest) for e, t, *rest in rows)


async def _counts(db: Database) -> tuple[int, ...]:
    found = []
    async with db.engine.connect() as conn:
        for model in (Event, OddsSnapshot, Odds):
            query = select(func.count()).select_from(model)
            found.append(int((await conn.execute(query)).scalar_one()))
    return tuple(found)


async def _revision(db: Database) -> str:
    async with db.engine.connect() as conn:
        return str((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar())


def _on(url: str, work: Callable[[Database], Awaitable[T]]) -> T:
    """``work`` on a database of its own, from a synchronous test (the CLI runs its own loop)."""

    async def go() -> T:
        db = Database.from_url(url, null_pool=True)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(go())


def test_upgrade_refuses_duplicates_until_the_doctor_merges_them(
    old_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on(old_url, _damage)
    before = _on(old_url, _quotes)
    assert _on(old_url, _counts) == (4, 6, 13)  # 2 games; 3 snapshots + 3 copies; 1 repeat

    with pytest.raises(StorageError, match=r"2 duplicate event\(s\) in 2 game\(s\), 1 repeated"):
        upgrade(old_url)
    assert _on(old_url, _revision) == "0003"  # nothing half-done

    monkeypatch.setenv("DATABASE_URL", old_url)
    get_settings.cache_clear()  # storing the damage read the settings (the sport profiles)
    runner = CliRunner()
    refused = runner.invoke(app, ["db", "upgrade"], terminal_width=400)
    assert refused.exit_code == 1, refused.output
    assert REFUSAL in refused.output and "Traceback" not in refused.output

    listed = runner.invoke(app, ["db", "doctor", "--json"])
    assert listed.exit_code == 1, listed.output
    report = json.loads(listed.output)
    assert report["merged"] is None
    assert (report["left"]["duplicate_events"], report["left"]["repeated_odds_rows"]) == (2, 1)
    groups = {(g["winner"], tuple(g["losers"]), g["reason"]) for g in report["left"]["groups"]}
    assert groups == {(NEW_ID, (OLD_ID,), "alias"), (TWIN_1, (TWIN_2,), "same game")}

    fixed = runner.invoke(app, ["db", "doctor", "--fix"], terminal_width=400)
    assert fixed.exit_code == 0, fixed.output
    assert "merged: 2 duplicate event(s) in 2 game(s), 1 repeated odds row(s)" in fixed.output
    assert fixed.output.rstrip().endswith("no duplicates")

    # Every odds row once: the repeat and the copy of a snapshot the winner holds are gone,
    # everything else moved to the surviving id.
    after = _on(old_url, _quotes)
    assert len(after) == len(set(after)) == len(before) - 3
    assert set(after) == set(before)
    assert _on(old_url, _counts) == (2, 5, 10)
    assert _on(old_url, _event_ids) == {NEW_ID, TWIN_1}

    again = runner.invoke(app, ["db", "doctor"])
    assert again.exit_code == 0 and "no duplicates" in again.output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert _on(old_url, _revision) == HEAD


async def _event_ids(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set((await conn.execute(select(Event.id))).scalars())


async def test_upgrade_passes_what_ingestion_stores(old_db: Database, old_url: str) -> None:
    """A merged alias, and two ids of one game the provider listed side by side (ingestion
    keeps them apart, as on 2022-04-17): no duplicate for the doctor, the upgrade passes."""
    await ingest_odds(old_db, [odds_event(OLD_ID, TIP)], snapshot_time=FIRST, options=OPTIONS)
    await ingest_odds(old_db, [odds_event(NEW_ID, TIP)], snapshot_time=LATER, options=OPTIONS)
    other = {"home": "Denver Nuggets", "away": "Utah Jazz"}
    both = [
        odds_event(i, TIP + timedelta(days=2, hours=h), **other)
        for i, h in ((TWIN_1, 0), (TWIN_2, 3))
    ]
    await ingest_odds(old_db, both, snapshot_time=LATER, options=OPTIONS)
    async with old_db.engine.connect() as conn:
        assert not await conn.run_sync(find_duplicates)
    await asyncio.to_thread(upgrade, old_url)
    assert await _revision(old_db) == HEAD
    assert await _counts(old_db) == (3, 4, 8)


def test_doctor_on_a_database_without_schema_names_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    done = CliRunner().invoke(app, ["db", "doctor", "--fix"], terminal_width=400)
    assert done.exit_code == 1
    assert "has no schema yet (or an old one): run `odds db upgrade`" in done.output
    assert "SELECT" not in done.output

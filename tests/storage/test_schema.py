"""The schema on both backends: migrations without drift, UTC round trips, natural keys."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from oddscore.storage import Database, Event, Odds, OddsSnapshot
from oddscore.storage.migrate import alembic_config


def _event(event_id: str = "e" * 32) -> Event:
    return Event(
        id=event_id,
        sport_key="basketball_nba",
        sport_title="NBA",
        commence_time=datetime(2024, 1, 2, 0, 10, tzinfo=UTC),
        home_team="Denver Nuggets",
        away_team="Los Angeles Lakers",
    )


def test_alembic_check_reports_no_drift(db_url: str) -> None:
    """`alembic check` fails when the models and the migrations disagree."""
    from alembic import command

    command.check(alembic_config(db_url))  # type: ignore[arg-type]


def test_alembic_cli_upgrade_on_empty_sqlite_file(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {"DATABASE_URL": url, "ODDS_ENV_FILE": "", "PATH": "/usr/bin:/bin"}
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [sys.executable, "-m", "alembic", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "fresh.db").stat().st_size > 0


async def test_timestamps_round_trip_as_aware_utc(db: Database) -> None:
    eastern = timezone(timedelta(hours=-5))
    event = _event()
    event.commence_time = datetime(2024, 1, 1, 19, 10, tzinfo=eastern)
    async with db.session() as session:
        session.add(event)
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
    assert stored.commence_time == datetime(2024, 1, 2, 0, 10, tzinfo=UTC)
    assert stored.commence_time.utcoffset() == timedelta(0)
    assert stored.created_at.tzinfo is not None


async def test_naive_timestamps_are_refused(db: Database) -> None:
    event = _event()
    event.commence_time = datetime(2024, 1, 2, 0, 10)
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.sessionmaker() as session:
            session.add(event)
            await session.commit()


async def test_same_snapshot_cannot_be_stored_twice(db: Database) -> None:
    taken = datetime(2024, 1, 1, 11, 55, tzinfo=UTC)
    async with db.session() as session:
        session.add(_event())
        session.add(OddsSnapshot(event_id="e" * 32, snapshot_time=taken, raw_data={"a": 1}))
    with pytest.raises(IntegrityError):
        async with db.sessionmaker() as session:
            session.add(OddsSnapshot(event_id="e" * 32, snapshot_time=taken, raw_data={"a": 2}))
            await session.commit()
    async with db.session() as session:
        count = (await session.execute(select(func.count()).select_from(OddsSnapshot))).scalar()
        raw = (await session.execute(select(OddsSnapshot.raw_data))).scalar_one()
    assert count == 1
    assert raw == {"a": 1}


async def test_odds_rows_keep_prices_and_points(db: Database) -> None:
    taken = datetime(2024, 1, 1, 11, 55, tzinfo=UTC)
    async with db.session() as session:
        session.add(_event())
        snapshot = OddsSnapshot(event_id="e" * 32, snapshot_time=taken, raw_data={})
        session.add(snapshot)
        await session.flush()
        assert snapshot.id is not None
        session.add_all(
            [
                Odds(
                    snapshot_id=snapshot.id,
                    event_id="e" * 32,
                    bookmaker_key="draftkings",
                    market_key="spreads",
                    outcome_name="Denver Nuggets",
                    price=-110,
                    point=-5.5,
                    odds_timestamp=taken,
                ),
                Odds(
                    snapshot_id=snapshot.id,
                    event_id="e" * 32,
                    bookmaker_key="draftkings",
                    market_key="h2h",
                    outcome_name="Denver Nuggets",
                    price=-218,
                    odds_timestamp=taken,
                ),
            ]
        )
    async with db.session() as session:
        rows = (await session.execute(select(Odds).order_by(Odds.market_key))).scalars().all()
    assert [(r.market_key, r.price, r.point) for r in rows] == [
        ("h2h", -218, None),
        ("spreads", -110, -5.5),
    ]


async def test_sqlite_uses_wal_and_foreign_keys(tmp_path) -> None:
    from sqlalchemy import text

    database = Database.from_url(f"sqlite:///{tmp_path / 'p.db'}")
    async with database.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
    await database.dispose()
    assert (mode, fks, busy) == ("wal", 1, 30000)


def test_unreachable_database_is_a_storage_error() -> None:
    from oddscore.exceptions import StorageError

    async def go() -> None:
        database = Database.from_url("postgresql://postgres@127.0.0.1:1/nothing", null_pool=True)
        try:
            async with database.session() as session:
                await session.execute(select(1))
        finally:
            await database.dispose()

    with pytest.raises(StorageError, match="database error"):
        asyncio.run(go())


async def test_raw_snapshots_are_stored_lz4_compressed_where_the_server_has_it(
    db: Database,
) -> None:
    """The raw JSON of a snapshot is compressed with lz4 on a PostgreSQL server built with it
    (pglz cost ~60% more server CPU on an import); it reads back the same on both backends."""
    document = {"bookmakers": [{"key": "book", "note": "x" * 5000}], "id": "e" * 32}
    async with db.session() as session:
        session.add(_event())
        session.add(
            OddsSnapshot(
                event_id="e" * 32,
                snapshot_time=datetime(2024, 1, 1, 11, 55, tzinfo=UTC),
                raw_data=document,
            )
        )
    async with db.session() as session:
        assert (await session.execute(select(OddsSnapshot.raw_data))).scalar_one() == document
        if db.engine.dialect.name != "postgresql":
            return
        lz4 = (
            await session.execute(
                text(
                    "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                    "AND 'lz4' = ANY(enumvals)"
                )
            )
        ).first() is not None
        method = (
            await session.execute(
                text("SELECT pg_column_compression(raw_data) FROM odds_snapshots")
            )
        ).scalar_one()
    assert method == ("lz4" if lz4 else "pglz")

"""Re-validation of stored data with new thresholds, and `odds fetch` against a served simulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.clock import FrozenClock, as_utc, utcnow
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.ingestion.report import recheck, validation_report
from oddscore.ingestion.validation import ValidationRules
from oddscore.storage import Database, DataQualityLog, Odds, OddsSnapshot
from tests.ingestion.conftest import NOW, TAKEN, book, event
from tests.ingestion.test_pipeline import OPTIONS, ingest
from tests.servers import serve_in_thread


async def test_recheck_applies_new_thresholds_to_stored_rows(db: Database) -> None:
    await ingest(db, [event(1, books=[book(h2h=(-150, 130))])])  # overround 1.035
    report = await validation_report(db)
    assert (report.findings, report.flagged_rows) == (0, 0)
    strict_band = IngestOptions(
        rules=ValidationRules(overround_bands={"h2h": (1.0, 1.02)}), clock=FrozenClock(NOW)
    )
    result = await recheck(db, options=strict_band)
    assert (result.snapshots, result.findings, result.rows_changed) == (1, 1, 2)
    report = await validation_report(db)
    assert report.flagged_rows == 2
    assert [(r["issue_type"], r["findings"]) for r in report.by_type] == [
        ("overround_out_of_band", 1)
    ]
    again = await recheck(db, options=strict_band)  # idempotent: findings replaced, not added
    assert again.rows_changed == 0
    async with db.session() as session:
        total = (await session.execute(select(func.count()).select_from(DataQualityLog))).scalar()
        notes = set((await session.execute(select(Odds.validation_notes))).scalars())
    assert total == 1 and notes == {None, "overround_out_of_band"}
    back = await recheck(db, options=IngestOptions(clock=FrozenClock(NOW)))
    assert back.rows_changed == 2 and (await validation_report(db)).flagged_rows == 0


async def test_recheck_compares_with_the_same_previous_snapshot_as_ingestion(
    db: Database,
) -> None:
    """A snapshot without quotes (no book listed the game) is still the previous snapshot:
    the next one is not compared with an older one, on ingestion or on re-check."""
    await ingest(db, [event(1, books=[book(spread=(-3.5, -110, -110))])])
    await ingest(db, [event(1, books=[])], taken=TAKEN + timedelta(hours=1))
    later = TAKEN + timedelta(hours=3)
    moved = book(spread=(-9.5, -110, -110), updated=later)
    await ingest(db, [event(1, books=[moved])], taken=later)

    async def findings() -> list[tuple[str, datetime | None]]:
        async with db.session() as session:
            rows = await session.execute(
                select(DataQualityLog.issue_type, DataQualityLog.snapshot_time)
            )
            return sorted((kind, as_utc(moment) if moment else None) for kind, moment in rows)

    ingested = await findings()
    assert "line_jump" not in {kind for kind, _ in ingested}
    result = await recheck(db, options=OPTIONS)
    assert result.snapshots == 3 and result.rows_changed == 0
    assert await findings() == ingested


SIM_KEY = "served-simulator-key"


@pytest.fixture(scope="module")
def simulator() -> Iterator[tuple[str, FrozenClock]]:
    """The simulator over real HTTP (uvicorn in a thread), what ODDS_API_BASE_URL points at,
    and its clock: frozen at the real now, so the market it serves is today's on any date."""
    from oddscore.simulator import create_app

    clock = FrozenClock(utcnow())
    sim = create_app(api_key=SIM_KEY, seed=11, clock=clock)
    with serve_in_thread(sim) as url:
        yield url, clock


def cli_on(clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, url: str, db_url: str) -> None:
    """The CLI's clock (SystemClock reads oddscore.clock.utcnow) is the simulator's: a game the
    simulator serves as upcoming is upcoming for the CLI too, whatever today is."""
    monkeypatch.setattr("oddscore.clock.utcnow", clock.now)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_BASE_URL", url)
    monkeypatch.setenv("ODDS_API_KEY", SIM_KEY)


async def stored_rows(db_url: str) -> tuple[int, int, int]:
    """Snapshots, odds rows, and the outcomes inside the stored raw payloads."""
    database = Database.from_url(db_url)
    try:
        async with database.session() as session:
            snaps = (await session.execute(select(OddsSnapshot))).scalars().all()
            odds = (await session.execute(select(func.count()).select_from(Odds))).scalar_one()
    finally:
        await database.dispose()
    in_payload = sum(
        len(m["outcomes"]) for s in snaps for b in s.raw_data["bookmakers"] for m in b["markets"]
    )
    return len(snaps), odds, in_payload


def test_odds_fetch_current_against_the_simulator(
    db_url: str, simulator: tuple[str, FrozenClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, clock = simulator
    cli_on(clock, monkeypatch, url, db_url)
    runner = CliRunner()
    result = runner.invoke(app, ["fetch", "current", "--json"])
    assert result.exit_code == 0, result.output
    stored = json.loads(result.output)
    assert (
        stored["events_inserted"] > 0 and stored["snapshots_inserted"] == stored["events_inserted"]
    )
    assert stored["odds_excluded"] == 0 and stored["excluded_by"] == {}
    assert SIM_KEY not in result.output
    scores = runner.invoke(app, ["fetch", "scores", "--days", "1", "--json"])
    assert scores.exit_code == 0, scores.output

    snapshots, odds, in_payload = asyncio.run(stored_rows(db_url))
    assert snapshots == stored["snapshots_inserted"]
    assert odds == in_payload == stored["odds_rows"] > 0


def test_odds_fetch_current_says_why_nothing_was_stored(
    db_url: str, simulator: tuple[str, FrozenClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's clock a week past the simulator's: every served game has started, so every
    quote is excluded as in-play, and the human output says so instead of only counts."""
    url, clock = simulator
    cli_on(FrozenClock(clock.now() + timedelta(days=8)), monkeypatch, url, db_url)
    result = CliRunner().invoke(app, ["fetch", "current"], terminal_width=400)
    assert result.exit_code == 0, result.output

    snapshots, odds, in_payload = asyncio.run(stored_rows(db_url))
    assert snapshots > 0 and odds == 0 and in_payload > 0
    line = (
        f"No odds stored: all {in_payload} quotes were excluded: {in_payload} quoted at or "
        f"after tip-off: those games have started (in_play). {snapshots} raw snapshots kept, "
    )
    assert line in " ".join(result.output.split()), result.output

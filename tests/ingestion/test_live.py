"""Live collection through the simulator, /scores with a real recorded body, status moves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import func, select

from oddscore.clock import FrozenClock
from oddscore.config import Settings
from oddscore.exceptions import AuthenticationError
from oddscore.ingestion.fetch import fetch_current, fetch_scores
from oddscore.ingestion.scores import ingest_scores, update_statuses
from oddscore.provider.client import OddsApiClient
from oddscore.provider.models import ScoreEvent
from oddscore.simulator import create_app
from oddscore.storage import Database, Event, FetchLog, Odds, OddsSnapshot
from tests.conftest import SAMPLES_DIR
from tests.ingestion.conftest import TAKEN, TIP, event
from tests.ingestion.test_pipeline import counts, ingest

KEY = "ingestion-test-key"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def simulated_client(key: str = KEY) -> OddsApiClient:
    app = create_app(api_key=KEY, seed=3, clock=FrozenClock(NOW))

    async def no_wait(_seconds: float) -> None:
        return None

    return OddsApiClient(
        key,
        base_url="http://simulator",
        transport=httpx.ASGITransport(app=app),
        clock=FrozenClock(NOW),
        sleep=no_wait,
        max_retries=0,
    )


async def test_fetch_current_stores_each_game_once_with_every_row_of_the_payload(
    db: Database,
) -> None:
    async with simulated_client() as client:
        outcome = await fetch_current(db, client, sport="basketball_nba", settings=Settings())
        again = await fetch_current(db, client, sport="basketball_nba", settings=Settings())
    result = outcome.stored
    assert result is not None and outcome.paid and outcome.credits_paid == 3
    async with db.session() as session:
        snapshots = (await session.execute(select(OddsSnapshot))).scalars().all()
        odds = (await session.execute(select(func.count()).select_from(Odds))).scalar_one()
        logs = (await session.execute(select(FetchLog))).scalars().all()
    assert result.events_inserted > 0 and result.snapshots_inserted == result.events_inserted
    payload_rows = sum(
        len(m["outcomes"])
        for s in snapshots
        for b in s.raw_data["bookmakers"]
        for m in b["markets"]
    )
    assert odds == payload_rows == result.odds_rows
    assert len({s.event_id for s in snapshots}) == len(snapshots) == result.events_inserted
    assert all(s.source == "live" and s.snapshot_time == NOW for s in snapshots)
    # The same minute slot again (frozen clock): the ledger has it stored, nothing is paid.
    assert (again.paid, again.stored, again.credits_paid) == (False, None, 0)
    assert "stored already" in again.note
    assert len(logs) == 1 and all(log.success and log.api_quota_remaining for log in logs)
    assert {log.endpoint for log in logs} == {"/v4/sports/basketball_nba/odds"} or all(
        "basketball_nba/odds" in log.endpoint for log in logs
    )


async def test_a_failed_fetch_is_logged_and_raised(db: Database) -> None:
    async with simulated_client("wrong-key-123") as client:
        with pytest.raises(AuthenticationError):
            await fetch_current(db, client, sport="basketball_nba", settings=Settings())
    async with db.session() as session:
        log = (await session.execute(select(FetchLog))).scalar_one()
    assert (log.success, log.status_code) == (False, 401)
    assert "wrong-key" not in (log.error_message or "")


async def test_fetch_scores_through_the_simulator(db: Database) -> None:
    async with simulated_client() as client:
        outcome = await fetch_scores(db, client, sport="basketball_nba", days=2)
    result = outcome.stored
    assert result is not None and result.events > 0 and outcome.credits_paid == 2
    async with db.session() as session:
        finals = (
            (await session.execute(select(Event).where(Event.status == "final"))).scalars().all()
        )
    assert len(finals) == result.finals
    assert all(e.home_score is not None and e.result_source == "scores_api" for e in finals)


def recorded_scores() -> list[ScoreEvent]:
    path = SAMPLES_DIR / "nba_scores_daysFrom1_docs_example_2022-02-06.json"
    if not path.exists():
        pytest.skip(f"sample not available at {path}")
    return TypeAdapter(list[ScoreEvent]).validate_python(json.loads(path.read_text()))


async def test_recorded_scores_mark_finals_and_live_games(db: Database) -> None:
    scores = recorded_scores()
    fetched = datetime(2022, 2, 6, 5, 0, tzinfo=UTC)
    result = await ingest_scores(db, scores, fetched_at=fetched)
    assert (result.events, result.finals, result.live) == (13, 9, 1)
    done = next(s for s in scores if s.completed)
    async with db.session() as session:
        stored = await session.get(Event, done.id)
        statuses = (
            await session.execute(select(Event.status, func.count()).group_by(Event.status))
        ).all()
    assert stored is not None
    assert (stored.home_score, stored.away_score) == (
        done.score_of(done.home_team),
        done.score_of(done.away_team),
    )
    assert dict(statuses) == {"final": 9, "live": 1, "scheduled": 3}
    before = await counts(db)
    await ingest_scores(db, scores, fetched_at=fetched)
    assert await counts(db) == before


async def test_update_statuses_moves_forward_only(db: Database) -> None:
    await ingest(db, [event(1), event(2, home="Miami Heat", away="Boston Celtics", books=[])])
    assert (await update_statuses(db, TIP - timedelta(hours=1))).to_live == 0
    moved = await update_statuses(db, TIP + timedelta(minutes=5))
    assert (moved.to_live, moved.to_final) == (2, 0)
    async with db.session() as session:
        game = await session.get(Event, f"{1:032x}")
        assert game is not None
        game.home_score, game.away_score = 101, 99
    moved = await update_statuses(db, TIP + timedelta(hours=2))
    assert (moved.to_live, moved.to_final) == (0, 1)  # scored
    moved = await update_statuses(db, TIP + timedelta(hours=7))
    assert moved.to_final == 0  # unscored: open while /scores can still return it
    moved = await update_statuses(db, TIP + timedelta(days=3))
    assert moved.to_final == 1  # beyond the scores endpoint's reach: closed, score or not
    # A newer odds payload never reopens a final game.
    await ingest(db, [event(1)], taken=TAKEN + timedelta(hours=1))
    async with db.session() as session:
        assert {e.status for e in (await session.execute(select(Event))).scalars()} == {"final"}

"""fetch-scores and update-status against the simulator (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from flows.fetch_scores import FetchScoresParams, fetch_scores_flow
from flows.update_status import UpdateStatusParams, update_status_flow
from oddscore.clock import utcnow
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, FetchLog


async def _finals(url: str) -> int:
    async with Database.from_url(url, null_pool=True) as db, db.session() as session:
        query = select(func.count()).select_from(Event).where(Event.status == "final")
        return int((await session.execute(query)).scalar_one())


async def test_nothing_to_settle_costs_nothing(flow_env: str) -> None:
    summary = await fetch_scores_flow(FetchScoresParams(reschedule=False))
    assert summary["basketball_nba.stored"] == "nothing due"
    async with Database.from_url(flow_env, null_pool=True) as db, db.session() as session:
        assert (await session.execute(select(func.count()).select_from(FetchLog))).scalar_one() == 0


async def test_forced_scores_store_finals_and_plan_after_the_next_games(flow_env: str) -> None:
    summary = await fetch_scores_flow(FetchScoresParams(force=True, reschedule=False))
    assert summary["basketball_nba.credits"] == 2
    assert summary["basketball_nba.stored"]["finals"] > 0
    assert await _finals(flow_env) == summary["basketball_nba.stored"]["finals"]
    async with Database.from_url(flow_env, null_pool=True) as db, db.session() as session:
        logged = (await session.execute(select(FetchLog.endpoint, FetchLog.flow_name))).all()
    assert [(endpoint.rsplit("/", 1)[-1], flow) for endpoint, flow in logged] == [
        ("scores", "fetch-scores")
    ]
    # the next call waits for the upcoming games to be over: at least 2.5 h after a tip
    assert summary["next_run"] > (utcnow() + timedelta(hours=2)).isoformat()


async def test_update_status_marks_tipped_games_live_and_waits_for_the_next_tip(
    flow_env: str,
) -> None:
    now = utcnow()
    async with Database.from_url(flow_env, null_pool=True) as db, db.session() as session:
        for event_id, tip in (
            ("tipped", now - timedelta(minutes=20)),
            ("later", now + timedelta(hours=3)),
        ):
            session.add(
                Event(
                    id=event_id,
                    sport_key="basketball_nba",
                    commence_time=tip,
                    home_team="Boston Celtics",
                    away_team="New York Knicks",
                )
            )
    dry = await update_status_flow(UpdateStatusParams(dry_run=True))
    assert dry["moved"] == "dry run"
    summary = await update_status_flow(UpdateStatusParams(reschedule=False))
    assert summary["moved"] == {"to_live": 1, "to_final": 0}
    expected = (now + timedelta(hours=3, minutes=1)).replace(second=0, microsecond=0)
    assert summary["next_run"] in {
        expected.isoformat(),
        (expected + timedelta(minutes=1)).isoformat(),
    }
    async with Database.from_url(flow_env, null_pool=True) as db, db.session() as session:
        status = (
            await session.execute(select(Event.status).where(Event.id == "tipped"))
        ).scalar_one()
    assert status == "live"

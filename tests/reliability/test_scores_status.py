"""A game whose score is late is not lost: it stays open (so fetch-scores keeps asking for it)
while the scores endpoint can still return it, and is settled when the score comes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.ingestion.scores import ingest_scores, update_statuses
from oddscore.provider.models import ScoreEvent
from oddscore.scheduling.planner import Action
from oddscore.scheduling.results import decide_scores
from oddscore.scheduling.state import load_games
from oddscore.storage.engine import Database
from oddscore.storage.models import Event
from tests.reliability.conftest import NOW, SPORT, odds_event

TIP = NOW + timedelta(hours=6)
EVENT_ID = "late" + "0" * 28


async def _asked_for(db: Database, now: object) -> bool:
    async with db.session() as session:
        games = await load_games(session, sport_key=SPORT, now=now)  # type: ignore[arg-type]
    decision = decide_scores(games, now)  # type: ignore[arg-type]
    return decision.action is Action.FETCH_SCORES and EVENT_ID in {
        g.event_id for g in decision.games
    }


async def _event(db: Database) -> Event:
    async with db.session() as session:
        return (await session.execute(select(Event).where(Event.id == EVENT_ID))).scalar_one()


async def test_an_unscored_game_is_asked_for_until_the_scores_endpoint_cannot_reach_it(
    db: Database,
) -> None:
    options = IngestOptions(expected_bookmakers=None, expected_markets=None)
    await ingest_odds(db, [odds_event(EVENT_ID, TIP)], snapshot_time=NOW, options=options)
    # The night's scores call failed: seven hours after tip-off there is still no score.
    for hours in (7, 30, 60):
        moment = TIP + timedelta(hours=hours)
        await update_statuses(db, moment)
        assert (await _event(db)).status == "live"
        assert await _asked_for(db, moment), f"not asked for {hours} h after tip-off"
    # The score arrives two and a half days late, and the game is settled.
    score = ScoreEvent.model_validate(
        {
            **{k: v for k, v in odds_event(EVENT_ID, TIP).items() if k != "bookmakers"},
            "completed": True,
            "scores": [
                {"name": "Boston Celtics", "score": "112"},
                {"name": "Miami Heat", "score": "104"},
            ],
        }
    )
    settled_at = TIP + timedelta(hours=61)
    result = await ingest_scores(db, [score], fetched_at=settled_at)
    assert result.finals == 1
    event = await _event(db)
    assert (event.status, event.home_score, event.away_score) == ("final", 112, 104)
    assert not await _asked_for(db, settled_at)


async def test_an_unscored_game_closes_when_no_call_can_settle_it_any_more(
    db: Database,
) -> None:
    options = IngestOptions(expected_bookmakers=None, expected_markets=None)
    await ingest_odds(db, [odds_event(EVENT_ID, TIP)], snapshot_time=NOW, options=options)
    moved = await update_statuses(db, TIP + timedelta(days=3, minutes=1))
    assert moved.to_final == 1
    event = await _event(db)
    assert (event.status, event.home_score) == ("final", None)

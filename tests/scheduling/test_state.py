"""The planner's view of the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oddscore.scheduling.planner import GameState
from oddscore.scheduling.state import last_fetch_time, load_games, load_quota, merge_listed
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, FetchLog, OddsSnapshot

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _event(event_id: str, tip: datetime, status: str = "scheduled") -> Event:
    return Event(
        id=event_id,
        sport_key="basketball_nba",
        commence_time=tip,
        home_team="Home",
        away_team="Away",
        status=status,
    )


async def test_games_with_their_last_pre_tip_capture(db: Database) -> None:
    tip = NOW + timedelta(hours=2)
    async with db.session() as session:
        session.add_all(
            [
                _event("up", tip),
                _event("live", NOW - timedelta(hours=1), "live"),
                _event("old", NOW - timedelta(days=5), "live"),
                _event("other", tip),
                _event("done", NOW - timedelta(days=1), "final"),
            ]
        )
        await session.flush()
        for when in (NOW - timedelta(hours=3), NOW - timedelta(minutes=30)):
            session.add(OddsSnapshot(event_id="up", snapshot_time=when, raw_data={}))
        # an in-play snapshot must not count as a pre-tip capture
        session.add(OddsSnapshot(event_id="live", snapshot_time=NOW, raw_data={}))
        session.add(
            OddsSnapshot(event_id="live", snapshot_time=NOW - timedelta(hours=2), raw_data={})
        )
    other_sport = Event(
        id="nfl",
        sport_key="americanfootball_nfl",
        commence_time=tip,
        home_team="H",
        away_team="A",
    )
    async with db.session() as session:
        session.add(other_sport)
    async with db.session() as session:
        games = {
            g.event_id: g for g in await load_games(session, sport_key="basketball_nba", now=NOW)
        }
    assert set(games) == {"up", "live", "other", "done"}
    assert games["done"].status == "final"
    assert games["up"].last_captured == NOW - timedelta(minutes=30)
    assert games["up"].commence_time == tip
    assert games["live"].last_captured == NOW - timedelta(hours=2)
    assert games["live"].status == "live"
    assert games["other"].last_captured is None


async def test_quota_from_the_latest_fetch_this_month(db: Database) -> None:
    async with db.session() as session:
        assert await load_quota(session, now=NOW) == type(await load_quota(session, now=NOW))()
        session.add_all(
            [
                FetchLog(
                    request_id="old-month",
                    fetch_time=datetime(2026, 10, 31, tzinfo=UTC),
                    endpoint="/v4/sports/basketball_nba/odds",
                    api_quota_remaining=1,
                    api_quota_used=19999,
                ),
                FetchLog(
                    request_id="a",
                    fetch_time=NOW - timedelta(hours=2),
                    endpoint="/v4/sports/basketball_nba/odds",
                    api_quota_remaining=900,
                    api_quota_used=100,
                ),
                FetchLog(
                    request_id="b",
                    fetch_time=NOW - timedelta(hours=1),
                    endpoint="/v4/sports/basketball_nba/scores",
                    api_quota_remaining=898,
                    api_quota_used=102,
                ),
            ]
        )
    async with db.session() as session:
        quota = await load_quota(session, now=NOW)
        scores_at = await last_fetch_time(session, endpoint_suffix="/scores", now=NOW)
    assert (quota.remaining, quota.used) == (898, 102)
    assert scores_at == NOW - timedelta(hours=1)


async def test_an_odds_call_while_a_game_was_known_counts_as_its_capture(db: Database) -> None:
    """A game the books have not priced yet is absent from /odds; it must not look never
    captured (due at once) on every run."""
    tip = NOW + timedelta(days=2)
    async with db.session() as session:
        new = _event("unpriced", tip)
        new.created_at = NOW - timedelta(hours=2)
        later = _event("listed-after-the-call", tip)
        later.created_at = NOW - timedelta(minutes=10)
        session.add_all([new, later])
        session.add_all(
            [
                FetchLog(
                    request_id="odds",
                    fetch_time=NOW - timedelta(hours=1),
                    endpoint="/v4/sports/basketball_nba/odds",
                ),
                FetchLog(
                    request_id="hist",
                    fetch_time=NOW - timedelta(minutes=5),
                    endpoint="/v4/historical/sports/basketball_nba/odds",
                ),
            ]
        )
    async with db.session() as session:
        games = {
            g.event_id: g for g in await load_games(session, sport_key="basketball_nba", now=NOW)
        }
    assert games["unpriced"].last_captured == NOW - timedelta(hours=1)
    assert games["listed-after-the-call"].last_captured is None


def test_merge_listed_adds_unknown_games_and_moves_tip_times() -> None:
    tip = NOW + timedelta(hours=5)
    stored = [GameState("a", tip, NOW - timedelta(hours=1))]
    merged = {
        g.event_id: g for g in merge_listed(stored, [("a", tip + timedelta(hours=1)), ("b", tip)])
    }
    assert merged["a"].commence_time == tip + timedelta(hours=1)
    assert merged["a"].last_captured == NOW - timedelta(hours=1)
    assert merged["b"].last_captured is None

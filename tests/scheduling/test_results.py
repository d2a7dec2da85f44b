"""Scores after games end, statuses at tip times (frozen clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oddscore.scheduling.planner import Action, GameState
from oddscore.scheduling.results import decide_scores, decide_status

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_scores_wait_for_the_whole_cluster_of_games_to_end() -> None:
    games = [
        GameState("a", NOW - timedelta(minutes=60), status="live"),  # ends 02:30
        GameState("b", NOW - timedelta(minutes=30), status="live"),  # ends 03:00
        GameState("c", NOW + timedelta(hours=18), status="scheduled"),  # tomorrow
    ]
    decision = decide_scores(games, NOW)
    assert decision.action is Action.FETCH_SCORES
    assert decision.at == NOW + timedelta(hours=2)
    assert [g.event_id for g in decision.games] == ["a", "b"]
    assert decision.estimated_credits == 2  # /scores with daysFrom
    assert decision.extra["days_from"] == 1


def test_overdue_game_is_asked_again_after_the_recheck_delay() -> None:
    games = [GameState("ot", NOW - timedelta(hours=3), status="live")]
    first = decide_scores(games, NOW)
    assert first.at == NOW - timedelta(minutes=30)  # already due: the run fetches now
    again = decide_scores(games, NOW, last_checked=NOW)
    assert again.at == NOW + timedelta(minutes=30)


def test_games_older_than_the_provider_window_are_left_alone() -> None:
    games = [GameState("old", NOW - timedelta(days=4), status="live")]
    decision = decide_scores(games, NOW)
    assert decision.action is Action.DISCOVER
    assert decision.estimated_credits == 0


def test_days_from_grows_with_the_oldest_unsettled_game() -> None:
    games = [GameState("x", NOW - timedelta(days=1, hours=5), status="live")]
    assert decide_scores(games, NOW).extra["days_from"] == 2


def test_final_games_need_no_scores() -> None:
    games = [GameState("done", NOW - timedelta(hours=4), status="final")]
    assert decide_scores(games, NOW).action is Action.DISCOVER


def test_status_moves_right_after_the_next_tip() -> None:
    games = [
        GameState("a", NOW + timedelta(hours=2)),
        GameState("b", NOW + timedelta(hours=2)),
        GameState("c", NOW + timedelta(hours=3)),
    ]
    decision = decide_status(games, NOW)
    assert decision.action is Action.UPDATE_STATUS
    assert decision.at == NOW + timedelta(hours=2, minutes=1)
    assert {g.event_id for g in decision.games} == {"a", "b"}
    assert decision.estimated_credits == 0


def test_status_now_when_a_scheduled_game_has_tipped() -> None:
    games = [GameState("a", NOW - timedelta(minutes=10))]
    decision = decide_status(games, NOW)
    assert decision.at == NOW
    assert [g.event_id for g in decision.games] == ["a"]


def test_status_off_season() -> None:
    decision = decide_status([], NOW)
    assert decision.action is Action.DISCOVER
    assert decision.at == NOW + timedelta(hours=24)

"""Per-sport tier offsets: a sport's profile moves its tier boundaries, and the planners, the
labels and the replay follow them while an NBA game on the same slate keeps the standard ones.

``mlb_tiers`` (tests/conftest.py) gives baseball_mlb: opening 48 h+, early 18-48 h, sharp
6-18 h, pregame 1-6 h, closing the last hour (standard: 72 / 24 / 12 / 3 h).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oddscore.clock import FrozenClock
from oddscore.config import get_settings
from oddscore.exceptions import ConfigurationError
from oddscore.scheduling.covering import Requirement, game_windows
from oddscore.scheduling.planner import Action, GameState, Need, decide_odds, next_slot
from oddscore.scheduling.policy import PlannerKind, SchedulePolicy
from oddscore.scheduling.replay import ReplayGame, replay_all
from oddscore.scheduling.tiers import (
    TIERS,
    FetchTier,
    hours_until,
    tier_for,
    tier_table,
    tiers_for,
)
from oddscore.sports import BUILTIN_PROFILES

TIP = datetime(2026, 6, 10, 23, 0, tzinfo=UTC)
COVERING = SchedulePolicy()
CADENCE = SchedulePolicy(planner=PlannerKind.CADENCE)
# A game that finished a day ago: the season is on.
PLAYED = GameState("yesterday", TIP - timedelta(days=2), status="final")


def _span(tiers: tuple, tier: FetchTier) -> tuple[float, float | None]:
    spec = next(s for s in tiers if s.tier is tier)
    return spec.min_hours, spec.max_hours


def test_built_in_sports_and_unknown_ones_keep_the_standard_tiers() -> None:
    for sport in (*BUILTIN_PROFILES, "icehockey_nhl", None):
        assert tiers_for(sport) is TIERS


def test_a_profiles_file_moves_one_sports_boundaries(mlb_tiers: dict[str, float]) -> None:
    mlb = tiers_for("baseball_mlb")
    assert [(s.tier, s.min_hours, s.max_hours) for s in mlb] == [
        (FetchTier.OPENING, 48.0, None),
        (FetchTier.EARLY, 18.0, 48.0),
        (FetchTier.SHARP, 6.0, 18.0),
        (FetchTier.PREGAME, 1.0, 6.0),
        (FetchTier.CLOSING, 0.0, 1.0),
    ]
    # Intervals are the tiers', not the sport's.
    assert [s.interval for s in mlb] == [s.interval for s in TIERS]
    assert tiers_for("basketball_nba") is TIERS
    # Labelling: 2 h before the start is pregame for MLB, closing for the NBA.
    assert tier_for(2.0, mlb) is FetchTier.PREGAME
    assert tier_for(2.0) is FetchTier.CLOSING
    assert tier_for(20.0, mlb) is FetchTier.EARLY
    assert tier_for(20.0) is FetchTier.SHARP
    assert tier_for(-0.1, mlb) is None


def test_offsets_given_for_some_tiers_keep_the_others_standard() -> None:
    table = tier_table({"closing": 1.0})
    assert _span(table, FetchTier.PREGAME) == (1.0, 12.0)
    assert _span(table, FetchTier.CLOSING) == (0.0, 1.0)
    assert _span(table, FetchTier.EARLY) == (24.0, 72.0)


@pytest.mark.parametrize(
    ("offsets", "problem"),
    [
        ({"opening": 96.0}, "'opening' begins when the game is listed"),
        ({"sharp": 80.0}, "sharp=80"),  # would begin before early (72 h)
        ({"closing": 12.0}, "must decrease"),  # pregame would be empty
        ({"closing": 0.0}, "above 0"),
        ({"sharp": 6.0, "pregame": 8.0}, "decrease from early to closing"),
        ({"pregame": -2.0, "closing": -3.0}, "above 0"),
    ],
)
def test_tiers_out_of_order_are_refused_naming_the_sport(
    offsets: dict[str, float], problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = ", ".join(f"{tier} = {hours}" for tier, hours in offsets.items())
    path = tmp_path / "sports.toml"
    path.write_text(f"[baseball_mlb]\ntier_offsets = {{{body}}}\n", encoding="utf-8")
    monkeypatch.setenv("SPORT_PROFILES_FILE", str(path))
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match=problem) as caught:
        tiers_for("baseball_mlb")
    assert "baseball_mlb" in str(caught.value)


def test_covering_planner_places_a_sports_tier_capture_at_its_offset(
    mlb_tiers: dict[str, float],
) -> None:
    # Both last captured 7 h before the start: that capture is in the NBA's pregame tier
    # (3-12 h) but in MLB's sharp tier (6-18 h), so only the MLB game still needs a pregame
    # capture, due ``cover_margin`` before its pregame tier ends (1 h); now is just before.
    now = (
        TIP - timedelta(hours=mlb_tiers["closing"]) - COVERING.cover_margin - timedelta(minutes=10)
    )
    last = TIP - timedelta(hours=7)
    listed = TIP - timedelta(days=4)
    mlb = GameState("mlb", TIP, last, listed_at=listed, sport="baseball_mlb")
    nba = GameState("nba", TIP, last, listed_at=listed, sport="basketball_nba")
    decision = decide_odds([mlb, nba, PLAYED], now, COVERING)
    assert decision.action is Action.FETCH_ODDS
    assert decision.at == TIP - timedelta(hours=mlb_tiers["closing"]) - COVERING.cover_margin
    assert [(g.event_id, g.need, g.tier) for g in decision.games] == [
        ("mlb", Need.TIER, FetchTier.PREGAME)
    ]
    # The NBA game alone needs nothing before its closing capture (a free check till then).
    alone = decide_odds([nba, PLAYED], now, COVERING)
    assert alone.action is Action.DISCOVER
    closing_due = TIP - COVERING.closing_lead
    assert closing_due.isoformat() in alone.reason
    windows = game_windows(TIP, last, listed, now, COVERING, tiers=tiers_for("basketball_nba"))
    assert [(w.requirement, w.due) for w in windows] == [(Requirement.CLOSING, closing_due)]


def test_cadence_planner_enters_a_sports_closing_tier_at_its_offset(
    mlb_tiers: dict[str, float],
) -> None:
    # Last captured 2 h before: the NBA game is in its closing tier (every 30 min, so due
    # already), the MLB game in its pregame tier (every 3 h), whose next capture is on
    # entering its closing tier (1 h before).
    now = TIP - timedelta(minutes=70)
    last = TIP - timedelta(hours=2)
    mlb = GameState("mlb", TIP, last, listed_at=TIP - timedelta(days=4), sport="baseball_mlb")
    nba = GameState("nba", TIP, last, listed_at=TIP - timedelta(days=4), sport="basketball_nba")
    decision = decide_odds([mlb, nba, PLAYED], now, CADENCE)
    needs = {g.event_id: (g.due, g.need, g.tier) for g in decision.games}
    assert decision.at == last + timedelta(minutes=30)
    assert needs["nba"] == (last + timedelta(minutes=30), Need.CADENCE, FetchTier.CLOSING)
    assert "mlb" not in needs
    alone = decide_odds([mlb, PLAYED], now, CADENCE)
    entry = TIP - timedelta(hours=mlb_tiers["closing"]) + timedelta(minutes=1)
    assert [(g.due, g.need, g.tier) for g in alone.games] == [
        (entry, Need.TIER_ENTRY, FetchTier.CLOSING)
    ]


@pytest.mark.parametrize("policy", [COVERING, CADENCE], ids=["covering", "cadence"])
def test_a_mixed_slate_covers_each_game_in_its_own_tiers(
    policy: SchedulePolicy, mlb_tiers: dict[str, float]
) -> None:
    # What fetch-odds does every run, over four days: each paid call captures both games.
    games = [
        ("mlb", TIP, "baseball_mlb"),
        ("nba", TIP + timedelta(hours=1, minutes=30), "basketball_nba"),
    ]
    start = TIP - timedelta(days=4)
    clock = FrozenClock(start)
    last: dict[str, datetime] = {}
    labels: dict[str, list[tuple[datetime, FetchTier | None]]] = {g: [] for g, _, _ in games}
    while clock.now() < max(tip for _, tip, _ in games):
        now = clock.now()
        states = [
            GameState(g, tip, last.get(g), listed_at=start, sport=sport) for g, tip, sport in games
        ]
        decision = decide_odds([*states, PLAYED], now, policy)
        if decision.action is Action.FETCH_ODDS and decision.is_due(now, policy.due_tolerance):
            for g, tip, sport in games:
                if tip > now:
                    last[g] = now
                    labels[g].append((now, tier_for(hours_until(tip, now), tiers_for(sport))))
            decision = decide_odds([*states, PLAYED], now, policy)
        clock.set(next_slot(decision.at, now, policy))
    for g, tip, sport in games:
        tiers = tiers_for(sport)
        for spec in tiers:
            lo = start - timedelta(seconds=1)
            if spec.max_hours is not None:
                lo = tip - timedelta(hours=spec.max_hours)
            hi = tip - timedelta(hours=spec.min_hours)
            assert any(lo < at <= hi for at, _ in labels[g]), (g, spec.tier)
        assert {label for _, label in labels[g]} == {spec.tier for spec in tiers}
    # The MLB game has a capture in the hour before its start labelled closing; the NBA
    # game's captures 1-3 h before its start are closing too, MLB's there are pregame.
    mlb_late = [label for at, label in labels["mlb"] if TIP - timedelta(hours=3) < at < TIP]
    assert FetchTier.PREGAME in mlb_late and FetchTier.CLOSING in mlb_late
    nba_tip = games[1][1]
    nba_late = [label for at, label in labels["nba"] if nba_tip - timedelta(hours=3) < at]
    assert set(nba_late) == {FetchTier.CLOSING}


def test_replay_waits_and_scores_by_each_games_sports_tiers(mlb_tiers: dict[str, float]) -> None:
    # Listed 2.5 h before the MLB start: the nearest-game cadence waits MLB's pregame
    # interval (3 h; standard tiers would say closing, 30 min), so one call is all it makes.
    # That call covers the NBA game's closing tier (0-3 h) but not MLB's (the last hour).
    listed = TIP - timedelta(hours=2, minutes=30)
    nba_tip = TIP + timedelta(minutes=10)
    games = [
        ReplayGame("mlb", TIP, listed, TIP, True, "baseball_mlb"),
        ReplayGame("nba", nba_tip, listed, nba_tip, True, "basketball_nba"),
    ]
    (result,) = replay_all(games, min_exposure=timedelta(minutes=20), strategies=["nearest game"])
    assert result.requests == 1
    assert result.games == 2
    assert result.full_tier_coverage == 1

"""Sport profiles: the built-ins, the overrides file, and what reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oddscore.config import get_settings
from oddscore.exceptions import ConfigurationError
from oddscore.ingestion.teams import canonical_team
from oddscore.scheduling.planner import GameState
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.results import decide_scores
from oddscore.sports import BUILTIN_PROFILES, load_profiles, profile_for

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_nba_profile_is_todays_behaviour() -> None:
    nba = profile_for("basketball_nba")
    assert [nba.outcome_count(m) for m in ("h2h", "spreads", "totals")] == [2, 2, 2]
    assert not nba.has_draw
    assert nba.settlement == "full_game"
    assert nba.game_length == SchedulePolicy().game_duration == timedelta(hours=2.5)
    assert nba.tier_offsets == {}
    assert len(nba.teams) == 30


def test_soccer_h2h_is_three_way_and_settles_on_regulation_time() -> None:
    epl = profile_for("soccer_epl")
    assert epl.has_draw and epl.outcome_count("h2h") == 3
    assert epl.outcome_count("h2h_h1") == 3  # a period variant takes its base's count
    assert epl.outcome_count("spreads") == epl.outcome_count("totals") == 2
    assert epl.settlement == "regulation"
    assert epl.canonical_team("Man Utd") == "Manchester United"
    assert epl.canonical_team("Brighton & Hove Albion") == "Brighton and Hove Albion"


def test_mlb_counts_extra_innings_and_knows_its_teams() -> None:
    mlb = profile_for("baseball_mlb")
    assert not mlb.has_draw and mlb.settlement == "full_game"
    assert mlb.outcome_count("totals_1st_5_innings") == 2
    assert mlb.game_length == timedelta(hours=3)
    assert canonical_team("NYY", sport_key="baseball_mlb") == "New York Yankees"
    # The same code means another team in another sport.
    assert canonical_team("PHI") == "Philadelphia 76ers"
    assert canonical_team("PHI", sport_key="baseball_mlb") == "Philadelphia Phillies"


def test_an_unknown_sport_gets_a_two_way_default() -> None:
    nhl = profile_for("icehockey_nhl")
    assert nhl.key == "icehockey_nhl" and not nhl.has_draw
    assert nhl.outcome_count("h2h_3_way") == 3
    assert nhl.outcome_count("some_new_market") == 2
    assert nhl.canonical_team("Boston Bruins") is None


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_toml_file_overrides_a_builtin_and_adds_a_sport(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sports.toml",
        "[soccer_epl]\ngame_length_hours = 2.25\n\n"
        '[soccer_usa_mls]\ntitle = "MLS"\nsettlement = "regulation"\n'
        "outcomes = {h2h = 3, spreads = 2, totals = 2}\n"
        'teams = {"Inter Miami CF" = ["Inter Miami", "MIA"]}\n',
    )
    profiles = load_profiles(path)
    epl = profiles["soccer_epl"]
    assert epl.game_length_hours == 2.25
    assert epl.has_draw and epl.canonical_team("Spurs") == "Tottenham Hotspur"  # kept
    mls = profiles["soccer_usa_mls"]
    assert mls.has_draw and mls.settlement == "regulation"
    assert mls.canonical_team("inter miami") == "Inter Miami CF"
    assert profiles["basketball_nba"] == BUILTIN_PROFILES["basketball_nba"]


def test_the_setting_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "sports.json", json.dumps({"baseball_mlb": {"game_length_hours": 3.5}}))
    monkeypatch.setenv("SPORT_PROFILES_FILE", str(path))
    get_settings.cache_clear()
    assert profile_for("baseball_mlb").game_length == timedelta(hours=3.5)
    assert profile_for("basketball_nba").game_length == timedelta(hours=2.5)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("bad.json", "{not json", "is not valid"),
        ("bad.toml", "[soccer_epl]\nsettlement = 'overtime'\n", "settlement"),
        ("bad.json", json.dumps({"soccer_epl": {"game_length_hours": -1}}), "game_length_hours"),
        ("bad.json", json.dumps({"soccer_epl": {"outcomes_h2h": 3}}), "outcomes_h2h"),
        ("bad.json", json.dumps({"soccer_epl": 3}), "must be a table"),
        ("bad.json", "[1, 2]", "sport keys at the top"),
        ("bad.toml", "[baseball_mlb]\ntier_offsets = {sharp = 6, pregame = 8}\n", "tier_offsets"),
        ("bad.toml", "[baseball_mlb]\ntier_offsets = {opening = 96}\n", "tier_offsets"),
    ],
)
def test_a_bad_file_is_refused_naming_the_problem(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigurationError, match=problem) as caught:
        load_profiles(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SPORT_PROFILES_FILE"):
        load_profiles(tmp_path / "absent.toml")


def test_scores_are_due_after_each_sports_game_length() -> None:
    games = [GameState("g", NOW - timedelta(hours=1), status="live")]
    policy = SchedulePolicy()
    due = {
        sport: decide_scores(games, NOW, policy.for_sport(sport)).at - games[0].commence_time
        for sport in ("basketball_nba", "soccer_epl", "baseball_mlb")
    }
    assert due == {
        "basketball_nba": timedelta(hours=2.5),
        "soccer_epl": timedelta(hours=2),
        "baseball_mlb": timedelta(hours=3),
    }


def test_the_game_duration_setting_fixes_every_sport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_GAME_DURATION_HOURS", "4")
    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    assert policy.for_sport("soccer_epl").game_duration == timedelta(hours=4)
    monkeypatch.delenv("SCHEDULER_GAME_DURATION_HOURS")
    get_settings.cache_clear()
    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    assert policy.game_duration == timedelta(hours=2.5)
    assert policy.for_sport("soccer_epl").game_duration == timedelta(hours=2)


@pytest.mark.parametrize("sport", sorted(BUILTIN_PROFILES))
def test_no_spelling_means_two_teams_of_one_sport(sport: str) -> None:
    from oddscore.sports import team_key

    owners: dict[str, set[str]] = {}
    for full, others in BUILTIN_PROFILES[sport].teams.items():
        for name in (full, *others):
            owners.setdefault(team_key(name), set()).add(full)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}

"""Replaying a real season's schedule: the planner covers every tier for far fewer credits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oddscore.exceptions import ConfigurationError
from oddscore.scheduling.replay import load_schedule, replay_all
from tests.conftest import real_data


def test_two_weeks_of_2023_24_full_coverage_at_a_fraction_of_polling() -> None:
    games = load_schedule(real_data("the_odds_api_snapshots", "events", "2023-2024"))
    assert len(games) > 1300
    results = replay_all(
        games,
        start=datetime(2023, 11, 20, tzinfo=UTC),
        end=datetime(2023, 12, 4, tzinfo=UTC),
    )
    covering, smart, fixed, nearest = (r.as_dict() for r in results)
    assert [covering["strategy"], smart["strategy"]] == ["covering", "cadence"]
    assert covering["games"] == smart["games"] == fixed["games"] > 90
    for planned in (covering, smart):
        assert planned["tier_coverage"] == 1.0
        assert planned["closing_coverage"] == 1.0
    assert smart["credits"] < 0.5 * fixed["credits"]
    assert covering["credits"] < 0.5 * smart["credits"]
    assert fixed["closing_coverage"] < 0.9  # 30-minute polling misses closing lines
    assert nearest["tier_coverage"] < 1.0


def test_one_file_is_one_listing() -> None:
    path = real_data("the_odds_api_snapshots", "events", "2023-2024", "events_2023-10-24.json.gz")
    games = load_schedule(path)
    assert games and all(g.visible_from < g.commence_time for g in games)


def test_not_an_events_file(tmp_path) -> None:
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(ConfigurationError):
        load_schedule(tmp_path)

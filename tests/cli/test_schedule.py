"""``odds schedule``: the season replay and the next-run view."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.config import get_settings
from tests.conftest import real_data

runner = CliRunner()


def test_replay_json_compares_both_planners_and_two_baselines() -> None:
    events = real_data("the_odds_api_snapshots", "events", "2023-2024")
    result = runner.invoke(
        app,
        [
            "schedule",
            "replay",
            "--events",
            str(events),
            "--start",
            "2023-12-01",
            "--end",
            "2023-12-08",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    names = [s["strategy"] for s in body["strategies"]]
    assert names == ["covering", "cadence", "fixed 30 min", "nearest game"]
    assert body["planner"] == "covering"
    covering, cadence, fixed, _ = body["strategies"]
    for smart in (covering, cadence):
        assert smart["games"] > 30
        assert smart["tier_coverage"] == 1.0 and smart["closing_coverage"] == 1.0
        assert smart["credits"] < fixed["credits"]
    assert covering["requests"] < cadence["requests"]


def test_replay_table_its_old_name_and_bad_input(monkeypatch) -> None:
    events = real_data("the_odds_api_snapshots", "events", "2023-2024", "events_2023-12-01.json.gz")
    result = runner.invoke(
        app, ["schedule", "replay", "--events", str(events)], env={"COLUMNS": "140"}
    )
    assert result.exit_code == 0, result.output
    assert "covering *" in result.output and "credits per fetch" in result.output
    assert "cadence" in result.output and "vs cadence" in result.output
    monkeypatch.setenv("SCHEDULER_PLANNER", "cadence")
    get_settings.cache_clear()
    old_name = runner.invoke(
        app, ["schedule", "simulate", "--events", str(events)], env={"COLUMNS": "140"}
    )
    assert old_name.exit_code == 0, old_name.output
    assert "cadence *" in old_name.output and "covering *" not in old_name.output
    bad = runner.invoke(app, ["schedule", "simulate", "--events", "/nonexistent/events"])
    assert bad.exit_code == 1
    assert "no such events file" in bad.output
    bad = runner.invoke(
        app, ["schedule", "simulate", "--events", str(events), "--start", "yesterday"]
    )
    assert bad.exit_code == 2  # refused at the command line, before the events are read
    assert "Invalid value for '--start'" in bad.output


def test_next_shows_the_three_flows(db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    result = runner.invoke(app, ["schedule", "next", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert set(body) == {"fetch-odds", "fetch-scores", "update-status"}
    assert body["fetch-odds"]["action"] == "discover"  # empty database: off-season check
    assert body["fetch-odds"]["estimated_credits"] == 0

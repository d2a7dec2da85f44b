"""``odds schedule``: the season replay and the next-run view."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from oddscore.cli.app import app
from tests.conftest import real_data

runner = CliRunner()


def test_simulate_json_compares_three_strategies() -> None:
    events = real_data("the_odds_api_snapshots", "events", "2023-2024")
    result = runner.invoke(
        app,
        [
            "schedule",
            "simulate",
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
    assert names == ["intelligence", "fixed 30 min", "nearest game"]
    smart, fixed, _ = body["strategies"]
    assert smart["games"] > 30
    assert smart["tier_coverage"] == 1.0 and smart["closing_coverage"] == 1.0
    assert smart["credits"] < fixed["credits"]


def test_simulate_table_and_bad_input() -> None:
    events = real_data("the_odds_api_snapshots", "events", "2023-2024", "events_2023-12-01.json.gz")
    result = runner.invoke(
        app, ["schedule", "simulate", "--events", str(events)], env={"COLUMNS": "120"}
    )
    assert result.exit_code == 0, result.output
    assert "intelligence" in result.output and "credits per fetch" in result.output
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

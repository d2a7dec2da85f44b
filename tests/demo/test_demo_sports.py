"""``odds demo --sport``: soccer and baseball through the whole product on SQLite."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app

runner = CliRunner()


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the CLI may create its default odds.db in the cwd
    return tmp_path


@pytest.mark.slow
def test_demo_of_soccer_collects_three_way_odds_and_grades_draws(in_tmp: Path) -> None:
    out = in_tmp / "epl"
    args = ["demo", "--sport", "soccer_epl", "--output", str(out), "--days", "3"]
    result = runner.invoke(app, [*args, "--no-plots", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sport"] == "soccer_epl"
    assert report["start"].startswith("2025-01-17T12:00")  # a Friday: the weekend round
    assert report["games"] >= 8 and report["finals"] == report["games"]
    with sqlite3.connect(out / "demo.db") as conn:
        sports = {s for (s,) in conn.execute("SELECT DISTINCT sport_key FROM events")}
        h2h_sizes = {
            n
            for (n,) in conn.execute(
                "SELECT count(*) FROM odds WHERE market_key = 'h2h' "
                "GROUP BY snapshot_id, bookmaker_key"
            )
        }
        draws = conn.execute(
            "SELECT count(*) FROM odds WHERE market_key = 'h2h' AND outcome_name = 'Draw'"
        ).fetchone()[0]
        scores = {
            event_id: (home, away)
            for event_id, home, away in conn.execute(
                "SELECT id, home_score, away_score FROM events WHERE home_score IS NOT NULL"
            )
        }
        missing = conn.execute(
            "SELECT count(*) FROM data_quality_logs WHERE issue_type = 'missing_side'"
        ).fetchone()[0]
    assert sports == {"soccer_epl"}
    assert h2h_sizes == {3} and draws > 0 and missing == 0
    # The flat baseline bets the home side: a drawn game is a lost bet, never a push.
    flat = json.loads((out / "backtest-flat.json").read_text())
    drawn = [b for b in flat["bets"] if len(set(scores[b["event_id"]])) == 1]
    assert drawn and all(b["result"] == "loss" for b in drawn)
    for bet in flat["bets"]:
        home, away = scores[bet["event_id"]]
        assert bet["outcome"] == bet["home_team"]
        assert bet["result"] == ("win" if home > away else "loss")


@pytest.mark.slow
def test_demo_of_baseball_runs(in_tmp: Path) -> None:
    out = in_tmp / "mlb"
    args = ["demo", "--sport", "baseball_mlb", "--output", str(out), "--days", "1"]
    result = runner.invoke(app, [*args, "--no-plots", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sport"] == "baseball_mlb"
    assert report["games"] >= 10 and report["finals"] == report["games"]
    assert [s["strategy"] for s in report["strategies"]] == ["flat", "basic_ev", "arbitrage"]
    assert report["strategies"][0]["bets"] == report["games"]


def test_a_sport_without_games_is_one_red_line(in_tmp: Path) -> None:
    result = runner.invoke(app, ["demo", "--output", str(in_tmp / "x"), "--sport", "curling"])
    assert result.exit_code != 0
    assert "--sport" in result.output and "soccer_epl" in result.output
    assert "Traceback" not in result.output
    assert not (in_tmp / "x").exists()

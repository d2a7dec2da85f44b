"""``odds backtest`` and ``odds ml`` end to end through Typer, on both backends."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.backtest.results import BacktestResult
from oddscore.cli.app import app
from oddscore.storage import Database
from tests.backtest.conftest import seed
from tests.backtest.test_engine import G1, GAMES, board

runner = CliRunner()


@pytest.fixture
async def seeded_url(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    await seed(db, GAMES, board())
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def test_run_show_compare_export(seeded_url: str, tmp_path: Path) -> None:
    flat_json, ev_json, png = tmp_path / "flat.json", tmp_path / "ev.json", tmp_path / "eq.png"
    args = ["backtest", "run", "--start", "2024-01-09", "--end", "2024-01-12"]
    done = runner.invoke(
        app,
        [
            *args,
            "-s",
            "flat",
            "-p",
            "book=draftkings",
            "--output-json",
            str(flat_json),
            "--plot",
            str(png),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "total_bets" in done.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = BacktestResult.load(flat_json)
    assert result.summary.total_bets == 4 and result.summary.profit == pytest.approx(
        57.5758, abs=1e-3
    )
    done = runner.invoke(
        app, [*args, "-s", "basic_ev", "-p", "sharp_books=pinnacle", "-p", "min_ev=0.01", "--json"]
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["total_bets"] >= 1 and "yield" in summary and "roi" in summary
    done = runner.invoke(app, [*args, "-s", "basic_ev", "--output-json", str(ev_json)])
    assert done.exit_code == 0, done.output
    shown = runner.invoke(app, ["backtest", "show", str(flat_json), "--verbose"])
    assert shown.exit_code == 0 and "by market" in shown.output and "draftkings" in shown.output
    compared = runner.invoke(app, ["backtest", "compare", str(flat_json), str(ev_json), "--json"])
    assert compared.exit_code == 0
    assert json.loads(compared.output)[str(flat_json)]["total_bets"] == 4
    out = tmp_path / "bets.csv"
    exported = runner.invoke(app, ["backtest", "export", str(flat_json), "--output", str(out)])
    assert exported.exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4 and {r["event_id"] for r in rows} >= {G1.id}


def test_errors_are_one_red_line(seeded_url: str, tmp_path: Path) -> None:
    args = ["backtest", "run", "--start", "2024-01-09", "--end", "2024-01-12"]
    bad = runner.invoke(app, [*args, "-s", "nope"])
    assert bad.exit_code == 1 and "unknown strategy" in bad.output and "Traceback" not in bad.output
    bad = runner.invoke(app, [*args, "-s", "flat", "-p", "colour=red"])
    assert bad.exit_code == 1 and "no parameter 'colour'" in bad.output
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    bad = runner.invoke(app, ["backtest", "show", str(junk)])
    assert bad.exit_code == 1 and "not a backtest result" in bad.output


def test_list_strategies() -> None:
    done = runner.invoke(app, ["backtest", "list-strategies", "--json"])
    assert done.exit_code == 0
    names = {row["name"] for row in json.loads(done.output)}
    assert {"flat", "basic_ev", "arbitrage", "ml"} <= names


def test_ml_train_needs_enough_games(seeded_url: str, tmp_path: Path) -> None:
    pytest.importorskip("xgboost")
    model = tmp_path / "m.json"
    args = ["ml", "train", "--start", "2024-01-09", "--end", "2024-01-12", "--output", str(model)]
    done = runner.invoke(app, args)
    assert done.exit_code == 1 and "at least 10 finished games" in done.output
    assert not model.exists()

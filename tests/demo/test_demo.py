"""``odds demo`` end to end: the product's first impression, so it runs in the default suite."""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app

runner = CliRunner()
PICTURES = ("equity.png", "line_movement.png", "clv.png", "tier_coverage.png")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (and proof that it is a PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the CLI may create its default odds.db in the cwd
    return tmp_path


@pytest.mark.slow
def test_demo_prints_the_report_and_writes_the_pictures(in_tmp: Path) -> None:
    out = in_tmp / "demo"
    result = runner.invoke(app, ["demo", "--output", str(out)], terminal_width=160)
    assert result.exit_code == 0, result.output
    text = result.output
    # The report's key facts, as printed.
    for heading in (
        "Collection",
        "Snapshots per tier",
        "Credits",
        "Data quality",
        "Strategies",
        "Pictures",
    ):
        assert heading in text
    for strategy in ("flat", "basic_ev", "arbitrage"):
        assert strategy in text
    assert "26 (26 final)" in text  # every game of the window was scored and closed
    assert "/odds polled every 30 minutes instead" in text
    # It ends with the command that opens the odds screen on its data, as of its end.
    ending = " ".join(text.strip().splitlines()[-4:]).split()
    assert "serve --at 2025-01-17T12:00Z --results" in " ".join(ending)
    # What the report says is what the database holds.
    with sqlite3.connect(out / "demo.db") as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM events GROUP BY status"))
        tiers = {t for (t,) in conn.execute("SELECT DISTINCT fetch_tier FROM odds_snapshots")}
        odds_calls, odds_credits = conn.execute(
            "SELECT count(*), sum(api_quota_last) FROM fetch_logs WHERE endpoint LIKE '%/odds'"
        ).fetchone()
        unscored = conn.execute(
            "SELECT count(*) FROM events WHERE status = 'final' AND home_score IS NULL"
        ).fetchone()[0]
    assert statuses.get("final", 0) >= 26
    assert unscored == 0
    assert tiers >= {"opening", "early", "sharp", "pregame", "closing"}
    # The intelligence spent less on /odds than fixed 30-minute polling would have (192 calls).
    assert 0 < odds_calls < 192
    assert odds_credits == 3 * odds_calls
    for name in PICTURES:
        path = out / name
        assert path.exists(), f"{name} was not written"
        assert path.stat().st_size > 20_000, f"{name} is nearly empty"
        width, height = png_size(path)
        assert width >= 600 and height >= 350
    for strategy in ("flat", "basic_ev", "arbitrage"):
        saved = json.loads((out / f"backtest-{strategy}.json").read_text())
        assert saved["strategy"] == strategy
        assert saved["summary"]["total_bets"] > 0
    # The simulated retail books lag the market, so value bets beat Pinnacle's close.
    basic_ev = json.loads((out / "backtest-basic_ev.json").read_text())["summary"]
    assert basic_ev["clv_mean"] > 0


@pytest.mark.slow
def test_demo_is_rerunnable_and_its_json_is_stable(in_tmp: Path) -> None:
    args = ["demo", "--output", str(in_tmp / "d"), "--days", "1", "--no-plots", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, args)  # same folder: starts clean, same figures
    assert second.exit_code == 0, second.output
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    for report in (a, b):
        report.pop("elapsed_seconds")
    assert a == b
    assert a["games"] > 0 and a["finals"] == a["games"]
    assert a["credits"]["used"] == sum(a["credits"]["by_endpoint"].values())
    assert a["credits"]["fixed_polling"] > a["credits"]["by_endpoint"]["odds"]
    assert [s["strategy"] for s in a["strategies"]] == ["flat", "basic_ev", "arbitrage"]
    assert a["pictures"] == {}


def test_a_bad_start_is_one_red_line(in_tmp: Path) -> None:
    result = runner.invoke(app, ["demo", "--output", str(in_tmp / "x"), "--start", "soon"])
    assert result.exit_code == 2  # refused at the command line, before anything is created
    assert "Invalid value for '--start'" in result.output and "Traceback" not in result.output
    assert not (in_tmp / "x").exists()

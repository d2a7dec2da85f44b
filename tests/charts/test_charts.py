"""Charts and ``odds plot``: the data behind each picture, and PNGs written from the CLI."""

from __future__ import annotations

import asyncio
import json
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.backtest.metrics import compute_summary
from oddscore.backtest.results import BacktestResult, Bet
from oddscore.charts.coverage import coverage_by_day, tier_labels
from oddscore.charts.equity import drawdown_percent, equity_steps
from oddscore.cli.app import app
from oddscore.queries.types import TierCoverage
from oddscore.storage import Database, Event, OddsSnapshot

runner = CliRunner()
T0 = datetime(2024, 1, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI creates the default embedded odds.db in the working directory on first use.
    monkeypatch.chdir(tmp_path)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def result(strategy: str, outcomes: list[tuple[str, float | None]]) -> BacktestResult:
    bets = []
    for i, (outcome, clv) in enumerate(outcomes):
        tip = T0 + timedelta(days=i, hours=1)
        bets.append(
            Bet(
                event_id=f"e{i}",
                home_team="Denver Nuggets",
                away_team="Los Angeles Lakers",
                commence_time=tip,
                book="draftkings",
                market="h2h",
                outcome="Denver Nuggets",
                point=None,
                price=-110,
                decimal_odds=1.909,
                stake=100.0,
                decision_time=tip - timedelta(hours=1),
                quote_time=tip - timedelta(hours=1),
                tier="closing",
                result=outcome,
                profit=90.9 if outcome == "win" else -100.0,
                settled_at=tip + timedelta(hours=3),
                clv=clv,
            )
        )
    end = T0 + timedelta(days=len(outcomes) + 1)
    summary, curve, daily = compute_summary(bets, 10_000.0, T0, end)
    return BacktestResult(
        strategy=strategy,
        params={},
        config={},
        start=T0,
        end=end,
        summary=summary,
        bets=bets,
        equity_curve=curve,
        daily_equity=daily,
    )


def test_drawdown_is_the_distance_below_the_running_peak() -> None:
    assert drawdown_percent([100.0, 110.0, 99.0, 120.0, 60.0]) == [0.0, 0.0, -10.0, 0.0, -50.0]


def test_equity_steps_merge_bets_settled_at_the_same_moment() -> None:
    r = result("arbitrage", [("win", None), ("loss", None)])
    legs = [b.model_copy(update={"settled_at": r.bets[0].settled_at}) for b in r.bets]
    summary, curve, daily = compute_summary(legs, 10_000.0, r.start, r.end)
    merged = r.model_copy(update={"bets": legs, "equity_curve": curve, "summary": summary})
    times, values = equity_steps(merged)
    assert times == [r.start, legs[0].settled_at]
    assert values == [10_000.0, pytest.approx(10_000.0 + 90.9 - 100.0)]


def test_coverage_groups_games_by_us_game_day() -> None:
    late = datetime(2024, 1, 11, 2, 30, tzinfo=UTC)  # 9:30 pm Eastern on the 10th
    items = [
        TierCoverage("a", datetime(2024, 1, 11, 0, 30, tzinfo=UTC), {"closing": 2, "early": 1}),
        TierCoverage("b", late, {"closing": 1}),
        TierCoverage("c", datetime(2024, 1, 12, 0, 30, tzinfo=UTC), {}),
    ]
    days = coverage_by_day(items)
    assert [(d.day, d.games) for d in days] == [("2024-01-10", 2), ("2024-01-11", 1)]
    assert days[0].covered == {"closing": 2, "early": 1}
    assert days[0].share("closing") == 1.0 and days[0].share("early") == 0.5
    assert days[1].share("closing") == 0.0


def test_coverage_rows_carry_the_hours_of_the_games_sport(mlb_tiers: dict[str, float]) -> None:
    standard = ["opening (72+ h)", "early (24-72 h)", "sharp (12-24 h)", "pregame (3-12 h)"]
    assert tier_labels({"basketball_nba"}) == [*standard, "closing (0-3 h)"]
    assert tier_labels(set()) == tier_labels({None}) == tier_labels({"basketball_nba"})
    # baseball_mlb's profile moves its boundaries (the mlb_tiers fixture).
    assert tier_labels({"baseball_mlb"}) == [
        "opening (48+ h)",
        "early (18-48 h)",
        "sharp (6-18 h)",
        "pregame (1-6 h)",
        "closing (0-1 h)",
    ]
    mixed = tier_labels({"basketball_nba", "baseball_mlb"})
    assert mixed[0] == "opening (hours vary by sport)" and len(mixed) == 5
    # Sports that share the standard table still show its hours together.
    assert tier_labels({"basketball_nba", "icehockey_nhl"}) == tier_labels({"basketball_nba"})


def test_plot_equity_and_clv_from_saved_results(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    result("flat", [("win", 0.02), ("loss", -0.01), ("loss", None)]).save(a)
    result("basic_ev", [("win", 0.05), ("win", 0.03)]).save(b)
    equity = tmp_path / "equity.png"
    out = runner.invoke(app, ["plot", "equity", str(a), str(b), "-o", str(equity), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["profit"] == {"flat": pytest.approx(-109.1), "basic_ev": 181.8}
    assert png_size(equity)[0] >= 600 and equity.stat().st_size > 10_000
    clv = tmp_path / "clv.png"
    out = runner.invoke(app, ["plot", "clv", str(a), str(b), "-o", str(clv), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["clv_mean"] == {
        "flat": pytest.approx(0.005),
        "basic_ev": pytest.approx(0.04),
    }
    assert clv.stat().st_size > 10_000


def test_plot_refuses_a_file_that_is_not_a_result(tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text("{}")
    out = runner.invoke(app, ["plot", "clv", str(bogus), "-o", str(tmp_path / "c.png")])
    assert out.exit_code == 1
    assert "is not a backtest result" in out.output and "Traceback" not in out.output


async def seed_coverage(db_url: str, tip: datetime) -> None:
    async with Database.from_url(db_url) as db, db.session() as session:
        for n, tiers in enumerate([("closing", "pregame"), ("closing",)]):
            event = f"{n:032x}"
            session.add(
                Event(
                    id=event,
                    sport_key="basketball_nba",
                    commence_time=tip + timedelta(hours=n),
                    home_team="Denver Nuggets",
                    away_team="Los Angeles Lakers",
                )
            )
            await session.flush()
            for k, tier in enumerate(tiers):
                session.add(
                    OddsSnapshot(
                        event_id=event,
                        snapshot_time=tip - timedelta(hours=1 + 4 * k),
                        raw_data={},
                        fetch_tier=tier,
                    )
                )


def test_plot_coverage_from_the_database(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(seed_coverage(db_url, datetime(2024, 1, 11, 0, 30, tzinfo=UTC)))
    monkeypatch.setenv("DATABASE_URL", db_url)
    png = tmp_path / "coverage.png"
    args = ["plot", "coverage", "--start", "2024-01-10", "--end", "2024-01-11", "-o", str(png)]
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    days = json.loads(out.stdout)["days"]
    assert days == [{"day": "2024-01-10", "games": 2, "covered": {"closing": 2, "pregame": 1}}]
    assert png.stat().st_size > 10_000
    empty = runner.invoke(app, [*args[:2], "--start", "2020-01-01", "--end", "2020-01-02"])
    assert empty.exit_code == 1 and "no stored games" in empty.output
    nba = runner.invoke(app, [*args, "--sport", "basketball_nba", "--json"])
    assert json.loads(nba.stdout)["days"] == days
    other = runner.invoke(app, [*args, "--sport", "icehockey_nhl"])
    assert other.exit_code == 1 and "no stored icehockey_nhl games" in other.output


def test_plot_and_backtest_show_read_results_from_s3(s3_bucket: str, tmp_path: Path) -> None:
    """Results a Fargate task wrote to the result bucket are read from there (moto's S3)."""
    from oddscore.locations import write_bytes

    flat, ev = f"s3://{s3_bucket}/backtests/flat.json", f"s3://{s3_bucket}/backtests/ev.json"
    write_bytes(flat, result("flat", [("win", 0.02), ("loss", -0.01)]).to_json().encode())
    write_bytes(ev, result("basic_ev", [("win", 0.05), ("win", 0.03)]).to_json().encode())
    equity = tmp_path / "equity.png"
    out = runner.invoke(app, ["plot", "equity", flat, ev, "-o", str(equity), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["profit"] == {"flat": pytest.approx(-9.1), "basic_ev": 181.8}
    assert equity.stat().st_size > 10_000
    out = runner.invoke(app, ["plot", "clv", ev, "-o", str(tmp_path / "clv.png"), "--json"])
    assert json.loads(out.stdout)["clv_mean"] == {"basic_ev": pytest.approx(0.04)}

    shown = runner.invoke(app, ["backtest", "show", flat, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["total_bets"] == 2
    compared = runner.invoke(app, ["backtest", "compare", flat, ev], terminal_width=200)
    assert compared.exit_code == 0 and "flat (flat.json)" in compared.output, compared.output

    missing = runner.invoke(app, ["backtest", "show", f"s3://{s3_bucket}/backtests/none.json"])
    assert missing.exit_code == 1
    assert "No such file or directory: s3://oddscore-test/backtests/none.json" in missing.output
    write_bytes(f"s3://{s3_bucket}/backtests/junk.json", b"{}")
    junk = runner.invoke(app, ["plot", "clv", f"s3://{s3_bucket}/backtests/junk.json"])
    assert junk.exit_code == 1 and "is not a backtest result" in junk.output, junk.output
    bad = runner.invoke(app, ["backtest", "show", "s3://bucket-only"])
    assert bad.exit_code == 1, bad.output

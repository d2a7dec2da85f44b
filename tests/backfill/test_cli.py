"""``odds backfill plan / execute / status`` end to end, against the replay simulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.config import get_settings
from oddscore.simulator import simulator_of
from tests.backfill.conftest import API_KEY, BOOKS

runner = CliRunner()


@pytest.fixture
def env(db_url: str, replay_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_BASE_URL", replay_server)
    monkeypatch.setenv("BOOKMAKERS", ",".join(BOOKS))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")


def _json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_plan_execute_status_round_trip(
    env: None, tmp_path: Path, replay_app: Starlette, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = simulator_of(replay_app).ledger
    plan_file = tmp_path / "plan.json"
    args = ["backfill", "plan", "--start", "2023-12-01", "--end", "2023-12-07"]
    used = ledger.used
    planned = _json(
        *args, "--games", "4", "--strategy", "random", "--seed", "2", "--output", str(plan_file)
    )
    assert planned["source"] == "endpoint" and planned["games"] == 4
    assert planned["games_without_results"] == 0  # not stored yet, so not known yet
    # 7 dates at 1 credit each, except a date without games, which is free.
    assert planned["credits_spent_selecting"] == ledger.used - used == 6
    assert planned["credits_per_call"] == 30  # 10 x 3 markets x 1 region (3 books)
    assert planned["credits_grouped"] == 30 * planned["calls"] < planned["credits_naive"]
    body = json.loads(plan_file.read_text())
    assert body["settings"]["bookmakers"] == BOOKS and len(body["games"]) == 4

    dry = _json("backfill", "execute", "--plan", str(plan_file), "--dry-run")
    assert dry["credits_outstanding"] == planned["credits_grouped"]
    assert dry["quota_remaining"] == ledger.remaining

    over = runner.invoke(app, ["backfill", "execute", "--plan", str(plan_file), "--budget", "10"])
    assert over.exit_code == 1 and "over the budget of 10" in over.output

    used = ledger.used
    result = runner.invoke(app, ["backfill", "execute", "--plan", str(plan_file)])
    assert result.exit_code == 0, result.output
    assert f"paid {planned['calls']} calls, {planned['credits_grouped']} credits" in result.output
    assert ledger.used - used == planned["credits_grouped"]
    assert "odds results import" in result.output  # no results yet for those games

    again = _json("backfill", "execute", "--plan", str(plan_file))
    assert again["credits_spent"] == 0 and again["calls_paid"] == 0

    [status] = _json("backfill", "status")
    assert status["plan_id"] == planned["plan_id"]
    assert status["calls_done"] == status["calls"] == planned["calls"]
    assert status["credits_spent"] == status["credits_planned"] == planned["credits_grouped"]
    assert len(status["games_without_results"]) == 4

    # The events are stored now: the same plan comes from the table, for free.
    used = ledger.used
    replanned = _json(
        *args,
        "--games",
        "4",
        "--strategy",
        "random",
        "--seed",
        "2",
        "--output",
        str(tmp_path / "again.json"),
    )
    assert replanned["source"] == "stored" and replanned["credits_spent_selecting"] == 0
    assert replanned["games_without_results"] == 4  # stored, played, never settled
    assert ledger.used == used

    # The same games for moneylines only: a new plan, every call of it fetched by the first.
    monkeypatch.setenv("MARKETS", "h2h")
    get_settings.cache_clear()
    narrower = tmp_path / "h2h.json"
    replanned = _json(
        *args, "--games", "4", "--strategy", "random", "--seed", "2", "--output", str(narrower)
    )
    assert replanned["plan_id"] != planned["plan_id"] and replanned["calls"] == planned["calls"]
    dry = _json("backfill", "execute", "--plan", str(narrower), "--dry-run")
    assert dry["credits_outstanding"] == 0
    result = runner.invoke(app, ["backfill", "execute", "--plan", str(narrower)])
    assert result.exit_code == 0, result.output
    assert "paid 0 calls, 0 credits" in result.output
    assert f"{replanned['calls']} calls not paid: other plans had already stored" in result.output
    assert ledger.used == used
    [status] = _json("backfill", "status", "--plan-id", replanned["plan_id"])
    assert status["calls_served"] == status["calls_done"] == replanned["calls"]
    assert status["credits_spent"] == 0


def test_bad_input_is_one_red_line(env: None, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "backfill",
            "plan",
            "--start",
            "2023-12-09",
            "--end",
            "2023-12-01",
            "--output",
            str(tmp_path / "p.json"),
        ],
    )
    assert result.exit_code == 1 and "before --start" in result.output
    result = runner.invoke(app, ["backfill", "execute", "--plan", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "cannot read plan file" in result.output
    result = runner.invoke(app, ["backfill", "status"])
    assert result.exit_code == 0 and "no backfill has been executed yet" in result.output

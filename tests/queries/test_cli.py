"""The read commands end to end: CliRunner against a populated database via DATABASE_URL."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.storage import Database, FetchLog
from tests.queries.factories import (
    AWAY,
    HOME,
    Q,
    add_events,
    add_fetch_logs,
    add_quotes,
    event_id,
    make_event,
)

runner = CliRunner()
H = timedelta(hours=1)
NOW = utcnow().replace(microsecond=0)
TIP = NOW + 2 * H  # upcoming: the default board is as of now
PAST_TIP = NOW - timedelta(days=1)  # started: the default board is the closing one
E1 = "ab12" + "0" * 27 + "1"
E2 = event_id(2)


@pytest.fixture
def populated(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database behind DATABASE_URL, filled (the commands run their own event loop), and
    the commands' clock pinned at NOW: the module's NOW is read once at import, and a test that
    runs minutes later (across a midnight or a month start) must still judge the same "now"."""
    asyncio.run(_fill(db_url))
    monkeypatch.setattr("oddscore.clock.utcnow", lambda: NOW)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url


async def _fill(db_url: str) -> None:
    db = Database.from_url(db_url, null_pool=True)
    try:
        await _fill_db(db)
    finally:
        await db.dispose()


async def _fill_db(db: Database) -> None:
    one = make_event(1, commence=TIP)
    one.id = E1
    await add_events(db, [one, make_event(2, commence=PAST_TIP, home="Boston Celtics")])
    await add_quotes(
        db,
        E1,
        [
            Q("pinnacle", "spreads", HOME, -104, -4.5, at=NOW - 3 * H),
            Q("pinnacle", "spreads", AWAY, -106, 4.5, at=NOW - 3 * H),
            Q("pinnacle", "spreads", HOME, -110, -5.0, at=NOW - H),
            Q("pinnacle", "spreads", AWAY, -102, 5.0, at=NOW - H),
            Q("draftkings", "spreads", HOME, -110, -4.5, at=NOW - H),
            Q("draftkings", "spreads", AWAY, -110, 4.5, at=NOW - H),
            Q("draftkings", "h2h", HOME, -190, at=NOW - H),
            Q("draftkings", "h2h", AWAY, 160, at=NOW - H),
            Q("fanduel", "h2h", HOME, -180, at=NOW - H),
            Q("fanduel", "h2h", AWAY, 150, at=NOW - H),
            # Observed after now: the default board must not show it.
            Q("draftkings", "h2h", HOME, -250, at=NOW + H),
            Q("draftkings", "h2h", AWAY, 210, at=NOW + H),
        ],
        tiers={NOW - 3 * H: "pregame", NOW - H: "closing"},
    )
    await add_quotes(
        db,
        E2,
        [
            Q("fanduel", "h2h", "Boston Celtics", -130, at=PAST_TIP - H),
            Q("fanduel", "h2h", "Boston Celtics", -900, at=PAST_TIP + H),  # in-play
        ],
    )
    await add_fetch_logs(
        db,
        [
            FetchLog(
                request_id="r1",
                fetch_time=NOW - 2 * H,
                success=True,
                api_quota_remaining=19_000,
                api_quota_used=1_000,
                api_quota_last=3,
            ),
            FetchLog(
                request_id="r2",
                fetch_time=NOW - H,
                success=True,
                api_quota_remaining=18_997,
                api_quota_used=1_003,
                api_quota_last=3,
            ),
            FetchLog(
                request_id="r3",
                fetch_time=NOW - timedelta(minutes=30),
                success=False,
                error_code="EXCEEDED_FREQ_LIMIT",
                status_code=429,
            ),
        ],
    )


def invoke(*args: str) -> str:
    from oddscore.cli.app import app

    result = runner.invoke(app, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_board_json_is_as_of_now_and_never_later(populated: str) -> None:
    data = json.loads(invoke("odds", "show", "ab12", "--json"))
    assert data["event"]["id"] == E1
    prices = {
        (q["bookmaker_key"], q["market_key"], q["outcome_name"]): q["price"] for q in data["quotes"]
    }
    assert prices[("draftkings", "h2h", HOME)] == -190  # not the -250 observed after now
    assert prices[("pinnacle", "spreads", HOME)] == -110
    assert all(q["odds_timestamp"] <= data["as_of"] for q in data["quotes"])


def test_board_at_a_time_and_table(populated: str) -> None:
    at = (NOW - 2 * H).isoformat()
    data = json.loads(invoke("odds", "show", E1, "--at", at, "--json"))
    assert {(q["bookmaker_key"], q["point"]) for q in data["quotes"]} == {
        ("pinnacle", -4.5),
        ("pinnacle", 4.5),
    }
    table = invoke("odds", "show", E1)
    assert "pinnacle*" in table and "-5 -110" in table and "-190" in table


def test_started_game_shows_the_closing_board(populated: str) -> None:
    data = json.loads(invoke("odds", "show", E2, "--json"))
    assert [q["price"] for q in data["quotes"]] == [-130]


def test_best_compares_equal_points_only(populated: str) -> None:
    data = json.loads(invoke("best", "ab12", "--market", "spreads", "--json"))
    got = {(b["outcome_name"], b["point"]): (b["price"], b["bookmakers"]) for b in data["best"]}
    assert got == {
        (HOME, -4.5): (-110, ["draftkings"]),
        (AWAY, 4.5): (-110, ["draftkings"]),
        (HOME, -5.0): (-110, ["pinnacle"]),
        (AWAY, 5.0): (-102, ["pinnacle"]),
    }
    assert "draftkings" in invoke("best", "ab12")


def test_lines_json_table_and_plot(populated: str, tmp_path: Path) -> None:
    data = json.loads(invoke("lines", "ab12", "--book", "pinnacle", "--json"))
    home = [(p["point"], p["price"]) for p in data["points"] if p["outcome_name"] == HOME]
    assert home == [(-4.5, -104), (-5.0, -110)]
    plot = tmp_path / "lines.png"
    output = invoke("lines", E2, "--plot", str(plot))
    assert "in-play" in output
    invoke("lines", "ab12", "--plot", str(plot))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_events_by_team_with_tiers(populated: str) -> None:
    rows = json.loads(invoke("status", "events", "--days", "3", "--json"))
    assert [r["id"] for r in rows] == [E2, E1]
    celtics = json.loads(invoke("status", "events", "--team", "celtics", "--json"))
    assert [r["id"] for r in celtics] == [E2]
    assert rows[1]["tiers"] == {"pregame": 1, "closing": 1, "untiered": 1}
    assert "ab1200000000" in invoke("status", "events", "--team", "DEN")


def test_status_quota_and_show(populated: str) -> None:
    quota = json.loads(invoke("status", "quota", "--json"))
    assert (quota["remaining"], quota["used"], quota["last_cost"]) == (18_997, 1_003, 3)
    # The paid fetches were 2 h and 1 h before NOW: in the first hours of a month, one or both
    # fall in the last one and must not count (asserted, not skipped, on every date).
    month_start = NOW.replace(day=1, hour=0, minute=0, second=0)
    paid_this_month = [t for t in (NOW - 2 * H, NOW - H) if t >= month_start]
    assert quota["credits_this_month"] == 3 * len(paid_this_month)
    shown = json.loads(invoke("status", "show", "--verbose", "--json"))
    assert shown["rows"]["odds"] == 14
    assert shown["rows"]["events"] == 2
    assert shown["fetches"]["requests"] == 3
    assert shown["fetches"]["success_rate"] == pytest.approx(2 / 3)
    assert shown["fetches"]["last_error"].startswith("EXCEEDED_FREQ_LIMIT")
    assert shown["size_bytes"] > 0
    assert {b["bookmaker_key"]: b["rows"] for b in shown["books"]}["fanduel"] == 4
    table = invoke("status", "show", "-v")
    assert "by bookmaker" in table and "66.7%" in table


def test_unknown_event_is_one_red_line(populated: str) -> None:
    from oddscore.cli.app import app

    result = runner.invoke(app, ["odds", "show", "ffff"])
    assert result.exit_code == 1
    assert "no event id starts with 'ffff'" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["best", "ab12", "--at", "yesterday-ish"])
    assert result.exit_code == 2  # refused at the command line, before the event is looked up
    assert "Invalid value for '--at'" in result.output

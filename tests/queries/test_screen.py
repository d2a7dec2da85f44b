"""``odds screen lowhold`` and ``odds screen middles`` on a stored database (both backends).

Four past games closed at total 220 and home -2 and finished 220, 220, 221 and 224 points:
total residuals 0, 0, 1, 4. The upcoming game is quoted five minutes before the screen's
time; a betmgm quote three hours old would be an arbitrage but is too stale to count.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.config import get_settings
from oddscore.storage import Database
from tests.queries.factories import AWAY, HOME, Q, add_events, add_quotes, event_id, make_event

runner = CliRunner()
AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)  # the screen's as-of time, given explicitly
TIP = AT + timedelta(hours=8)
FRESH = AT - timedelta(minutes=5)
UPCOMING = event_id(100)
FINALS = [(110, 110), (112, 108), (111, 110), (120, 104)]  # totals 220, 220, 221, 224


async def _fill(url: str) -> None:
    db = Database.from_url(url, null_pool=True)
    try:
        past = [
            make_event(
                n, commence=AT - timedelta(days=n), status="final", home_score=h, away_score=a
            )
            for n, (h, a) in enumerate(FINALS, start=1)
        ]
        await add_events(db, [*past, make_event(100, commence=TIP)])
        for game in past:
            closing = game.commence_time - timedelta(minutes=30)
            await add_quotes(
                db,
                game.id,
                [
                    Q("draftkings", "totals", "Over", -110, 220.0, at=closing),
                    Q("draftkings", "totals", "Under", -110, 220.0, at=closing),
                    Q("draftkings", "spreads", HOME, -110, -2.0, at=closing),
                    Q("draftkings", "spreads", AWAY, -110, 2.0, at=closing),
                ],
            )
        await add_quotes(
            db,
            UPCOMING,
            [
                Q("draftkings", "h2h", HOME, -105, at=FRESH),  # 1.952
                Q("draftkings", "h2h", AWAY, -105, at=FRESH),  # 1.952
                Q("fanduel", "h2h", HOME, 100, at=FRESH),  # 2.0
                Q("fanduel", "h2h", AWAY, -115, at=FRESH),  # 1.870
                Q("betmgm", "h2h", HOME, 150, at=AT - timedelta(hours=3)),  # stale
                Q("betmgm", "h2h", AWAY, -200, at=AT - timedelta(hours=3)),
                Q("draftkings", "totals", "Over", -105, 220.0, at=FRESH),  # 1.952
                Q("draftkings", "totals", "Under", -115, 220.0, at=FRESH),
                Q("fanduel", "totals", "Over", -115, 222.0, at=FRESH),
                Q("fanduel", "totals", "Under", -110, 222.0, at=FRESH),  # 1.909
            ],
        )
    finally:
        await db.dispose()


@pytest.fixture
def stored(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    asyncio.run(_fill(db_url))
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    done = runner.invoke(app, [*args, "--at", AT.isoformat(), "--hours", "24", "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_lowhold_ranks_fresh_best_prices(stored: str) -> None:
    rows = _json(["screen", "lowhold"])["screen"]
    by_market = {r["market"]: r for r in rows}
    h2h = by_market["h2h"]
    # FanDuel home 2.0 with DraftKings away 1.952; betmgm's +150 is three hours old.
    assert {(leg["book"], leg["outcome"]) for leg in h2h["legs"]} == {
        ("fanduel", HOME),
        ("draftkings", AWAY),
    }
    booksum = 1 / 2.0 + 1 / (1 + 100 / 105)
    assert h2h["booksum"] == pytest.approx(booksum)
    assert h2h["hold"] == pytest.approx(1 - 1 / booksum)
    totals = by_market["totals"]
    assert {leg["point"] for leg in totals["legs"]} in ({220.0}, {222.0})
    assert [r["booksum"] for r in rows] == sorted(r["booksum"] for r in rows)
    assert "spreads" not in by_market  # the upcoming game has no spread quotes


def test_middles_from_the_stored_score_distribution(stored: str) -> None:
    data = _json(["screen", "middles"])
    assert data["history_games"] == {"spreads": 8, "totals": 4}  # spreads: both sides
    (middle,) = data["middles"]
    assert [(leg["book"], leg["outcome"], leg["point"]) for leg in middle["legs"]] == [
        ("draftkings", "Over", 220.0),
        ("fanduel", "Under", 222.0),
    ]
    # Consensus total 221 (median of 220 and 222) plus residuals 0, 0, 1, 4: finals 221,
    # 221, 222, 225. Both win at 221; 222 pushes the Under.
    assert middle["width"] == 2.0
    assert middle["p_both"] == pytest.approx(0.5)
    assert middle["p_push"] == pytest.approx(0.25)
    d1, d2 = 1 + 100 / 105, 1 + 100 / 110
    s1 = (1 / d1) / (1 / d1 + 1 / d2)
    s2 = 1 - s1
    ev = 0.5 * (s1 * (d1 - 1) + s2 * (d2 - 1)) + 0.25 * s1 * (d1 - 1) + 0.25 * (s1 * (d1 - 1) - s2)
    assert middle["ev"] == pytest.approx(ev)


def test_middles_without_history_say_what_to_load(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    done = runner.invoke(app, ["screen", "middles", "--at", AT.isoformat()])
    assert done.exit_code == 1
    assert "no scored game" in done.output and "results" in done.output

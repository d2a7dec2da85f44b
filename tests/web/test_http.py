"""``odds serve`` over HTTP (Starlette's TestClient) on both backends, on a frozen clock.

One upcoming game is quoted five minutes before the screen's time AT by pinnacle (the sharp
reference), draftkings and fanduel; betmgm's quote is three hours old. By hand:

* best h2h: Denver +100 at fanduel, Los Angeles +110 at pinnacle;
* pinnacle's no-vig Denver probability: (1/1.8333) / (1/1.8333 + 1/2.1) = 0.533898;
* EV of fanduel's Denver +100: 0.533898 * 2.0 - 1 = +6.78 %; quarter-Kelly stake on 1,000:
  250 * 0.067797 / 1.0 = 16.95;
* arbitrage: Denver 2.0 at fanduel with Los Angeles 2.1 at pinnacle, booksum
  0.5 + 0.47619 = 0.97619, profit 2.44 %.

A second game (no sharp book) and a game that started before AT complete the store. Every
JSON answer is compared with the matching CLI ``--json`` output for the same time.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app as cli
from oddscore.clock import FrozenClock
from oddscore.config import get_settings
from oddscore.storage import Database
from oddscore.web.app import WebConfig, create_app
from tests.queries.factories import AWAY, HOME, Q, add_events, add_quotes, event_id, make_event
from tests.web.client import TestClient

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
AT_TEXT = "2024-03-01T12:00:00+00:00"
FRESH = AT - timedelta(minutes=5)
GAME = event_id(100)
OTHER = event_id(101)
PAST = event_id(102)
CANARY = "canary0f3b9d2e7a1c4455"
runner = CliRunner()


async def _fill(url: str) -> None:
    db = Database.from_url(url, null_pool=True)
    try:
        await add_events(
            db,
            [
                make_event(100, commence=AT + timedelta(hours=8)),
                make_event(
                    101, commence=AT + timedelta(hours=9), home="Boston Celtics", away="Miami Heat"
                ),
                make_event(102, commence=AT - timedelta(hours=1)),
            ],
        )
        await add_quotes(
            db,
            GAME,
            [
                Q("pinnacle", "h2h", HOME, -120, at=FRESH),  # 1.8333
                Q("pinnacle", "h2h", AWAY, 110, at=FRESH),  # 2.1
                Q("draftkings", "h2h", HOME, -105, at=FRESH),
                Q("draftkings", "h2h", AWAY, -105, at=FRESH),
                Q("fanduel", "h2h", HOME, 100, at=FRESH),  # 2.0
                Q("fanduel", "h2h", AWAY, -115, at=FRESH),
                Q("betmgm", "h2h", HOME, 150, at=AT - timedelta(hours=3)),  # stale for arbs
                Q("betmgm", "h2h", AWAY, -200, at=AT - timedelta(hours=3)),
                Q("pinnacle", "totals", "Over", -110, 220.5, at=FRESH),
                Q("pinnacle", "totals", "Under", -110, 220.5, at=FRESH),
                Q("draftkings", "totals", "Over", -105, 220.5, at=FRESH),
                Q("draftkings", "totals", "Under", -115, 220.5, at=FRESH),
            ],
        )
        await add_quotes(
            db,
            OTHER,
            [
                Q("draftkings", "h2h", "Boston Celtics", -200, at=FRESH),
                Q("draftkings", "h2h", "Miami Heat", 170, at=FRESH),
                Q("fanduel", "h2h", "Boston Celtics", -190, at=FRESH),
                Q("fanduel", "h2h", "Miami Heat", 160, at=FRESH),
            ],
        )
        await add_quotes(
            db,
            PAST,
            [
                Q("draftkings", "h2h", HOME, -110, at=AT - timedelta(hours=2)),
                Q("draftkings", "h2h", AWAY, -110, at=AT - timedelta(hours=2)),
            ],
        )
    finally:
        await db.dispose()


@pytest.fixture
def stored(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    asyncio.run(_fill(db_url))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", CANARY)
    get_settings.cache_clear()
    return db_url


@pytest.fixture
def client(stored: str, tmp_path: Path) -> Iterator[TestClient]:
    results = tmp_path / "results"
    results.mkdir()
    (results / "broken.json").write_text('{"not": "a result"}')
    config = WebConfig(get_settings(), FrozenClock(AT), results)
    with TestClient(create_app(config)) as test_client:
        yield test_client


def _cli(args: list[str]) -> Any:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _api(client: TestClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_board_json_equals_the_cli_and_holds_best_and_fair_prices(client: TestClient) -> None:
    data = _api(client, f"/api/board?at={AT_TEXT}")
    assert data == _cli(["screen", "board", "--at", AT_TEXT])
    assert [g["event"]["id"] for g in data["games"]] == [GAME, OTHER]  # the started game: no
    game = data["games"][0]
    assert game["reference"] == ["pinnacle"]
    best = {(b["market_key"], b["outcome_name"]): b for b in game["best"]}
    assert best[("h2h", HOME)]["price"] == 150  # the stale betmgm quote is still the best price
    assert best[("h2h", AWAY)]["price"] == 110
    assert best[("h2h", AWAY)]["bookmakers"] == ["pinnacle"]
    fair = {(f["market_key"], f["outcome_name"]): f for f in game["fair"]}
    assert fair[("h2h", HOME)]["probability"] == pytest.approx(0.533898, abs=1e-6)
    assert fair[("totals", "Over")]["probability"] == pytest.approx(0.5)
    # No sharp book quotes the other game: its fair price is the books' consensus.
    assert data["games"][1]["reference"] == ["draftkings", "fanduel"]


def test_board_uses_the_injected_clock_and_filters_books_and_markets(client: TestClient) -> None:
    assert _api(client, "/api/board")["as_of"] == AT_TEXT
    # A "+" typed into a URL arrives as a space; the offset is still read.
    later = _api(client, "/api/board?at=2024-03-01T13:00:00+01:00")
    assert later["as_of"] == AT_TEXT
    data = _api(client, "/api/board?market=h2h&book=fanduel&book=draftkings")
    game = data["games"][0]
    assert {q["bookmaker_key"] for q in game["quotes"]} == {"fanduel", "draftkings"}
    assert {q["market_key"] for q in game["quotes"]} == {"h2h"}
    best = {b["outcome_name"]: b for b in game["best"]}
    assert best[HOME]["price"] == 100 and best[HOME]["bookmakers"] == ["fanduel"]
    # The fair price still comes from the sharp book the filter hides.
    assert game["reference"] == ["pinnacle"]
    assert _api(client, "/api/board?date=2024-03-01")["games"][0]["event"]["id"] == PAST
    assert _api(client, "/api/board?hours=8.5")["games"][0]["event"]["id"] == GAME
    assert len(_api(client, "/api/board?hours=8.5")["games"]) == 1


def test_board_page_marks_the_best_price_and_shows_fair_and_age(client: TestClient) -> None:
    response = client.get("/board?market=h2h&book=fanduel&book=draftkings&book=pinnacle")
    assert response.status_code == 200
    html = response.text
    assert 'http-equiv="refresh"' in html
    assert 'class="price best" data-book="fanduel" data-price="100"' in html
    assert 'class="price best" data-book="pinnacle" data-price="110"' in html
    assert 'class="price" data-book="draftkings" data-price="-105"' in html
    assert "Miami Heat @ Boston Celtics" in html
    assert '<td class="age">5 min</td>' in html  # the best price's age at AT
    assert 'data-fair="1.873' in html  # 1 / 0.533898


def test_ev_json_equals_the_cli_and_prices_the_bet(client: TestClient) -> None:
    data = _api(client, f"/api/ev?at={AT_TEXT}&min_ev=0.01")
    assert data == _cli(["screen", "ev", "--at", AT_TEXT, "--min-ev", "0.01"])
    assert data["sharp_books"] == get_settings().collection.sharp_bookmakers
    top = data["bets"][0]
    assert (top["book"], top["outcome"], top["price"]) == ("betmgm", HOME, 150)
    fanduel = next(b for b in data["bets"] if b["book"] == "fanduel")
    assert fanduel["ev"] == pytest.approx(0.067797, abs=1e-6)
    assert fanduel["stake"] == pytest.approx(16.95, abs=0.01)
    assert all(b["event_id"] == GAME for b in data["bets"])  # only the sharp-priced game
    page = client.get("/ev?min_ev=0.01").text
    assert 'data-book="fanduel"' in page and "+6.78%" in page


def test_arbitrage_json_equals_the_cli_with_fresh_legs_only(client: TestClient) -> None:
    data = _api(client, f"/api/arbitrage?at={AT_TEXT}&outlay=500")
    assert data == _cli(["screen", "arbs", "--at", AT_TEXT, "--outlay", "500"])
    (arb,) = data["arbitrages"]
    assert {leg["book"] for leg in arb["legs"]} == {"fanduel", "pinnacle"}  # betmgm is stale
    assert arb["profit"] == pytest.approx(1 / (0.5 + 1 / 2.1) - 1)
    assert sum(arb["stakes"]) == pytest.approx(500)
    assert data["max_quote_age_minutes"] == 15
    assert "+2.44%" in client.get("/arbitrage").text


def test_game_page_has_a_chart_and_its_json_equals_odds_best(client: TestClient) -> None:
    page = client.get(f"/game/{GAME}")
    assert page.status_code == 200
    assert f'src="/game/{GAME}/lines.png"' in page.text
    assert "Opening lines" in page.text and "Tier capture" in page.text
    chart = client.get(f"/game/{GAME}/lines.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert _api(client, f"/api/game/{GAME}?at={AT_TEXT}") == _cli(["best", GAME, "--at", AT_TEXT])
    lines = _api(client, f"/api/game/{GAME}/lines")
    assert lines == _cli(["lines", GAME])
    # A started game's page shows its closing lines.
    assert "Closing lines" in client.get(f"/game/{PAST}").text


def test_health_shows_books_credits_findings_and_prefect_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    data = _api(client, f"/api/health?at={AT_TEXT}")
    assert data == _cli(["status", "show", "--verbose", "--at", AT_TEXT])
    assert {b["bookmaker_key"] for b in data["books"]} == {
        "pinnacle",
        "draftkings",
        "fanduel",
        "betmgm",
    }
    # Prefect is asked only when PREFECT_API_URL is set; a dead server is said plainly.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    page = client.get("/health")
    assert page.status_code == 200
    assert 'id="next-runs">unknown:' in page.text
    assert 'data-book="pinnacle"' in page.text
    assert 'id="credits-month">0<' in page.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/board?book=nosuchbook", "unknown book 'nosuchbook'"),
        ("/board?date=2024-02-30", "date must be a day"),
        ("/board?market=h2h%27%3B%20DROP%20TABLE%20odds%3B--", "market must be one of"),
        ("/board?book=x%27%20OR%20%271%27%3D%271", "unknown book"),
        ("/board?at=yesterday", "at must be a time"),
        ("/board?hours=nan", "hours must be a number"),
        ("/ev?kelly=1.5", "kelly must be a number from 0 to 1"),
        ("/arbitrage?outlay=-1", "outlay must be a number"),
        ("/game/bad%20id", "not an event id"),
        ("/results/broken.json", "broken.json is not a backtest result"),
    ],
)
def test_bad_parameters_get_a_400_page_naming_the_problem(
    client: TestClient, url: str, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert "Traceback" not in response.text
    api = client.get(url.replace("/board", "/api/board", 1))
    if url.startswith("/board"):
        assert api.status_code == 400 and message in api.json()["error"]


def test_unknown_pages_and_writes_are_refused(client: TestClient) -> None:
    assert client.get("/game/ffffffff").status_code == 404
    assert client.get("/results/missing.json").status_code == 400
    assert client.get("/nowhere").status_code == 404
    assert client.post("/board").status_code == 405


def test_the_api_key_never_appears(client: TestClient) -> None:
    urls = [
        "/board",
        "/api/board",
        "/ev",
        "/api/ev",
        "/arbitrage",
        "/api/arbitrage",
        f"/game/{GAME}",
        f"/api/game/{GAME}",
        "/results",
        "/health",
        "/api/health",
        f"/board?book={CANARY}",  # echoed in the 400 message: masked
        f"/api/board?at={CANARY}",
        f"/game/{CANARY}",
    ]
    for url in urls:
        response = client.get(url)
        assert CANARY not in response.text, url


def test_serve_refuses_a_public_address_without_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the root callback creates the default embedded database
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "--allow-remote" in result.output

"""``odds serve`` in a real browser: Playwright driving Debian's Chromium over the demo world.

The demo (two simulated days on the built-in simulator, virtual time) fills a SQLite store and
writes its backtests; the app serves it on a free port with its clock frozen at the demo's
end. What the browser shows is compared with the CLI's ``--json`` for the same time. Skips,
with the reason, only where Chromium is not installed (``.ci/run`` installs it).

``ODDS_BOARD_SCREENSHOT=docs/board.png`` also writes the README's screenshot of the board.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app as cli
from oddscore.clock import FrozenClock
from oddscore.config import get_settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CANARY = "canary7e51c0d9b2aa4f10"
# The demo's quotes are minutes to hours old at its end; the arbitrage rules of the server
# and of the CLI are widened alike so that the list compared is not empty.
ARB_ENV = {"ARB_MAX_QUOTE_AGE_MINUTES": "600", "ARB_MAX_LEG_GAP_MINUTES": "600"}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)
runner = CliRunner()


@dataclass(frozen=True)
class Served:
    base: str
    database_url: str
    at: str  # the frozen "now" of the server, ISO 8601


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    import uvicorn

    from oddscore.demo import DemoOptions, run_demo
    from oddscore.web.app import WebConfig, create_app

    folder = tmp_path_factory.mktemp("demo")
    # In a thread of its own: sync Playwright may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        options = DemoOptions(output=folder, days=2, plots=False)
        report = pool.submit(asyncio.run, run_demo(options)).result()
    url = f"sqlite+aiosqlite:///{report.database}"
    # The board an hour before the demo's end: several games ahead, fresh quotes.
    now = report.end - timedelta(hours=1)
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "ODDS_API_KEY", *ARB_ENV)}
    os.environ.update({"DATABASE_URL": url, "ODDS_API_KEY": CANARY, **ARB_ENV})
    try:
        get_settings.cache_clear()
        settings = get_settings()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
    app = create_app(WebConfig(settings, FrozenClock(now), folder, refresh_seconds=0))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", url, now.isoformat())
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def cli_env(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", served.database_url)
    for key, value in ARB_ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def _cli(args: list[str]) -> Any:
    # Sync Playwright keeps an event loop running in this thread; the CLI starts its own.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(runner.invoke, cli, [*args, "--json"]).result()
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _point(text: str | None) -> float | None:
    return None if not text else float(text)


@pytest.mark.usefixtures("cli_env")
def test_board_lists_the_games_and_books_and_marks_odds_best(page: Any, served: Served) -> None:
    expected = _cli(["screen", "board", "--at", served.at])
    assert len(expected["games"]) >= 2
    response = page.goto(f"{served.base}/board")
    assert response.status == 200
    sections = page.locator("section.game")
    assert sections.count() == len(expected["games"])
    for index, game in enumerate(expected["games"]):
        section = sections.nth(index)
        event = game["event"]
        assert section.get_attribute("id") == f"g-{event['id']}"
        assert f"{event['away_team']} @ {event['home_team']}" in section.locator("h2").inner_text()
        books = section.locator("thead th.book").evaluate_all(
            "cells => cells.map(c => c.dataset.book)"
        )
        assert sorted(books) == sorted({q["bookmaker_key"] for q in game["quotes"]})
    shot = os.environ.get("ODDS_BOARD_SCREENSHOT")
    if shot:
        page.screenshot(path=shot)

    # The first game's highlighted cells are exactly `odds best`'s prices and books.
    first = expected["games"][0]["event"]["id"]
    best = _cli(["best", first, "--at", served.at])["best"]
    cells = page.locator(f'table[data-event="{first}"] td.price.best').evaluate_all(
        """cells => cells.map(c => {
            const row = c.closest('tr').dataset;
            return [row.market, row.outcome, row.point, c.dataset.book, Number(c.dataset.price)];
        })"""
    )
    shown: dict[tuple[str, str, float | None], tuple[int, set[str]]] = {}
    for market, outcome, point, book, price in cells:
        key = (market, outcome, _point(point))
        prices, books = shown.setdefault(key, (price, set()))
        assert prices == price
        books.add(book)
    assert shown == {
        (b["market_key"], b["outcome_name"], b["point"]): (b["price"], set(b["bookmakers"]))
        for b in best
    }
    assert len(shown) >= 4


def test_a_game_page_shows_the_line_movement_chart(page: Any, served: Served) -> None:
    page.goto(f"{served.base}/board")
    page.locator("section.game h2 a").first.click()
    page.wait_for_load_state("networkidle")
    chart = page.locator("img.chart")
    assert chart.count() == 1
    size = chart.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert size[0] is True and size[1] > 300 and size[2] > 200
    assert page.locator("text=Opening lines").count() == 1


@pytest.mark.usefixtures("cli_env")
def test_the_ev_list_equals_the_cli(page: Any, served: Served) -> None:
    expected = _cli(["screen", "ev", "--at", served.at, "--min-ev", "0.005"])["bets"]
    assert expected, "the demo world should hold at least one positive-EV price"
    page.goto(f"{served.base}/ev?min_ev=0.005")
    rows = page.locator("table#ev tbody tr").evaluate_all(
        """rows => rows.map(r => [r.dataset.event, r.dataset.book, r.dataset.market,
            r.dataset.outcome, r.dataset.point, Number(r.dataset.price), Number(r.dataset.ev),
            Number(r.dataset.stake)])"""
    )
    assert len(rows) == len(expected)
    for row, bet in zip(rows, expected, strict=True):
        event, book, market, outcome, point, price, ev, stake = row
        assert (event, book, market, outcome, _point(point), price) == (
            bet["event_id"],
            bet["book"],
            bet["market"],
            bet["outcome"],
            bet["point"],
            bet["price"],
        )
        assert ev == pytest.approx(bet["ev"]) and stake == pytest.approx(bet["stake"])


@pytest.mark.usefixtures("cli_env")
def test_the_arbitrage_list_equals_the_cli(page: Any, served: Served) -> None:
    expected = _cli(["screen", "arbs", "--at", served.at])["arbitrages"]
    assert expected, "with the widened rules the demo world holds an arbitrage"
    page.goto(f"{served.base}/arbitrage")
    rows = page.locator("table#arbs tbody tr").evaluate_all(
        """rows => rows.map(r => [r.dataset.event, r.dataset.market, Number(r.dataset.profit),
            Array.from(r.querySelectorAll('.leg')).map(l => l.dataset.book)])"""
    )
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (a["event_id"], a["market"], [leg["book"] for leg in a["legs"]]) for a in expected
    ]
    assert [r[2] for r in rows] == pytest.approx([a["profit"] for a in expected])


@pytest.mark.usefixtures("cli_env")  # odds backtest show reads settings: never ./odds.db
def test_a_saved_backtest_shows_its_equity_curve_bets_and_metrics(
    page: Any, served: Served
) -> None:
    summary = _cli(
        [
            "backtest",
            "show",
            str(Path(served.database_url.split("///")[1]).parent / "backtest-basic_ev.json"),
        ]
    )
    page.goto(f"{served.base}/results")
    page.locator("text=backtest-basic_ev.json").click()
    page.wait_for_load_state("networkidle")
    charts = page.locator("img.chart").evaluate_all(
        "imgs => imgs.map(img => [img.complete, img.naturalWidth])"
    )
    assert len(charts) == 2  # the equity curve and the CLV distribution
    assert all(done is True and width > 300 for done, width in charts)
    assert page.locator("table.list").nth(1).locator("tbody tr").count() == summary["total_bets"]
    assert summary["total_bets"] > 0


def test_a_bad_parameter_gives_a_400_page(page: Any, served: Served) -> None:
    response = page.goto(f"{served.base}/board?book=nosuchbook&date=2025-01-15")
    assert response.status == 400
    assert "unknown book 'nosuchbook'" in page.locator("p.error").inner_text()


def test_the_canary_key_never_appears(page: Any, served: Served) -> None:
    pages = ["/board", "/ev", "/arbitrage", "/results", "/health", f"/board?book={CANARY}"]
    page.goto(f"{served.base}/board")
    pages.append(page.locator("section.game h2 a").first.get_attribute("href"))
    page.goto(f"{served.base}/results")
    pages.extend(page.locator("ul.results a").evaluate_all("links => links.map(a => a.pathname)"))
    assert len(pages) >= 9  # the demo saved its backtests
    for path in pages:
        page.goto(served.base + path)
        assert CANARY not in page.content(), path
    for path in [
        "/api/board",
        "/api/ev",
        "/api/arbitrage",
        "/api/health",
        f"/api/board?at={CANARY}",
    ]:
        response = page.request.get(served.base + path)
        assert CANARY not in response.text(), path

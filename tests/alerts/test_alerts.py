"""Alerts against a real local HTTP server standing in for the Discord webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from oddscore.alerts import AlertManager, DiscordWebhookChannel
from oddscore.alerts.triggers import (
    arbitrage_alert,
    data_quality_alert,
    dead_chain_alert,
    ev_alert,
    flow_failure_alert,
    line_move_alert,
)
from oddscore.clock import FrozenClock
from oddscore.config import AlertSettings


class _Webhook:
    def __init__(self) -> None:
        self.received: list[dict[str, object]] = []
        self.status = 204
        self.delay = 0.0


@pytest.fixture
def webhook() -> Iterator[tuple[_Webhook, str]]:
    state = _Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            import time

            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(state.delay)
            state.received.append(json.loads(body))
            self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/webhooks/1/SECRET-TOKEN"
    yield state, url
    server.shutdown()
    server.server_close()


def _ev() -> object:
    return ev_alert(
        event="LAL @ DEN",
        bookmaker="draftkings",
        market="h2h",
        outcome="Denver Nuggets",
        price=150,
        ev=0.05,
        threshold=0.03,
    )


async def test_discord_receives_an_embed(webhook: tuple[_Webhook, str]) -> None:
    state, url = webhook
    manager = AlertManager([DiscordWebhookChannel(url)], enabled=True)
    delivered = await manager.notify(_ev())  # type: ignore[arg-type]
    await manager.aclose()
    assert delivered == 1
    embed = state.received[0]["embeds"][0]  # type: ignore[index]
    assert embed["title"] == "+EV 5.0%: Denver Nuggets @ draftkings"
    assert {"name": "price", "value": "+150", "inline": True} in embed["fields"]


async def test_disabled_manager_sends_nothing(webhook: tuple[_Webhook, str]) -> None:
    state, url = webhook
    settings = AlertSettings(ALERT_ENABLED=False, DISCORD_WEBHOOK_URL=url)  # type: ignore[call-arg]
    manager = AlertManager.from_settings(settings)
    assert await manager.notify(_ev()) == 0  # type: ignore[arg-type]
    await manager.aclose()
    assert state.received == []


async def test_a_down_webhook_never_raises_and_never_blocks_long(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "http://127.0.0.1:9/api/webhooks/1/SECRET-TOKEN"  # discard port: refused
    manager = AlertManager([DiscordWebhookChannel(url, timeout=1.0)], enabled=True, timeout=2.0)
    started = datetime.now(UTC)
    assert await manager.notify(_ev()) == 0  # type: ignore[arg-type]
    await manager.aclose()
    assert datetime.now(UTC) - started < timedelta(seconds=5)
    assert "SECRET-TOKEN" not in caplog.text


async def test_a_slow_webhook_is_cut_off_by_the_manager(webhook: tuple[_Webhook, str]) -> None:
    state, url = webhook
    state.delay = 3.0
    manager = AlertManager([DiscordWebhookChannel(url, timeout=10.0)], enabled=True, timeout=0.5)
    assert await manager.notify(_ev()) == 0  # type: ignore[arg-type]
    await manager.aclose()


async def test_refusing_webhook_counts_as_not_delivered(webhook: tuple[_Webhook, str]) -> None:
    state, url = webhook
    state.status = 500
    manager = AlertManager([DiscordWebhookChannel(url)], enabled=True)
    assert await manager.notify(_ev()) == 0  # type: ignore[arg-type]
    await manager.aclose()
    assert len(state.received) == 1


async def test_duplicates_inside_the_window_are_sent_once(webhook: tuple[_Webhook, str]) -> None:
    state, url = webhook
    clock = FrozenClock(datetime(2024, 1, 1, tzinfo=UTC))
    manager = AlertManager([DiscordWebhookChannel(url)], enabled=True, clock=clock)
    assert await manager.notify(_ev()) == 1  # type: ignore[arg-type]
    assert await manager.notify(_ev()) == 0  # type: ignore[arg-type]
    clock.advance(timedelta(hours=2))
    assert await manager.notify(_ev()) == 1  # type: ignore[arg-type]
    await manager.aclose()
    assert len(state.received) == 2


def test_triggers_fire_only_past_their_thresholds() -> None:
    assert (
        ev_alert(
            event="e",
            bookmaker="b",
            market="h2h",
            outcome="o",
            price=-110,
            ev=0.01,
            threshold=0.03,
        )
        is None
    )
    assert arbitrage_alert(event="e", market="h2h", legs=[("a", "b", 100, 0.5)], profit=0) is None
    arb = arbitrage_alert(
        event="e",
        market="h2h",
        legs=[("A", "fanduel", 110, 0.48), ("B", "bovada", 105, 0.52)],
        profit=0.0123,
    )
    assert arb is not None and arb.title == "Arbitrage 1.23%: e"
    kwargs = {"event": "e", "bookmaker": "b", "market": "spreads", "outcome": "X"}
    assert line_move_alert(**kwargs, old_point=-3, new_point=-4.5, threshold_points=2) is None
    move = line_move_alert(**kwargs, old_point=-3, new_point=-6, threshold_points=2)
    assert move is not None and "-3 to -6" in move.message
    assert data_quality_alert(issue_type="x", severity="warning", description="d") is None
    critical = data_quality_alert(issue_type="x", severity="critical", description="d")
    assert critical is not None and critical.severity == "critical"
    failed = flow_failure_alert(flow_name="fetch-odds", run_name="r1", message=None)
    assert failed.title == "Flow run failed: fetch-odds/r1"


async def test_a_dead_chain_sends_one_discord_message_and_only_when_enabled(
    webhook: tuple[_Webhook, str],
) -> None:
    state, url = webhook
    alert = dead_chain_alert(
        deployment="fetch-odds/fetch-odds-local", last_run="brave-fox: Crashed"
    )
    off = AlertManager.from_settings(AlertSettings(discord_webhook_url=url))  # the default
    assert await off.notify(alert) == 0
    await off.aclose()
    manager = AlertManager([DiscordWebhookChannel(url)], enabled=True)
    assert await manager.notify(alert) == 1
    assert await manager.notify(alert) == 0  # the same dead chain again: not twice
    await manager.aclose()
    assert len(state.received) == 1
    embed = state.received[0]["embeds"][0]  # type: ignore[index]
    assert embed["title"] == "Chain restarted: fetch-odds/fetch-odds-local"
    assert "brave-fox: Crashed" in embed["description"]

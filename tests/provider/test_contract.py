"""Quota semantics and the remaining endpoints, client against the simulator in-process.

``test_simulator_contract.py`` compares recorded responses and the simulator call by call;
this file checks what only a stateful server can show: ``x-requests-used`` is cumulative,
``x-requests-last`` is the cost of one call and matches the estimator, ``remaining`` falls by
exactly that cost, free endpoints still report the balance, and an exhausted quota or a free
plan fails once, without retries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from oddscore.clock import FrozenClock
from oddscore.exceptions import PlanRestrictedError, QuotaExhaustedError
from oddscore.provider.client import OddsApiClient
from oddscore.provider.costs import estimate_cost, is_empty, markets_returned
from oddscore.provider.models import EventOdds, HistoricalResponse

simulator = pytest.importorskip("oddscore.simulator")

KEY = "contract-quota-key-71c4"
NOW = datetime(2026, 11, 29, 16, 0, 7, tzinfo=UTC)
BOOKS = ["pinnacle", "draftkings", "fanduel", "betmgm"]
MARKETS = ["h2h", "spreads", "totals"]


def client_for(app: object, *, max_retries: int = 2) -> tuple[OddsApiClient, list[httpx.Request]]:
    sent: list[httpx.Request] = []
    inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    class Recording(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request)
            return await inner.handle_async_request(request)

    async def no_wait(_seconds: float) -> None:
        return None

    client = OddsApiClient(
        KEY,
        base_url="http://simulator",
        transport=Recording(),
        max_retries=max_retries,
        requests_per_second=30,
        sleep=no_wait,
        clock=FrozenClock(NOW),
    )
    return client, sent


async def test_quota_headers_are_cumulative_and_match_the_estimator() -> None:
    quota = 1_000
    app = simulator.create_app(api_key=KEY, seed=11, quota=quota, clock=FrozenClock(NOW))
    client, _ = client_for(app)
    past = NOW - timedelta(days=300)
    async with client:
        events = await client.events("basketball_nba")
        game = events.data[0]
        responses = [
            events,
            await client.sports(),
            await client.odds("basketball_nba", markets=MARKETS, bookmakers=BOOKS),
            await client.odds("basketball_nba", markets="h2h", regions="us,eu"),
            await client.scores("basketball_nba"),
            await client.scores("basketball_nba", days_from=3),
            await client.event_odds("basketball_nba", game.id, markets=MARKETS, regions="us"),
            await client.historical_events("basketball_nba", date=past),
            await client.historical_odds(
                "basketball_nba", date=past, markets=MARKETS, bookmakers=BOOKS
            ),
        ]
        hist_events = responses[-2].data
        assert isinstance(hist_events, HistoricalResponse) and hist_events.data
        responses.append(
            await client.historical_event_odds(
                "basketball_nba", hist_events.data[0].id, date=past, markets="h2h", regions="us"
            )
        )
    used = 0
    for response in responses:
        quota_seen = response.quota
        assert None not in (quota_seen.last, quota_seen.used, quota_seen.remaining)
        inner = (
            response.data.data if isinstance(response.data, HistoricalResponse) else response.data
        )
        returned = markets_returned(inner) if isinstance(inner, EventOdds) else None
        expected = estimate_cost(
            response.endpoint,
            response.params,
            markets_in_response=returned,
            empty=is_empty(response.data),
        )
        assert response.cost == expected, response.endpoint
        used += expected
        assert quota_seen.used == used, response.endpoint
        assert quota_seen.remaining == quota - used
        assert quota_seen.total == quota
    # free calls still report the balance; the paid ones were billed by the documented rules
    assert [r.cost for r in responses[:2]] == [0, 0]
    assert responses[2].cost == 3 and responses[3].cost == 2
    assert responses[4].cost == 1 and responses[5].cost == 2
    assert responses[8].cost == 30 and responses[9].cost == 10, responses[9].raw


async def test_exhausted_quota_fails_once_without_retries() -> None:
    app = simulator.create_app(api_key=KEY, seed=11, quota=4, clock=FrozenClock(NOW))
    client, sent = client_for(app, max_retries=4)
    async with client:
        first = await client.odds("basketball_nba", markets=MARKETS, regions="us")
        assert first.quota.remaining == 1
        with pytest.raises(QuotaExhaustedError) as caught:
            await client.odds("basketball_nba", markets=MARKETS, regions="us")
    assert caught.value.error_code == "OUT_OF_USAGE_CREDITS" and caught.value.status_code == 401
    assert len(sent) == 2


async def test_free_plan_historical_is_plan_restricted_once() -> None:
    app = simulator.create_app(
        api_key=KEY, seed=11, clock=FrozenClock(NOW), historical_enabled=False
    )
    client, sent = client_for(app, max_retries=4)
    async with client:
        with pytest.raises(PlanRestrictedError) as caught:
            await client.historical_events("basketball_nba", date=NOW - timedelta(days=3))
    assert caught.value.error_code == "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN"
    assert len(sent) == 1 and KEY not in str(caught.value)

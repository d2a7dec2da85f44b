"""The client behaves the same against recorded provider responses and against the simulator.

Each scenario runs the same client call twice: once over ``httpx.MockTransport`` serving a
real recorded response (shared/reference/odds_api_samples, the real archive, or an error body
quoted in the reference), once over the simulator in-process. The request the client sends,
the type it returns, the cost it reads, the exception it raises and the number of attempts
it makes must not depend on which side answered.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from oddscore.clock import FrozenClock
from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    ProviderStatusError,
    QuotaExhaustedError,
    RateLimitError,
)
from oddscore.provider.client import OddsApiClient
from oddscore.provider.costs import estimate_cost, is_empty, markets_returned
from oddscore.provider.models import EventInfo, EventOdds, HistoricalResponse, ScoreEvent
from oddscore.simulator import create_app, simulator_of
from tests.conftest import SAMPLES_DIR, real_data

KEY = "contract-key-9d2e"
NOW = datetime(2026, 11, 29, 16, 0, 7, tzinfo=UTC)
BOOKS = [
    "pinnacle",
    "circasports",
    "draftkings",
    "fanduel",
    "betmgm",
    "williamhill_us",
    "betrivers",
    "bovada",
]
MARKETS = ["h2h", "spreads", "totals"]
DETAILS = "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#"


def sample(name: str) -> Any:
    path = SAMPLES_DIR / name
    if not path.exists():
        pytest.skip(f"sample not available at {path}")
    return json.loads(path.read_text())


def archived(kind: str, name: str) -> Any:
    path = next(real_data("the_odds_api_snapshots").glob(f"{kind}/*/{name}*"))
    with gzip.open(path) as handle:
        return json.load(handle)


class Side:
    """One side of the comparison: a client and the requests its transport saw."""

    def __init__(self, transport: httpx.AsyncBaseTransport, key: str = KEY) -> None:
        self.requests: list[httpx.Request] = []
        inner = transport

        class Recording(httpx.AsyncBaseTransport):
            async def handle_async_request(_self, request: httpx.Request) -> httpx.Response:
                self.requests.append(request)
                return await inner.handle_async_request(request)

        async def no_wait(_seconds: float) -> None:
            return None

        self.client = OddsApiClient(
            key,
            base_url="http://provider",
            transport=Recording(),
            max_retries=2,
            requests_per_second=30,
            sleep=no_wait,
            clock=FrozenClock(NOW),
        )

    def sent(self) -> list[tuple[str, dict[str, str]]]:
        """Path and parameters of every request, without the key."""
        return [
            (r.url.path, {k: v for k, v in r.url.params.items() if k != "apiKey"})
            for r in self.requests
        ]


def recorded(status: int, body: Any, cost: int = 0) -> Side:
    headers = {
        "x-requests-remaining": str(500 - cost),
        "x-requests-used": str(cost),
        "x-requests-last": str(cost),
    }

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return Side(httpx.MockTransport(handler))


def simulated(**options: Any) -> tuple[Side, Any]:
    key = options.pop("key", KEY)
    app = create_app(api_key=KEY, seed=7, clock=FrozenClock(NOW), **options)
    return Side(httpx.ASGITransport(app=app), key=key), app


Call = Callable[[OddsApiClient], Awaitable[Any]]


async def _both_succeed(recorded_side: Side, simulated_side: Side, call: Call) -> tuple[Any, Any]:
    got = []
    for side in (recorded_side, simulated_side):
        response = await call(side.client)
        await side.client.aclose()
        assert len(side.requests) == 1
        # What the client reads as the cost is what the rules say the call costs.
        endpoint, params = side.sent()[0]
        inner = (
            response.data.data if isinstance(response.data, HistoricalResponse) else response.data
        )
        returned = markets_returned(inner) if isinstance(inner, EventOdds) else None
        expected = estimate_cost(
            endpoint, params, markets_in_response=returned, empty=is_empty(response.data)
        )
        assert response.cost == expected
        got.append(response)
    assert recorded_side.sent() == simulated_side.sent()
    return got[0], got[1]


async def test_odds() -> None:
    body = sample("nba_odds_us_h2h_spreads_totals_american_2022-11-23.json")
    sim, _ = simulated()

    def call(client: OddsApiClient) -> Awaitable[Any]:
        return client.odds("basketball_nba", markets=MARKETS, bookmakers=BOOKS)

    real, fake = await _both_succeed(recorded(200, body, cost=3), sim, call)
    for response in (real, fake):
        assert response.cost == 3 and response.quota.remaining is not None
        assert response.data and all(isinstance(e, EventOdds) for e in response.data)
        prices = [
            o.price
            for e in response.data
            for b in e.bookmakers
            for m in b.markets
            for o in m.outcomes
        ]
        assert prices and all(float(p).is_integer() for p in prices)  # american
        assert response.params["bookmakers"] == ",".join(BOOKS)
        assert response.params["oddsFormat"] == "american"
        assert "apiKey" not in response.params


async def test_scores_with_days_from() -> None:
    body = sample("nba_scores_daysFrom1_docs_example_2022-02-06.json")
    sim, _ = simulated()

    def call(client: OddsApiClient) -> Awaitable[Any]:
        return client.scores("basketball_nba", days_from=1)

    real, fake = await _both_succeed(recorded(200, body, cost=2), sim, call)
    for response in (real, fake):
        assert response.cost == 2
        done = [s for s in response.data if isinstance(s, ScoreEvent) and s.completed]
        assert done and all(s.score_of(s.home_team) is not None for s in done)
        upcoming = [s for s in response.data if not s.completed and s.scores is None]
        assert upcoming


async def test_event_odds_billed_on_markets_returned() -> None:
    body = sample("nba_event_odds_player_props_american_2024-02-22.json")
    sim, app = simulated()
    game = simulator_of(app).market.upcoming(NOW)[0]

    for side, event_id, cost in ((recorded(200, body, cost=1), body["id"], 1), (sim, game.id, 1)):
        response = await side.client.event_odds(
            "basketball_nba", event_id, markets=["h2h", "player_points"], regions=["us"]
        )
        await side.client.aclose()
        assert isinstance(response.data, EventOdds) and response.data.id == event_id
        returned = {m.key for b in response.data.bookmakers for m in b.markets}
        assert len(returned) == 1 and response.cost == cost
        assert side.sent()[0][1] == {
            "markets": "h2h,player_points",
            "regions": "us",
            "oddsFormat": "american",
        }


async def test_historical_odds_and_events() -> None:
    odds_body = archived("odds", "odds_2023-10-24")
    events_body = archived("events", "events_2023-10-24")
    date = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for body, cost, call in (
        (
            odds_body,
            30,
            lambda c: c.historical_odds(
                "basketball_nba", date=date, markets=MARKETS, bookmakers=BOOKS
            ),
        ),
        (events_body, 1, lambda c: c.historical_events("basketball_nba", date=date)),
    ):
        sim, _ = simulated()
        real, fake = await _both_succeed(recorded(200, body, cost=cost), sim, call)
        for response in (real, fake):
            assert isinstance(response.data, HistoricalResponse) and response.cost == cost
            assert response.data.data and response.data.previous_timestamp is not None
            assert all(isinstance(e, EventInfo) for e in response.data.data)
        assert fake.data.timestamp <= date


# Error bodies as the real service sends them (reference section 6, R-err).
def _error(code: str, message: str) -> dict[str, str]:
    return {
        "message": message,
        "error_code": code,
        "details_url": DETAILS + code.lower().replace("_", "-"),
    }


@pytest.mark.parametrize(
    ("status", "body", "error", "attempts", "make_sim", "call"),
    [
        (
            401,
            _error(
                "INVALID_KEY", "API key is not valid. Get an API key at https://the-odds-api.com"
            ),
            AuthenticationError,
            1,
            lambda: simulated(key="not-the-key")[0],
            lambda c: c.sports(),
        ),
        (
            401,
            _error(
                "OUT_OF_USAGE_CREDITS",
                "Usage quota has been reached. See usage plans at https://the-odds-api.com",
            ),
            QuotaExhaustedError,
            1,
            lambda: simulated(quota=2)[0],
            lambda c: c.odds("basketball_nba", markets=MARKETS, bookmakers=BOOKS),
        ),
        (
            404,
            _error("UNKNOWN_SPORT", "Unknown sport"),
            NotFoundError,
            1,
            lambda: simulated()[0],
            lambda c: c.odds("curling_mars", markets=["h2h"], regions=["us"]),
        ),
        (
            404,
            _error("EVENT_NOT_FOUND", "Event not found"),
            NotFoundError,
            1,
            lambda: simulated()[0],
            lambda c: c.event_odds("basketball_nba", "0" * 32, markets=["h2h"], regions=["us"]),
        ),
        (
            422,
            _error("INVALID_MARKET", "Invalid markets: player_points"),
            InvalidRequestError,
            1,
            lambda: simulated()[0],
            lambda c: c.odds("basketball_nba", markets=["player_points"], regions=["us"]),
        ),
        (
            429,
            _error("EXCEEDED_FREQ_LIMIT", "Requests are being sent too frequently"),
            RateLimitError,
            3,  # max_retries=2: transient, retried, then given up
            lambda: simulated(requests_per_second_limit=0)[0],
            lambda c: c.sports(),
        ),
    ],
)
async def test_errors_raise_the_same_exception_after_the_same_attempts(
    status: int,
    body: dict[str, str],
    error: type[ProviderStatusError],
    attempts: int,
    make_sim: Callable[[], Side],
    call: Call,
) -> None:
    raised = []
    for side in (recorded(status, body), make_sim()):
        with pytest.raises(error) as caught:
            await call(side.client)
        await side.client.aclose()
        assert caught.value.error_code == body["error_code"]
        assert caught.value.status_code == status
        assert len(side.requests) == attempts
        assert KEY not in str(caught.value) and "not-the-key" not in str(caught.value)
        raised.append(side.sent())
    assert raised[0] == raised[1]

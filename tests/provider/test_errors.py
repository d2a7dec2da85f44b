"""Every error case of the reference maps to one class of oddscore.exceptions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PlanRestrictedError,
    ProviderError,
    ProviderStatusError,
    ProviderTimeout,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from oddscore.provider.errors import parse_retry_after
from tests.provider.conftest import API_KEY, NOW, ClientFactory, error_body

# (status, error_code, message) as quoted in ODDS_API_V4.md section 6
CASES: list[tuple[int, str | None, str, type[ProviderStatusError]]] = [
    (
        401,
        "INVALID_KEY",
        "API key is not valid. Get an API key at https://the-odds-api.com",
        AuthenticationError,
    ),
    (401, "MISSING_KEY", "API key is missing", AuthenticationError),
    (
        401,
        "DEACTIVATED_KEY",
        "API key is deactivated. This could be due to cancelation or a failed payment",
        AuthenticationError,
    ),
    (403, "DEACTIVATED_KEY", "API key is deactivated", AuthenticationError),
    (
        401,
        "OUT_OF_USAGE_CREDITS",
        "Usage quota has been reached. See usage plans at https://the-odds-api.com",
        QuotaExhaustedError,
    ),
    (
        401,
        "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN",
        "Historical odds are only available on "
        "paid usage plans. See usage plans at https://the-odds-api.com",
        PlanRestrictedError,
    ),
    (
        403,
        "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN",
        "Historical odds are only available on paid usage plans",
        PlanRestrictedError,
    ),
    (401, None, "Unauthorized", AuthenticationError),
    (404, "UNKNOWN_SPORT", "Unknown sport", NotFoundError),
    (404, "EVENT_NOT_FOUND", "Event not found", NotFoundError),
    (422, "INVALID_MARKET", "Invalid markets: player_points", InvalidRequestError),
    (422, "INVALID_REGION", "Invalid regions: mars", InvalidRequestError),
    (422, "MISSING_REGION", "Missing regions", InvalidRequestError),
    (422, "INVALID_HISTORICAL_TIMESTAMP", "Invalid date", InvalidRequestError),
    (422, "HISTORICAL_MARKETS_UNAVAILABLE_AT_DATE", "Markets unavailable", InvalidRequestError),
    (400, None, "Bad Request", InvalidRequestError),
    (429, "EXCEEDED_FREQ_LIMIT", "Too many requests", RateLimitError),
    (500, None, "Internal Server Error", ServerError),
    (502, None, "Bad Gateway", ServerError),
    (503, None, "Service Unavailable", ServerError),
    (408, None, "Request Timeout", ServerError),
]


@pytest.mark.parametrize(("status", "error_code", "message", "expected"), CASES)
async def test_status_and_error_code_map_to_one_class(
    make_client: ClientFactory,
    status: int,
    error_code: str | None,
    message: str,
    expected: type[ProviderStatusError],
) -> None:
    body: Any = error_body(message, error_code) if error_code else None

    def handler(_request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(status, text=message)
        return httpx.Response(status, json=body)

    client, _ = make_client(handler, max_retries=0)
    async with client:
        with pytest.raises(ProviderStatusError) as caught:
            await client.odds("basketball_nba", markets="h2h", regions="us")
    error = caught.value
    assert type(error) is expected
    assert error.status_code == status and error.error_code == error_code
    assert error.endpoint == "/v4/sports/basketball_nba/odds"
    text = str(error)
    assert text.startswith("/v4/sports/basketball_nba/odds: HTTP")
    assert message in text and (error_code or "") in text
    assert API_KEY not in text and "apiKey" not in text and "the-odds-api.com/v4" not in text


async def test_rate_limit_carries_retry_after(make_client: ClientFactory) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429, json=error_body("Too many", "EXCEEDED_FREQ_LIMIT"), headers={"Retry-After": "2"}
        )

    client, _ = make_client(handler, max_retries=0)
    async with client:
        with pytest.raises(RateLimitError) as caught:
            await client.sports()
    assert caught.value.retry_after == 2.0


def test_retry_after_as_seconds_or_http_date() -> None:
    assert parse_retry_after("3", now=NOW) == 3.0
    assert parse_retry_after("1.5", now=NOW) == 1.5
    assert parse_retry_after(format_datetime(NOW + timedelta(seconds=7), usegmt=True), now=NOW) == 7
    assert parse_retry_after(format_datetime(NOW - timedelta(seconds=7), usegmt=True), now=NOW) == 0
    assert parse_retry_after(None, now=NOW) is None
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after("-4", now=NOW) == 0.0
    assert parse_retry_after("3", now=datetime(2026, 1, 1, tzinfo=UTC)) == 3.0


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("connection refused"), TransportError),
        (httpx.ReadError("connection reset by peer"), TransportError),
        (httpx.RemoteProtocolError("server disconnected"), TransportError),
        (httpx.ConnectTimeout("connect timed out"), ProviderTimeout),
        (httpx.ReadTimeout("read timed out"), ProviderTimeout),
        (httpx.PoolTimeout("pool timed out"), ProviderTimeout),
    ],
)
async def test_transport_failures(
    make_client: ClientFactory, raised: Exception, expected: type[ProviderError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    client, recorder = make_client(handler, max_retries=0)
    async with client:
        with pytest.raises(TransportError) as caught:
            await client.events("basketball_nba")
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised
    assert caught.value.endpoint == "/v4/sports/basketball_nba/events"
    assert API_KEY not in str(caught.value) and len(recorder.requests) == 1


@pytest.mark.parametrize(
    "content", [b"<html>502 Bad Gateway</html>", b'[{"id": "abc"', b"", b"\xff\xfe\x00garbage"]
)
async def test_a_body_that_is_not_json_is_malformed(
    make_client: ClientFactory, content: bytes
) -> None:
    client, _ = make_client(lambda _r: httpx.Response(200, content=content), max_retries=0)
    async with client:
        with pytest.raises(MalformedResponseError, match="not JSON") as caught:
            await client.odds("basketball_nba", markets="h2h", regions="us")
    assert caught.value.endpoint == "/v4/sports/basketball_nba/odds"


@pytest.mark.parametrize(
    "payload",
    [
        {"message": "not a list"},
        [{"id": "abc", "sport_key": "basketball_nba"}],
        [
            {
                "id": "a" * 32,
                "sport_key": "basketball_nba",
                "commence_time": "2023-10-24T23:30:00Z",
                "home_team": "Denver Nuggets",
                "away_team": "Los Angeles Lakers",
                "bookmakers": [{"key": "dk", "markets": [{"key": "h2h", "outcomes": [{}]}]}],
            }
        ],
    ],
)
async def test_schema_mismatch_is_malformed_and_not_retried(
    make_client: ClientFactory, payload: Any
) -> None:
    client, recorder = make_client(lambda _r: httpx.Response(200, json=payload), max_retries=3)
    async with client:
        with pytest.raises(MalformedResponseError, match="does not fit the schema"):
            await client.odds("basketball_nba", markets="h2h", regions="us")
    assert len(recorder.requests) == 1  # deterministic: another attempt would spend credits

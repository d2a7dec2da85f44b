"""Retries: bounded, transient errors only, Retry-After honoured, in virtual time."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PlanRestrictedError,
    ProviderError,
    ProviderTimeout,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from oddscore.provider.retry import RetryPolicy
from tests.provider.conftest import ClientFactory, VirtualTime, error_body, quota_headers

Handler = Callable[[httpx.Request], httpx.Response]


def always(status: int, code: str | None = None, headers: dict[str, str] | None = None) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        body = error_body("provider says no", code) if code else {"message": "no"}
        return httpx.Response(status, json=body, headers=headers)

    return handler


def raising(exc: Exception) -> Handler:
    def handler(_request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (always(500), ServerError),
        (always(503), ServerError),
        (always(429, "EXCEEDED_FREQ_LIMIT"), RateLimitError),
        (raising(httpx.ConnectError("refused")), TransportError),
        (raising(httpx.ReadTimeout("slow")), ProviderTimeout),
        (lambda _r: httpx.Response(200, content=b"{truncated"), MalformedResponseError),
    ],
)
async def test_transient_failures_are_retried_up_to_the_bound(
    make_client: ClientFactory,
    vtime: VirtualTime,
    handler: Handler,
    expected: type[ProviderError],
) -> None:
    client, recorder = make_client(handler, max_retries=3)
    async with client:
        with pytest.raises(expected):  # our exception, never tenacity's RetryError
            await client.sports()
    assert len(recorder.requests) == 4
    backoffs = [s for s in vtime.sleeps if s >= 0.2]  # rate limiter gaps are 0.1 s
    assert len(backoffs) == 3


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (always(401, "INVALID_KEY"), AuthenticationError),
        (always(401, "OUT_OF_USAGE_CREDITS"), QuotaExhaustedError),
        (always(401, "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN"), PlanRestrictedError),
        (always(404, "UNKNOWN_SPORT"), NotFoundError),
        (always(404, "EVENT_NOT_FOUND"), NotFoundError),
        (always(422, "INVALID_MARKET"), InvalidRequestError),
    ],
)
async def test_permanent_failures_are_attempted_exactly_once(
    make_client: ClientFactory,
    vtime: VirtualTime,
    handler: Handler,
    expected: type[ProviderError],
) -> None:
    client, recorder = make_client(handler, max_retries=4)
    async with client:
        with pytest.raises(expected):
            await client.odds("basketball_nba", markets="h2h", regions="us")
    assert len(recorder.requests) == 1
    assert vtime.sleeps == []


async def test_success_after_transient_failures(
    make_client: ClientFactory, vtime: VirtualTime
) -> None:
    replies = iter(
        [
            httpx.Response(502, text="bad gateway"),
            httpx.Response(429, json=error_body("slow down", "EXCEEDED_FREQ_LIMIT")),
            httpx.Response(200, json=[], headers=quota_headers(0)),
        ]
    )
    client, recorder = make_client(lambda _r: next(replies), max_retries=3)
    async with client:
        response = await client.events("basketball_nba")
    assert response.data == [] and response.attempts == 3 and len(recorder.requests) == 3
    # one request id for the whole logical call
    assert len({response.request_id}) == 1


async def test_retry_after_is_honoured_and_capped(
    make_client: ClientFactory, vtime: VirtualTime
) -> None:
    waits = iter(["7", "3600"])

    def handler(_request: httpx.Request) -> httpx.Response:
        retry_after = next(waits, None)
        if retry_after is None:
            return httpx.Response(200, json=[], headers=quota_headers(0))
        return httpx.Response(
            429,
            json=error_body("Too many requests", "EXCEEDED_FREQ_LIMIT"),
            headers={"Retry-After": retry_after},
        )

    policy = RetryPolicy(max_retries=3, retry_after_cap=30.0, sleep=vtime.sleep)
    client, recorder = make_client(handler, retry_policy=policy)
    async with client:
        await client.events("basketball_nba")
    assert len(recorder.requests) == 3
    assert 7.0 in vtime.sleeps and 30.0 in vtime.sleeps  # the hour is capped
    # the second request went out only after the 7 s the provider asked for
    assert recorder.times[1] - recorder.times[0] >= 7.0


async def test_zero_retries_means_one_attempt(make_client: ClientFactory) -> None:
    client, recorder = make_client(always(500), max_retries=0)
    async with client:
        with pytest.raises(ServerError):
            await client.sports()
    assert len(recorder.requests) == 1


async def test_backoff_grows_and_is_bounded(make_client: ClientFactory, vtime: VirtualTime) -> None:
    policy = RetryPolicy(
        max_retries=6, backoff_initial=1.0, backoff_max=4.0, jitter=0.5, sleep=vtime.sleep
    )
    client, _ = make_client(always(500), retry_policy=policy, requests_per_second=30)
    async with client:
        with pytest.raises(ServerError):
            await client.sports()
    backoffs = [s for s in vtime.sleeps if s > 0.5]
    assert len(backoffs) == 6
    assert 1.0 <= backoffs[0] <= 1.5 and 2.0 <= backoffs[1] <= 2.5
    assert all(s <= 4.0 for s in backoffs) and backoffs[-1] >= 4.0 - 1e-9

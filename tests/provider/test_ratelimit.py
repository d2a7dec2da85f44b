"""The client-side rate limiter keeps every client under its configured rate."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from oddscore.provider.ratelimit import RateLimiter
from tests.provider.conftest import ClientFactory, VirtualTime, quota_headers


def max_in_any_window(times: list[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, sum(1 for t in ordered[i:] if t < start + window - 1e-9))
    return best


async def test_limiter_spaces_acquisitions(vtime: VirtualTime) -> None:
    limiter = RateLimiter(10, monotonic=vtime.monotonic, sleep=vtime.sleep)
    stamps = []
    for _ in range(25):
        await limiter.acquire()
        stamps.append(vtime.now)
    assert max_in_any_window(stamps) == 10
    assert stamps[-1] - stamps[0] == pytest.approx(2.4)


async def test_limiter_allows_a_burst_then_the_rate(vtime: VirtualTime) -> None:
    limiter = RateLimiter(5, burst=5, monotonic=vtime.monotonic, sleep=vtime.sleep)
    waits = [await limiter.acquire() for _ in range(7)]
    assert waits[:5] == [0.0] * 5 and waits[5] == pytest.approx(0.2)
    vtime.now += 10  # idle time refills only up to the burst
    waits = [await limiter.acquire() for _ in range(6)]
    assert waits[:5] == [0.0] * 5 and waits[5] > 0


@pytest.mark.parametrize("rate", [0, -1, 30.5, 100])
def test_rates_at_or_over_the_provider_limit_are_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(rate)


def test_burst_cannot_exceed_the_rate() -> None:
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(10, burst=11)


async def test_concurrent_calls_of_one_client_share_the_limiter(
    make_client: ClientFactory, vtime: VirtualTime
) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers=quota_headers(0))

    client, recorder = make_client(handler, requests_per_second=8)
    async with client:
        await asyncio.gather(*(client.events("basketball_nba") for _ in range(40)))
    assert len(recorder.times) == 40
    assert max_in_any_window(recorder.times) == 8
    assert recorder.times[-1] - recorder.times[0] == pytest.approx(39 / 8)


async def test_the_default_rate_comes_from_settings_and_stays_under_30() -> None:
    from oddscore.config import ApiSettings
    from oddscore.provider.client import OddsApiClient

    client = OddsApiClient.from_settings(ApiSettings(ODDS_API_KEY="k3y-limit-test"))
    try:
        assert client.limiter.rate == ApiSettings().requests_per_second < 30
    finally:
        await client.aclose()

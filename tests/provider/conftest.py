"""Provider fixtures: a client over httpx.MockTransport, in virtual time, with a fake key."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from oddscore.clock import FrozenClock
from oddscore.provider.client import OddsApiClient
from tests.conftest import SAMPLES_DIR

API_KEY = "k3y-provider-tests-5f0e9c1d"
NOW = datetime(2026, 11, 29, 16, 0, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def sample_path(name: str) -> Path:
    """A file of shared/reference/odds_api_samples; skips cleanly when it is absent."""
    path = SAMPLES_DIR / name
    if not path.exists():
        pytest.skip(f"sample not available at {path}")
    return path


def sample(name: str) -> Any:
    return json.loads(sample_path(name).read_text())


def quota_headers(cost: int, remaining: int = 19_000, used: int = 1_000) -> dict[str, str]:
    return {
        "x-requests-remaining": str(remaining),
        "x-requests-used": str(used),
        "x-requests-last": str(cost),
    }


def error_body(message: str, error_code: str) -> dict[str, str]:
    return {
        "message": message,
        "error_code": error_code,
        "details_url": "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#"
        + error_code.lower(),
    }


class VirtualTime:
    """Monotonic time and sleep that only move when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Recorder:
    """A MockTransport handler wrapper that keeps every request it saw."""

    def __init__(self, handler: Handler, time: VirtualTime) -> None:
        self.handler = handler
        self.time = time
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.time.now)
        return self.handler(request)

    @property
    def last_params(self) -> dict[str, str]:
        return dict(self.requests[-1].url.params)


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


ClientFactory = Callable[..., tuple[OddsApiClient, Recorder]]


@pytest.fixture
def make_client(vtime: VirtualTime) -> ClientFactory:
    """``make_client(handler, **options)`` -> (client, recorder), in virtual time."""

    def build(handler: Handler, **options: Any) -> tuple[OddsApiClient, Recorder]:
        recorder = Recorder(handler, vtime)
        defaults: dict[str, Any] = {
            "base_url": "https://api.the-odds-api.com",
            "transport": httpx.MockTransport(recorder),
            "clock": FrozenClock(NOW),
            "sleep": vtime.sleep,
            "monotonic": vtime.monotonic,
            "requests_per_second": 10.0,
            "max_retries": 3,
        }
        defaults.update(options)
        return OddsApiClient(API_KEY, **defaults), recorder

    return build

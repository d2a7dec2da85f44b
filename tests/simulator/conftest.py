"""Fixtures of the simulator tests: an app on a frozen clock, and an httpx client over it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from oddscore.clock import FrozenClock
from oddscore.simulator import create_app

TEST_KEY = "simulator-test-key"
NOW = datetime(2026, 11, 29, 16, 0, 7, tzinfo=UTC)
BOOKS = "pinnacle,circasports,draftkings,fanduel,betmgm,williamhill_us,betrivers,bovada"
NBA = "/v4/sports/basketball_nba"


class Api:
    """A tiny caller: ``await api.get(path, **params)`` with the key already in."""

    def __init__(self, http: httpx.AsyncClient, key: str = TEST_KEY) -> None:
        self.http = http
        self.key = key

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params={"apiKey": self.key, **params})


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def app(clock: FrozenClock) -> Starlette:
    return create_app(api_key=TEST_KEY, seed=7, clock=clock, requests_per_second_limit=None)


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        yield Api(http)


def odds_params(**extra: Any) -> dict[str, Any]:
    """The acceptance request's parameters."""
    return {"bookmakers": BOOKS, "markets": "h2h,spreads,totals", "oddsFormat": "american", **extra}

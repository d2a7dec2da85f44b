"""Backfill fixtures: the real 2023-24 events archive, read once per session."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from oddscore.provider.client import OddsApiClient
from oddscore.provider.models import EventInfo
from oddscore.simulator import create_app
from tests.conftest import real_data
from tests.servers import serve_in_thread


@pytest.fixture(scope="session")
def archive_events() -> list[EventInfo]:
    """Every event of every daily 2023-24 events snapshot, oldest snapshot first."""
    folder = real_data("the_odds_api_snapshots", "events", "2023-2024")
    events: list[EventInfo] = []
    for path in sorted(folder.glob("events_*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
        events.extend(EventInfo.model_validate(item) for item in payload["data"])
    return events


API_KEY = "backfill-test-key"
SPORT = "basketball_nba"
BOOKS = ["draftkings", "fanduel", "betmgm"]


class InjectedCrash(Exception):
    """A fault injected by a test: stands for the process dying at that point."""


class CrashingTransport(httpx.AsyncBaseTransport):
    """The simulator's transport, dying before the request number ``crash_at`` is sent.

    Counts historical ``/odds`` requests only; the dead request never reaches the simulator,
    so it is never billed (a process killed before sending).
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, crash_at: int | None = None) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.odds_requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v4/historical/") and request.url.path.endswith("/odds"):
            self.odds_requests += 1
            if self.crash_at is not None and self.odds_requests == self.crash_at:
                raise InjectedCrash(f"killed before historical request {self.crash_at}")
        return await self.inner.handle_async_request(request)


def make_client(app: Starlette, crash_at: int | None = None) -> OddsApiClient:
    transport = CrashingTransport(httpx.ASGITransport(app=app), crash_at)
    return OddsApiClient(
        API_KEY,
        base_url="http://simulator",
        transport=transport,
        requests_per_second=30,
        max_retries=0,
    )


@pytest.fixture(scope="module")
def replay_app() -> Starlette:
    """The simulator replaying the real archive (historical endpoints only), no rate limit."""
    return create_app(
        api_key=API_KEY,
        replay_dir=real_data("the_odds_api_snapshots"),
        requests_per_second_limit=None,
        quota=10_000_000,
    )


class ExplodingClock:
    """A clock for ingestion that fails on its ``fail_at``-th reading (a crash mid-ingest)."""

    def __init__(self, fail_at: int) -> None:
        self.readings = 0
        self.fail_at = fail_at

    def now(self) -> datetime:
        self.readings += 1
        if self.readings == self.fail_at:
            raise InjectedCrash(f"killed while ingesting (reading {self.fail_at})")
        return datetime.now(UTC)


@pytest.fixture(scope="module")
def replay_server(replay_app: Starlette) -> Iterator[str]:
    """The replay simulator over real HTTP (uvicorn in a thread), for the CLI: its base URL."""
    with serve_in_thread(replay_app) as url:
        yield url

# ruff: noqa: E402
"""Reliability fixtures: the simulator with fault switches, in-process or over real HTTP.

Over real HTTP the simulator is a uvicorn server running on the test's own event loop (no
thread, no subprocess): timeouts and dropped connections are then the real thing.
"""

from __future__ import annotations

from tests.prefect_env import isolate_prefect

# Before Prefect is imported: a throwaway PREFECT_HOME, and structlog lines shipped to the run
# logs (the key scan reads them back).
isolate_prefect()

import asyncio  # noqa: E402
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from oddscore.clock import Clock, FrozenClock
from oddscore.provider.client import OddsApiClient
from oddscore.provider.retry import RetryPolicy
from oddscore.simulator import FaultPlan, create_app

API_KEY = "rel-KEY-7f3a9c1e5b2d4068"  # distinctive, so a leak is easy to find
SPORT = "basketball_nba"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def fault_app(
    faults: FaultPlan | None = None,
    *,
    quota: int = 100_000,
    clock: Clock | None = None,
    api_key: str = API_KEY,
) -> Starlette:
    """The simulator on the frozen ``NOW`` (flows, which read the wall clock, pass theirs)."""
    return create_app(
        api_key=api_key,
        seed=11,
        clock=clock or FrozenClock(NOW),
        requests_per_second_limit=None,
        quota=quota,
        faults=faults if faults is not None else FaultPlan(),
    )


class Recorder(httpx.AsyncBaseTransport):
    """A transport that counts requests on the wire; its ``sleep`` is the retry policy's
    (waits are recorded, not waited)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[str] = []
        self.sleeps: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


def make_client(
    *,
    app: Starlette | None = None,
    base_url: str = "http://simulator",
    max_retries: int = 3,
    timeout: float = 5.0,
    key: str = API_KEY,
) -> tuple[OddsApiClient, Recorder]:
    """A client of ``app`` in-process (or of ``base_url`` over HTTP) that never really waits."""
    inner: httpx.AsyncBaseTransport = (
        httpx.ASGITransport(app=app) if app is not None else httpx.AsyncHTTPTransport()
    )
    recorder = Recorder(inner)
    policy = RetryPolicy(max_retries=max_retries, backoff_initial=0.01, sleep=recorder.sleep)
    client = OddsApiClient(
        key,
        base_url=base_url,
        transport=recorder,
        timeout_seconds=timeout,
        requests_per_second=30,
        sleep=_no_wait,
        retry_policy=policy,
        clock=FrozenClock(NOW),  # the simulator's time: fetched_at is when it answered
    )
    return client, recorder


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """``app`` behind uvicorn on this event loop; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> bool:
    for _ in range(int(timeout / 0.05)):
        if await check():
            return True
        await asyncio.sleep(0.05)
    return False


def odds_event(
    event_id: str,
    commence: datetime,
    *,
    home: str = "Boston Celtics",
    away: str = "Miami Heat",
    price: int = -150,
) -> dict[str, object]:
    """One event of an ``/odds`` payload: Pinnacle's moneyline."""
    stamp = commence.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "id": event_id,
        "sport_key": SPORT,
        "sport_title": "NBA",
        "commence_time": stamp,
        "home_team": home,
        "away_team": away,
        "bookmakers": [
            {
                "key": "pinnacle",
                "title": "Pinnacle",
                "last_update": "2026-11-19T09:00:00Z",
                "markets": [
                    {
                        "key": "h2h",
                        "last_update": "2026-11-19T09:00:00Z",
                        "outcomes": [
                            {"name": home, "price": price},
                            {"name": away, "price": 130},
                        ],
                    }
                ],
            }
        ],
    }


async def table_counts(db: object) -> dict[str, int]:
    """Rows per table, every table of the schema."""
    from sqlalchemy import func, select
    from sqlmodel import SQLModel

    counts: dict[str, int] = {}
    async with db.engine.connect() as conn:  # type: ignore[attr-defined]
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """The session's Prefect test server: tests/flows' one when it is up (a full run), else
    one started here (this folder alone). Never a second server in one session."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    if SubprocessASGIServer._instances.get(None) is not None:  # noqa: SLF001
        yield
        return
    with prefect_test_harness(server_startup_timeout=180):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """``app`` behind uvicorn in a thread (for sync callers such as the CLI); its base URL."""
    import threading
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the simulator server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

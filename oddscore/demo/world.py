"""The demo's little universe: one frozen clock behind the simulator, the client, the
ingestion pipeline and the planners, and a fresh embedded database.

Virtual time compresses days into seconds, so the two rate limits that count real seconds
are made to count virtual ones: the client's token bucket reads and advances the frozen
clock, and the simulator's per-second limit is off (its answers are instantaneous).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette

from oddscore.clock import FrozenClock
from oddscore.config import DEFAULT_BOOKMAKERS
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.simulator import DEMO_API_KEY, create_app, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.migrate import upgrade_async

__all__ = ["DEMO_QUOTA", "World", "fresh_database", "open_world"]

DEMO_QUOTA = 20_000  # the 20K plan the product is sized for


@dataclass(slots=True)
class World:
    clock: FrozenClock
    app: Starlette
    client: OddsApiClient
    db: Database
    policy: SchedulePolicy
    sport: str = "basketball_nba"

    def ingest_options(self, flow_name: str) -> IngestOptions:
        return IngestOptions(
            expected_bookmakers=self.policy.bookmakers,
            expected_markets=self.policy.markets,
            flow_name=flow_name,
            clock=self.clock,
        )

    @property
    def credits_used(self) -> int:
        """What the simulated provider charged, by its own ledger."""
        ledger = simulator_of(self.app).ledger
        return int(ledger.used)


async def fresh_database(path: Path) -> str:
    """Delete ``path`` (and its WAL files) and migrate a new database there; its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path.resolve()}"
    await upgrade_async(url)
    return url


@asynccontextmanager
async def open_world(
    url: str, start: datetime, seed: int, sport: str = "basketball_nba"
) -> AsyncIterator[World]:
    """The simulator, a client on it and the database, all on one clock set to ``start``."""
    clock = FrozenClock(start)
    # The product's default books and markets, whatever the environment says (no settings
    # are read at all): the report must be the same on every machine.
    policy = SchedulePolicy(bookmakers=tuple(DEFAULT_BOOKMAKERS))
    app = create_app(
        api_key=DEMO_API_KEY,
        seed=seed,
        quota=DEMO_QUOTA,
        clock=clock,
        requests_per_second_limit=None,
        bookmakers=policy.bookmakers,
    )

    async def virtual_sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    client = OddsApiClient(
        DEMO_API_KEY,
        base_url="http://simulator",
        transport=httpx.ASGITransport(app=app),
        clock=clock,
        requests_per_second=10.0,
        monotonic=lambda: clock.now().timestamp(),
        sleep=virtual_sleep,
    )
    db = Database.from_url(url)
    try:
        yield World(clock, app, client, db, policy, sport)
    finally:
        await client.aclose()
        await db.dispose()

"""Acceptance on the synthetic market: 5-minute snapshots, so every planned slot is stored.

Unlike the daily real archive, the synthetic history has a snapshot every 5 minutes, so each
planned (game, slot) becomes its own snapshot, no older than 5 minutes before the call, and
its label (from the real timestamp) is the tier the slot aimed at.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from oddscore.backfill.executor import CallStatus, Executor
from oddscore.backfill.planner import BackfillPlan, PlanSettings, build_plan
from oddscore.backfill.selection import select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.clock import FrozenClock
from oddscore.simulator import create_app, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import OddsSnapshot
from tests.backfill.conftest import API_KEY, BOOKS, SPORT, InjectedCrash, make_client

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DATES = (date(2026, 11, 10), date(2026, 11, 12))


@pytest.fixture(scope="module")
def synthetic_app() -> Starlette:
    return create_app(
        api_key=API_KEY,
        seed=11,
        clock=FrozenClock(NOW),
        requests_per_second_limit=None,
        quota=1_000_000,
    )


async def _plan(app: Starlette, count: int) -> BackfillPlan:
    async with make_client(app) as client:
        games, credits, calls = await endpoint_games(client, SPORT, *DATES)
    assert calls == 3 and credits == 3 and len(games) >= count
    settings = PlanSettings(sport=SPORT, start=DATES[0], end=DATES[1], bookmakers=BOOKS)
    return build_plan(
        select_games(games, count=count),
        settings,
        now=NOW,
        selection_source="endpoint",
        selection_credits=credits,
    )


async def _snapshots(db: Database) -> list[OddsSnapshot]:
    async with db.session() as session:
        return list((await session.execute(select(OddsSnapshot))).scalars())


def _check_stored(plan: BackfillPlan, stored: list[OddsSnapshot]) -> None:
    """One snapshot per planned (game, slot), at most 5 min before its call, in its tier."""
    targets = {(t.event_id, call.time): t.tier.value for call in plan.calls for t in call.targets}
    assert len(stored) == len(targets) == len(plan.games) * len(plan.settings.slots)
    matched = set()
    for snap in stored:
        [(key, tier)] = [
            (key, tier)
            for key, tier in targets.items()
            if key[0] == snap.event_id
            and key[1] - timedelta(minutes=5) <= snap.snapshot_time <= key[1]
        ]
        assert snap.fetch_tier == tier
        matched.add(key)
    assert matched == set(targets)


async def test_plan_execute_rerun_on_the_synthetic_market(
    db: Database, synthetic_app: Starlette
) -> None:
    ledger = simulator_of(synthetic_app).ledger
    plan = await _plan(synthetic_app, count=6)
    assert plan.costs.grouped < plan.costs.naive
    used = ledger.used
    async with make_client(synthetic_app) as client:
        report = await Executor(db, client, plan).execute(concurrency=3)
    assert ledger.used - used == report.credits_spent == plan.costs.grouped
    assert all(o.status is CallStatus.DONE and not o.games_missing for o in report.outcomes)
    stored = await _snapshots(db)
    _check_stored(plan, stored)
    assert {s.fetch_tier for s in stored} == {"opening", "early", "sharp", "pregame", "closing"}

    used = ledger.used
    async with make_client(synthetic_app) as client:
        again = await Executor(db, client, plan).execute()
    assert again.credits_spent == 0 and ledger.used == used
    assert len(await _snapshots(db)) == len(stored)


async def test_crash_and_resume_on_the_synthetic_market(
    db: Database, synthetic_app: Starlette
) -> None:
    ledger = simulator_of(synthetic_app).ledger
    plan = await _plan(synthetic_app, count=4)
    used = ledger.used
    half = len(plan.calls) // 2
    async with make_client(synthetic_app, crash_at=half) as client:
        with pytest.raises(InjectedCrash):
            await Executor(db, client, plan, stale_claim_after=timedelta(0)).execute(concurrency=2)
    assert 0 < ledger.used - used < plan.costs.grouped
    async with make_client(synthetic_app) as client:
        await Executor(db, client, plan, stale_claim_after=timedelta(0)).execute()
    assert ledger.used - used == plan.costs.grouped
    _check_stored(plan, await _snapshots(db))

"""The backfill flow against the simulator: each call a cached task, nothing paid twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.backfill import BackfillParams, backfill_flow
from oddscore.backfill.planner import BackfillPlan, PlanSettings, build_plan, write_plan
from oddscore.backfill.selection import select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.exceptions import PlanningError
from oddscore.provider.client import OddsApiClient
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, OddsSnapshot

SPORT = "basketball_nba"


@pytest.fixture(autouse=True)
def quiet_outside_flows() -> Iterator[None]:
    """The tests plan and read the quota outside any flow run: those log lines stay local."""
    from prefect.settings import PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW, temporary_settings

    with temporary_settings({PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore"}):
        yield


async def _used() -> int:
    async with OddsApiClient.from_settings(get_settings().api) as client:
        used = (await client.sports()).quota.used  # free: only reads the headers
    assert used is not None
    return used


async def _plan(tmp_path: Path, count: int, seed: int = 0) -> tuple[BackfillPlan, Path]:
    settings = get_settings()
    start = utcnow().date() - timedelta(days=10)
    async with OddsApiClient.from_settings(settings.api) as client:
        games, credits, _ = await endpoint_games(client, SPORT, start, start)
    plan = build_plan(
        select_games(games, count=count, strategy="random", seed=seed),
        PlanSettings(
            sport=SPORT,
            start=start,
            end=start,
            bookmakers=list(settings.collection.bookmakers),
        ),
        now=utcnow(),
        selection_source="endpoint",
        selection_credits=credits,
    )
    path = tmp_path / f"plan-{count}-{seed}.json"
    write_plan(plan, path)
    return plan, path


async def _count(url: str, model: type) -> int:
    async with Database.from_url(url, null_pool=True) as db, db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_backfill_flow_pays_each_call_once(flow_env: str, tmp_path: Path) -> None:
    plan, path = await _plan(tmp_path, count=3)
    before = await _used()
    summary = await backfill_flow(BackfillParams(plan_path=str(path), concurrency=3))
    assert summary["credits_spent"] == plan.costs.grouped == await _used() - before
    assert summary["calls_paid"] == len(plan.calls) and summary["calls_cached"] == 0
    assert await _count(flow_env, OddsSnapshot) == 3 * len(plan.settings.slots)
    assert await _count(flow_env, BackfillCall) == len(plan.calls)

    # A re-run: every call is a cached task, nothing is requested or stored again.
    before = await _used()
    again = await backfill_flow(BackfillParams(plan_path=str(path)))
    assert again["calls_cached"] == len(plan.calls)
    assert again["credits_spent"] == 0 and await _used() == before
    assert await _count(flow_env, OddsSnapshot) == 3 * len(plan.settings.slots)


async def test_backfill_flow_refuses_over_budget(flow_env: str, tmp_path: Path) -> None:
    plan, path = await _plan(tmp_path, count=1, seed=5)
    before = await _used()
    with pytest.raises(PlanningError, match="over the budget"):
        await backfill_flow(BackfillParams(plan_path=str(path), budget=plan.costs.grouped - 1))
    assert await _used() == before
    assert await _count(flow_env, OddsSnapshot) == 0


async def test_backfill_flow_reads_its_plan_from_s3(
    flow_env: str, tmp_path: Path, s3_bucket: str
) -> None:
    """An ECS run has no plan file on its disk: the plan is read from the bucket."""
    plan, path = await _plan(tmp_path, count=1, seed=11)
    where = f"s3://{s3_bucket}/plans/{path.name}"
    write_plan(plan, where)
    path.unlink()
    summary = await backfill_flow(BackfillParams(plan_path=where))
    assert summary["plan_id"] == plan.plan_id
    assert summary["calls_paid"] == len(plan.calls) > 0
    assert await _count(flow_env, BackfillCall) == len(plan.calls)

"""backfill: run a backfill plan, each planned historical call a cached task.

Orchestration only: the plan comes from ``odds backfill plan`` and every decision (budget,
quota, claim, pay, ingest, label) is ``oddscore.backfill.executor``'s. A call's task is cached
under (database, plan, call time), so a re-run or a retried run gets the cached result and
never pays again; the ledger in ``backfill_calls`` guarantees the same even when the cache is
gone (another container, cleared storage).

Run locally: ``uv run python -m flows.backfill plan.json``.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from pydantic import BaseModel, Field

from flows._runtime import load_api_key, publish_summary, retry_transient, setup_logging
from oddscore.backfill.executor import CallStatus, Executor
from oddscore.backfill.gap_fill import executor_for
from oddscore.backfill.planner import BackfillPlan, PlannedCall, read_plan
from oddscore.config import get_settings
from oddscore.exceptions import PlanningError
from oddscore.logs import get_logger
from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.storage.engine import Database

log = get_logger("flows.backfill")


class BackfillParams(BaseModel):
    """Parameters of the backfill flow."""

    plan_path: str = Field(
        description="The plan written by `odds backfill plan`: a file, or s3://bucket/key "
        "(on ECS: a container has no plan file of its own)."
    )
    budget: int | None = Field(
        default=None, ge=0, description="Refuse to start if the calls still to pay cost more."
    )
    concurrency: int = Field(default=4, ge=1, le=10, description="Calls in flight at once.")
    dry_run: bool = Field(default=False, description="Check budget and quota, spend nothing.")


def call_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """(database, plan, call time): the same call of the same plan into the same database."""
    del context
    executor: Executor = parameters["executor"]
    call: PlannedCall = parameters["call"]
    where = hashlib.sha256(executor.db.url.encode()).hexdigest()[:12]
    return f"backfill-{where}-{executor.plan.plan_id}-{call.time.strftime('%Y%m%dT%H%M%SZ')}"


@task(cache_policy=NO_CACHE)
async def preflight(executor: Executor, budget: int | None) -> dict[str, Any]:
    """Refuse a plan over budget or over the account's remaining quota (a free call)."""
    outstanding, remaining = await executor.preflight(budget=budget)
    await executor.register()
    return {"credits_outstanding": outstanding, "quota_remaining": remaining}


@task(
    cache_key_fn=call_cache_key,
    # Bounded, so a database rebuilt at the same URL is not shadowed by old results forever.
    cache_expiration=timedelta(days=30),
    persist_result=True,
    retries=1,
    retry_delay_seconds=30,
    retry_condition_fn=retry_transient,
)
async def backfill_call(executor: Executor, call: PlannedCall) -> dict[str, Any]:
    """One planned call, paid at most once; only a finished call becomes a cached result."""
    outcome = await executor.run_call(call)
    if outcome.status is not CallStatus.DONE:
        raise outcome.error or PlanningError(f"call {call.time.isoformat()}: {outcome.status}")
    return {
        "call_time": call.time.isoformat(),
        "credits_spent": outcome.credits_spent,
        "paid": outcome.paid,
        "snapshot_time": outcome.snapshot_time.isoformat() if outcome.snapshot_time else None,
        "games_stored": outcome.games_stored,
        "games_missing": list(outcome.games_missing),
        "served_by": list(outcome.served_by),
    }


@flow(name="backfill", log_prints=False)
async def backfill_flow(params: BackfillParams) -> dict[str, Any]:
    """Execute a backfill plan: every call once, under a concurrency limit, resumable."""
    setup_logging()
    await load_api_key()
    plan: BackfillPlan = read_plan(params.plan_path)
    settings = get_settings()
    summary: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "calls": len(plan.calls),
        "credits_planned": plan.costs.grouped,
        "dry_run": params.dry_run,
    }
    async with (
        Database.from_settings(settings.database) as db,
        OddsApiClient.from_settings(settings.api) as client,
    ):
        policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
        executor = executor_for(db, client, plan, closing_window=policy.closing_window)
        summary.update(await preflight(executor, params.budget))
        if not params.dry_run:
            summary.update(await _run_calls(executor, plan, params.concurrency))
    await publish_summary("backfill-summary", f"backfill {plan.plan_id}", summary)
    log.info("backfill done", **summary)
    if summary.get("failed"):
        raise PlanningError(
            f"{summary['failed']} of {len(plan.calls)} backfill calls did not finish; "
            "run the flow again (finished calls are not paid twice)"
        )
    return summary


async def _run_calls(executor: Executor, plan: BackfillPlan, limit: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: PlannedCall) -> Any:
        async with gate:
            # An async task called with return_state=True is awaited for its final State.
            return await backfill_call(executor, call, return_state=True)  # type: ignore[misc]

    states = await asyncio.gather(*(one(call) for call in plan.calls))
    fresh, cached, failed = [], 0, 0
    for state in states:
        if state.is_completed() and state.name == "Cached":
            cached += 1
        elif state.is_completed():
            fresh.append(await state.aresult())
        else:
            failed += 1
    return {
        "calls_paid": sum(1 for r in fresh if r["paid"]),
        "calls_served": sum(1 for r in fresh if r["served_by"]),
        "credits_spent": sum(r["credits_spent"] for r in fresh),
        "calls_cached": cached,
        "failed": failed,
        "snapshots_stored": sum(r["games_stored"] for r in fresh),
    }


if __name__ == "__main__":
    import sys

    asyncio.run(backfill_flow(BackfillParams(plan_path=sys.argv[1])))  # type: ignore[arg-type]

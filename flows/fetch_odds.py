"""fetch-odds: discover games (free), fetch odds when a game needs a snapshot, store them,
and schedule the next run when the scheduling intelligence says so.

Run locally: ``uv run python -m flows.fetch_odds`` (one run, no deployment, no rescheduling).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from flows._runtime import (
    RunPlan,
    load_api_key,
    retry_transient,
    safety_net_gate,
    self_rescheduling,
    setup_logging,
)
from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.exceptions import ProviderError
from oddscore.ingestion.fetch import record_failed_fetch
from oddscore.logs import get_logger
from oddscore.provider.client import OddsApiClient
from oddscore.provider.models import EventInfo
from oddscore.provider.response import ApiResponse
from oddscore.scheduling.planner import Action, Decision, decide_odds, retry_after_failure
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.state import load_games, load_quota, merge_listed
from oddscore.storage.engine import Database

log = get_logger("flows.fetch_odds")

# When the run itself fails before it can plan, try again this much later (sooner when a
# game's close is at stake: ``retry_after_failure``).
RETRY_LATER = timedelta(minutes=15)


class FetchOddsParams(BaseModel):
    """Parameters of fetch-odds (all optional: the deployment runs it with none)."""

    sports: list[str] | None = Field(
        default=None, description="Sport keys; default: the SPORTS setting."
    )
    force: bool = Field(
        default=False, description="Fetch odds now even if no game needs a snapshot yet."
    )
    dry_run: bool | None = Field(
        default=None,
        description="Plan only: no paid call, no write, no rescheduling "
        "(default: SCHEDULER_DRY_RUN).",
    )
    reschedule: bool = Field(
        default=True, description="Schedule this deployment's next run when done."
    )
    safety_net: bool = Field(
        default=False,
        description="Started by the safety net: end at once when a run of this deployment "
        "already waits.",
    )


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=30, retry_condition_fn=retry_transient)
async def discover_events(client: OddsApiClient, sport: str) -> ApiResponse[list[EventInfo]]:
    """The free /events listing: new games, moved tip times."""
    return await client.events(sport)


@task(cache_policy=NO_CACHE)
async def store_events(db: Database, response: ApiResponse[list[EventInfo]]) -> int:
    from oddscore.ingestion.pipeline import IngestOptions, ingest_events

    options = IngestOptions.from_settings(flow_name="fetch-odds")
    result = await ingest_events(
        db, response.data, seen_at=response.fetched_at, response=response, options=options
    )
    return result.events_inserted


@task(cache_policy=NO_CACHE)
async def plan_odds(
    db: Database, sport: str, policy: SchedulePolicy, listed: list[EventInfo]
) -> Decision:
    """The intelligence's decision from the stored games, their captures and the quota."""
    now = utcnow()
    async with db.session() as session:
        games = await load_games(session, sport_key=sport, now=now, past=policy.season_gap)
        quota = await load_quota(session, now=now)
    games = merge_listed(games, ((e.id, e.commence_time) for e in listed), sport)
    return decide_odds(games, now, policy, quota)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=60, retry_condition_fn=retry_transient)
async def fetch_odds(
    db: Database, client: OddsApiClient, sport: str, slot: datetime
) -> dict[str, Any]:
    """The paid /odds call for ``slot`` through the paid-call ledger, and its storage.

    The ledger (keyed by the request and its slot, not by the run) makes a rerun store an
    answer paid for before instead of paying again; Prefect's cache is not used for it.
    """
    from oddscore.ingestion.fetch import fetch_current

    outcome = await fetch_current(db, client, sport=sport, flow_name="fetch-odds", slot=slot)
    stored = outcome.stored.as_dict() if outcome.stored is not None else {}
    response = outcome.response
    return {
        "stored": outcome.stored is not None,
        "credits": outcome.credits_paid,
        "quota_remaining": response.quota.remaining if response is not None else None,
        "snapshots": stored.get("snapshots_inserted", 0),
        "odds_rows": stored.get("odds_rows", 0),
        "note": outcome.note,
    }


@task(cache_policy=NO_CACHE)
async def recover_odds(db: Database, client: OddsApiClient, sport: str) -> str:
    """No call due: store what a crashed run paid for and settle a call lost in flight
    (free; empty when there is nothing to recover)."""
    from oddscore.ingestion.fetch import recover_current

    recovery = await recover_current(db, client, sport=sport, flow_name="fetch-odds")
    done = []
    if recovery.stored:
        snapshots = sum(result.snapshots_inserted for result in recovery.stored)
        done.append(
            f"stored {len(recovery.stored)} answer(s) paid for by an earlier run "
            f"({snapshots} snapshots, nothing paid)"
        )
    for lost in recovery.settlement.settled:
        done.append(f"settled a call lost in flight: {lost.credits} credit(s) billed")
    return "; ".join(done)


@flow(name="fetch-odds", retries=1, retry_delay_seconds=30, log_prints=False)
async def fetch_odds_flow(params: FetchOddsParams | None = None) -> dict[str, Any]:
    """Collect odds for every sport when the intelligence says a game needs a snapshot."""
    setup_logging()
    await load_api_key()
    params = params or FetchOddsParams()
    if (alive := await safety_net_gate("fetch-odds", safety_net=params.safety_net)) is not None:
        return alive
    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    dry_run = settings.scheduler.dry_run if params.dry_run is None else params.dry_run
    async with (
        self_rescheduling(
            "fetch-odds",
            dry_run=dry_run,
            reschedule=params.reschedule,
            retry_later=RETRY_LATER,
        ) as run,
        Database.from_settings(settings.database) as db,
        OddsApiClient.from_settings(settings.api) as client,
    ):
        summary = run.summary
        decisions = []
        for sport in params.sports or settings.collection.sports:
            decision = await _collect(sport, db, client, policy, params, dry_run, run)
            decisions.append(decision)
        upcoming = min(decisions, key=lambda d: d.at)
        run.plan(upcoming, policy)
        summary.update(
            next_action=upcoming.action.value,
            next_estimated_credits=upcoming.estimated_credits,
            quota_mode=upcoming.mode.value,
        )
    log.info("fetch-odds done", **{k: v for k, v in summary.items() if k != "reschedule"})
    return summary


async def _collect(
    sport: str,
    db: Database,
    client: OddsApiClient,
    policy: SchedulePolicy,
    params: FetchOddsParams,
    dry_run: bool,
    run: RunPlan,
) -> Decision:
    """One sport: discover, decide, maybe fetch and store, then plan the next run."""
    summary = run.summary
    try:
        listing = await discover_events(client, sport)
    except ProviderError as exc:
        await record_failed_fetch(db, exc, sport=sport, flow_name="fetch-odds")
        raise
    summary[f"{sport}.listed"] = len(listing.data)
    if not dry_run:
        summary[f"{sport}.new_games"] = await store_events(db, listing)
    decision = await plan_odds(db, sport, policy, listing.data)
    now = utcnow()
    due = decision.action is Action.FETCH_ODDS and decision.is_due(now, policy.due_tolerance)
    summary[f"{sport}.decision"] = decision.reason
    if not (due or params.force) or not listing.data:
        summary[f"{sport}.fetched"] = False
        # A paid call recovers as it goes; without one, a crashed run's leftovers (an answer
        # paid for, a call lost in flight) would wait for the next paid call, hours away.
        if dry_run or not (recovered := await recover_odds(db, client, sport)):
            return decision
        summary[f"{sport}.recovered"] = recovered
        return await plan_odds(db, sport, policy, listing.data)
    if dry_run:
        summary[f"{sport}.fetched"] = f"dry run: would spend {decision.estimated_credits} credits"
        return decision
    # The planned need's time, not the run's: two runs that planned the same need share the
    # ledger key, so only one of them pays (a forced call is keyed by the current minute).
    slot = decision.at if due else now
    run.on_failure(*retry_after_failure(decision, now, policy, RETRY_LATER))
    fetched = await fetch_odds(db, client, sport, slot)
    summary.update(
        {
            f"{sport}.fetched": fetched["stored"] or fetched["note"],
            f"{sport}.credits": fetched["credits"],
            f"{sport}.quota_remaining": fetched["quota_remaining"],
            f"{sport}.snapshots": fetched["snapshots"],
            f"{sport}.odds_rows": fetched["odds_rows"],
        }
    )
    if fetched["note"]:
        summary[f"{sport}.paid_call"] = fetched["note"]
    return await plan_odds(db, sport, policy, listing.data)


if __name__ == "__main__":
    import asyncio

    asyncio.run(fetch_odds_flow(FetchOddsParams(reschedule=False)))  # type: ignore[arg-type]

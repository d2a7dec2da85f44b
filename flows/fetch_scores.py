"""fetch-scores: settle games once they should be over, then schedule the next settlement.

The scheduling intelligence (``oddscore.scheduling.results.decide_scores``) says when: after
the last game of a cluster should have ended, again later for overtime, never for games the
provider no longer reports (older than 3 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from flows._runtime import (
    load_api_key,
    retry_transient,
    safety_net_gate,
    self_rescheduling,
    setup_logging,
)
from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.logs import get_logger
from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.planner import Action, Decision
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.results import decide_scores
from oddscore.scheduling.state import last_fetch_time, load_games
from oddscore.storage.engine import Database

log = get_logger("flows.fetch_scores")
RETRY_LATER = timedelta(minutes=30)


class FetchScoresParams(BaseModel):
    """Parameters of fetch-scores (all optional)."""

    sports: list[str] | None = Field(default=None, description="Default: the SPORTS setting.")
    force: bool = Field(default=False, description="Fetch scores now even if nothing is due.")
    days_from: int | None = Field(
        default=None, ge=1, le=3, description="daysFrom for /scores; default: as planned."
    )
    dry_run: bool | None = Field(
        default=None, description="Plan only: no paid call, no write, no rescheduling."
    )
    reschedule: bool = Field(default=True, description="Schedule the next run when done.")
    safety_net: bool = Field(
        default=False,
        description="Started by the safety net: end at once when a run of this deployment "
        "already waits.",
    )


@task(cache_policy=NO_CACHE)
async def plan_scores(db: Database, sport: str, policy: SchedulePolicy) -> Decision:
    """The intelligence's decision from unsettled games and the last scores call."""
    now = utcnow()
    async with db.session() as session:
        games = await load_games(session, sport_key=sport, now=now, past=policy.season_gap)
        checked = await last_fetch_time(session, endpoint_suffix="/scores", now=now)
    return decide_scores(games, now, policy.for_sport(sport), last_checked=checked)


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=60, retry_condition_fn=retry_transient)
async def fetch_scores(
    db: Database, client: OddsApiClient, sport: str, days_from: int, slot: datetime
) -> dict[str, Any]:
    """The paid /scores call (2 credits with daysFrom) for ``slot`` through the paid-call
    ledger (a rerun stores an answer paid for before), and its storage."""
    from oddscore.ingestion.fetch import fetch_scores as fetch_and_store

    outcome = await fetch_and_store(
        db, client, sport=sport, days=days_from, flow_name="fetch-scores", slot=slot
    )
    result = outcome.stored
    stored: dict[str, Any] | str = (
        {"events": result.events, "finals": result.finals, "live": result.live}
        if result is not None
        else outcome.note
    )
    return {"stored": stored, "credits": outcome.credits_paid, "note": outcome.note}


@flow(name="fetch-scores", retries=1, retry_delay_seconds=30)
async def fetch_scores_flow(params: FetchScoresParams | None = None) -> dict[str, Any]:
    """Fetch scores when games should be over; store finals; plan the next call."""
    setup_logging()
    await load_api_key()
    params = params or FetchScoresParams()
    if (alive := await safety_net_gate("fetch-scores", safety_net=params.safety_net)) is not None:
        return alive
    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    dry_run = settings.scheduler.dry_run if params.dry_run is None else params.dry_run
    async with (
        self_rescheduling(
            "fetch-scores",
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
            decision = await plan_scores(db, sport, policy)
            due = decision.action is Action.FETCH_SCORES and decision.is_due(
                utcnow(), policy.due_tolerance
            )
            summary[f"{sport}.decision"] = decision.reason
            if (due or params.force) and not dry_run:
                days = params.days_from or int(str(decision.extra.get("days_from", 1)))
                # Keyed by the planned time, not the run (see fetch-odds).
                fetched = await fetch_scores(
                    db, client, sport, days, decision.at if due else utcnow()
                )
                summary[f"{sport}.stored"] = fetched["stored"]
                summary[f"{sport}.credits"] = fetched["credits"]
                if fetched["note"]:
                    summary[f"{sport}.paid_call"] = fetched["note"]
                decision = await plan_scores(db, sport, policy)
            else:
                summary[f"{sport}.stored"] = "dry run" if due and dry_run else "nothing due"
            decisions.append(decision)
        upcoming = min(decisions, key=lambda d: d.at)
        run.plan(upcoming, policy)
        summary["next_estimated_credits"] = upcoming.estimated_credits
    log.info("fetch-scores done", **{k: v for k, v in summary.items() if k != "reschedule"})
    return summary

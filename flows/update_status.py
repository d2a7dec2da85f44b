"""update-status: scheduled -> live at tip-off, -> final when scored or long over (free, the
database only), then schedule the next run just after the next tip time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from flows._runtime import safety_net_gate, self_rescheduling, setup_logging
from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.logs import get_logger
from oddscore.scheduling.planner import Decision
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.results import decide_status
from oddscore.scheduling.state import load_games
from oddscore.storage.engine import Database

log = get_logger("flows.update_status")
RETRY_LATER = timedelta(minutes=15)


class UpdateStatusParams(BaseModel):
    """Parameters of update-status (all optional)."""

    sports: list[str] | None = Field(default=None, description="Default: the SPORTS setting.")
    dry_run: bool | None = Field(default=None, description="Plan only: no write, no rescheduling.")
    reschedule: bool = Field(default=True, description="Schedule the next run when done.")
    safety_net: bool = Field(
        default=False,
        description="Started by the safety net: end at once when a run of this deployment "
        "already waits.",
    )


@task(cache_policy=NO_CACHE)
async def move_statuses(db: Database) -> dict[str, int]:
    """Apply the time-driven transitions (ingestion owns the rules)."""
    from oddscore.ingestion.scores import update_statuses

    result = await update_statuses(db, utcnow())
    return {"to_live": result.to_live, "to_final": result.to_final}


@task(cache_policy=NO_CACHE)
async def plan_status(db: Database, sports: list[str], policy: SchedulePolicy) -> Decision:
    now = utcnow()
    games = []
    async with db.session() as session:
        for sport in sports:
            games += await load_games(session, sport_key=sport, now=now, past=policy.season_gap)
    return decide_status(games, now, policy)


@flow(name="update-status", retries=1, retry_delay_seconds=30)
async def update_status_flow(params: UpdateStatusParams | None = None) -> dict[str, Any]:
    """Move statuses with the clock; plan the next run around the next tip time."""
    setup_logging()
    params = params or UpdateStatusParams()
    if (alive := await safety_net_gate("update-status", safety_net=params.safety_net)) is not None:
        return alive
    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    dry_run = settings.scheduler.dry_run if params.dry_run is None else params.dry_run
    sports = params.sports or list(settings.collection.sports)
    async with (
        self_rescheduling(
            "update-status",
            dry_run=dry_run,
            reschedule=params.reschedule,
            retry_later=RETRY_LATER,
        ) as run,
        Database.from_settings(settings.database) as db,
    ):
        summary = run.summary
        summary["moved"] = "dry run" if dry_run else await move_statuses(db)
        run.plan(await plan_status(db, sports, policy), policy)
    log.info("update-status done", **{k: v for k, v in summary.items() if k != "reschedule"})
    return summary

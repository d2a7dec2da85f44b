"""Collection in virtual time: the three collecting flows' runs, on one shared clock.

Each run does what its Prefect flow does (``flows/fetch_odds.py``, ``fetch_scores.py``,
``update_status.py``) with the same library calls, minus Prefect: the flows reschedule
themselves at the decision's slot, here the loop jumps the clock to the earliest slot of
the three and runs whichever is due. Everything paid goes through the real client to the
simulator, and everything stored goes through the real ingestion pipeline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from oddscore.demo.world import World
from oddscore.ingestion.pipeline import ingest_events, ingest_response
from oddscore.ingestion.scores import ingest_scores, update_statuses
from oddscore.scheduling.planner import Action, Decision, decide_odds, next_slot
from oddscore.scheduling.results import decide_scores, decide_status
from oddscore.scheduling.state import last_fetch_time, load_games, load_quota, merge_listed

__all__ = ["CollectionLog", "collect"]

Progress = Callable[[datetime], None]


@dataclass(slots=True)
class CollectionLog:
    """What the runs did; the database holds the rest."""

    runs: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)  # endpoint -> paid-or-free calls
    needs: Counter[str] = field(default_factory=Counter)  # why each /odds call was made
    odds_fetch_times: list[datetime] = field(default_factory=list)


async def _plan_odds(world: World, listed: list[tuple[str, datetime]]) -> Decision:
    now = world.clock.now()
    async with world.db.session() as session:
        games = await load_games(
            session, sport_key=world.sport, now=now, past=world.policy.season_gap
        )
        quota = await load_quota(session, now=now)
    return decide_odds(merge_listed(games, listed, world.sport), now, world.policy, quota)


async def odds_run(world: World, log: CollectionLog) -> datetime:
    """fetch-odds: free discovery, the intelligence's decision, maybe one paid /odds call."""
    log.runs["fetch-odds"] += 1
    listing = await world.client.events(world.sport)
    log.calls["events"] += 1
    options = world.ingest_options("fetch-odds")
    await ingest_events(
        world.db, listing.data, seen_at=listing.fetched_at, response=listing, options=options
    )
    listed = [(e.id, e.commence_time) for e in listing.data]
    decision = await _plan_odds(world, listed)
    now = world.clock.now()
    policy = world.policy
    if (
        listing.data
        and decision.action is Action.FETCH_ODDS
        and decision.is_due(now, policy.due_tolerance)
    ):
        response = await world.client.odds(
            world.sport, markets=list(policy.markets), bookmakers=list(policy.bookmakers)
        )
        log.calls["odds"] += 1
        log.odds_fetch_times.append(response.fetched_at)
        log.needs.update({need.need.value for need in decision.games})
        await ingest_response(world.db, response, source="live", options=options)
        decision = await _plan_odds(world, listed)
    return next_slot(decision.at, world.clock.now(), policy)


async def scores_run(world: World, log: CollectionLog) -> datetime:
    """fetch-scores: settle games once they should be over."""
    log.runs["fetch-scores"] += 1

    async def plan() -> Decision:
        now = world.clock.now()
        async with world.db.session() as session:
            games = await load_games(
                session, sport_key=world.sport, now=now, past=world.policy.season_gap
            )
            checked = await last_fetch_time(session, endpoint_suffix="/scores", now=now)
        return decide_scores(games, now, world.policy, last_checked=checked)

    decision = await plan()
    if decision.action is Action.FETCH_SCORES and decision.is_due(
        world.clock.now(), world.policy.due_tolerance
    ):
        days = int(str(decision.extra.get("days_from", 1)))
        response = await world.client.scores(world.sport, days_from=days)
        log.calls["scores"] += 1
        await ingest_scores(world.db, response, clock=world.clock, flow_name="fetch-scores")
        decision = await plan()
    return next_slot(decision.at, world.clock.now(), world.policy)


async def status_run(world: World, log: CollectionLog) -> datetime:
    """update-status: scheduled -> live at tip-off, -> final when scored (free)."""
    log.runs["update-status"] += 1
    now = world.clock.now()
    await update_statuses(world.db, now)
    async with world.db.session() as session:
        games = await load_games(
            session, sport_key=world.sport, now=now, past=world.policy.season_gap
        )
    decision = decide_status(games, now, world.policy)
    return next_slot(decision.at, world.clock.now(), world.policy)


async def collect(
    world: World, end: datetime, on_progress: Progress | None = None
) -> CollectionLog:
    """Run the three flows from the clock's time until ``end``, each when it asked to run."""
    log = CollectionLog()
    start = world.clock.now()
    due = {"odds": start, "scores": start, "status": start}
    runs = {"odds": odds_run, "scores": scores_run, "status": status_run}
    while True:
        name = min(due, key=lambda n: due[n])
        at = due[name]
        if at >= end:
            break
        if at > world.clock.now():
            world.clock.set(at)
        due[name] = await runs[name](world, log)
        if on_progress is not None:
            on_progress(world.clock.now())
    world.clock.set(max(end, world.clock.now()))
    return log

"""``odds backfill status``: progress, credits planned and spent, failures, missing results."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, Event

__all__ = [
    "SCORES_WINDOW",
    "CallFailure",
    "MissingResult",
    "PlanProgress",
    "backfill_status",
    "games_without_results",
]

# The scores endpoint reports completed games up to 3 days back (daysFrom=1..3).
SCORES_WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class CallFailure:
    call_time: datetime
    status: str
    attempts: int
    error: str


@dataclass(frozen=True, slots=True)
class MissingResult:
    """A backfilled game with no final score yet, and where to get it."""

    event_id: str
    commence_time: datetime
    home_team: str
    away_team: str
    remedy: str  # "scores endpoint" (finished within 3 days) or "odds results import"


@dataclass(slots=True)
class PlanProgress:
    plan_id: str
    sport: str
    calls_total: int
    by_status: dict[str, int]
    credits_planned: int
    credits_spent: int
    snapshots_stored: int
    game_slots_missing: int  # planned (call, game) pairs the provider did not list
    games: int
    calls_served: int = 0  # done without paying: other plans had fetched their games
    failures: list[CallFailure] = field(default_factory=list)
    missing_results: list[MissingResult] = field(default_factory=list)
    first_call: datetime | None = None
    last_call: datetime | None = None

    @property
    def calls_done(self) -> int:
        return self.by_status.get("done", 0)

    @property
    def complete(self) -> bool:
        return self.calls_done == self.calls_total


async def backfill_status(
    db: Database, *, now: datetime, plan_id: str | None = None
) -> list[PlanProgress]:
    """Progress of every recorded plan (or one), newest first."""
    async with db.session() as session:
        query = select(BackfillCall)
        if plan_id is not None:
            query = query.where(col(BackfillCall.plan_id) == plan_id)
        rows = list((await session.execute(query)).scalars())
    by_plan: dict[str, list[BackfillCall]] = {}
    for row in rows:
        by_plan.setdefault(row.plan_id, []).append(row)
    events = await _events(db, {event_id for row in rows for event_id in row.event_ids or []})
    progress = [_progress(plan, calls, events, now) for plan, calls in by_plan.items()]
    return sorted(
        progress, key=lambda p: max(c.created_at for c in by_plan[p.plan_id]), reverse=True
    )


async def _events(db: Database, ids: set[str]) -> dict[str, Event]:
    found: dict[str, Event] = {}
    ordered = sorted(ids)
    async with db.session() as session:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows = await session.execute(select(Event).where(col(Event.id).in_(chunk)))
            found.update((event.id, event) for event in rows.scalars())
    return found


async def games_without_results(
    db: Database, event_ids: set[str], *, now: datetime
) -> list[MissingResult]:
    """Played games among ``event_ids`` with no final score, each with where to get it.

    A game not stored yet has no result either; it is listed once the backfill stored it.
    """
    return _missing_results(sorted(event_ids), await _events(db, event_ids), now)


def _missing_results(
    game_ids: list[str], events: dict[str, Event], now: datetime
) -> list[MissingResult]:
    missing = []
    for event_id in game_ids:
        event = events.get(event_id)
        if event is None or event.home_score is not None:
            continue
        if event.commence_time > now:
            continue  # not played yet: nothing to settle
        remedy = (
            "scores endpoint"
            if now - event.commence_time <= SCORES_WINDOW
            else "odds results import"
        )
        missing.append(
            MissingResult(event_id, event.commence_time, event.home_team, event.away_team, remedy)
        )
    return missing


def _progress(
    plan_id: str, calls: list[BackfillCall], events: dict[str, Event], now: datetime
) -> PlanProgress:
    calls.sort(key=lambda c: c.call_time)
    game_ids = sorted({event_id for call in calls for event_id in call.event_ids or []})
    missing_results = _missing_results(game_ids, events, now)
    return PlanProgress(
        plan_id=plan_id,
        sport=calls[0].sport_key,
        calls_total=len(calls),
        by_status=dict(Counter(call.status for call in calls)),
        credits_planned=sum(call.credits_planned for call in calls),
        credits_spent=sum(call.credits_spent for call in calls),
        snapshots_stored=sum(call.games_stored for call in calls),
        game_slots_missing=sum(len(call.games_missing or []) for call in calls),
        games=len(game_ids),
        calls_served=sum(1 for call in calls if call.served_by),
        failures=[
            CallFailure(call.call_time, call.status, call.attempts, call.error or "")
            for call in calls
            if call.status == "failed" or call.error
        ],
        missing_results=missing_results,
        first_call=calls[0].call_time if calls else None,
        last_call=calls[-1].call_time if calls else None,
    )

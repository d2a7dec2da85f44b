"""Scores and event status: ``/scores`` responses, and time-driven status transitions.

Status only moves forward: scheduled -> live -> final (once scored, or 3 days after tip-off
when no score came: until then fetch-scores keeps asking for the game). A final, cancelled or
postponed event is never moved back by either function. Scores are stored only once a game is
completed: a live game's running score is not a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, update
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import Clock, SystemClock, as_utc
from oddscore.ingestion import store
from oddscore.ingestion.events import plan_events, write_events
from oddscore.ingestion.pipeline import finding_row, log_fetch
from oddscore.ingestion.screening import refusal_of, storable_id
from oddscore.ingestion.validation import Action, Finding
from oddscore.provider.models import ScoreEvent
from oddscore.provider.response import ApiResponse
from oddscore.storage.models import Event, EventStatus, Severity

__all__ = ["FINAL_AFTER", "ScoresResult", "StatusResult", "ingest_scores", "update_statuses"]

EV = Event.__table__  # type: ignore[attr-defined]
# An unscored game stays open (live) for as long as ``/scores?daysFrom=3`` can still return
# it, because fetch-scores only asks for open games: closing it at "surely over" (it used to
# be 6 h) lost every result that was not in by then (a failed or late scores call). After
# 3 days no call can settle it; ``odds results import`` still can.
FINAL_AFTER = timedelta(days=3)
_OPEN = (EventStatus.SCHEDULED.value, EventStatus.LIVE.value)
# No basketball, football or hockey score comes near; the INTEGER column would overflow long
# after it.
MAX_SCORE = 10_000


def _bad_score(event: ScoreEvent) -> Finding | None:
    """A score that is not a whole number in 0..MAX_SCORE ("1e400", "nan", "-5", "99.5")."""
    for score in event.scores or []:
        if score.score in (None, ""):
            continue
        try:
            value = float(score.score)  # type: ignore[arg-type]
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_SCORE):
            event_id = storable_id(event.id)
            return Finding(
                "unstorable_value",
                Severity.ERROR,
                Action.DROP,
                f"event {event_id or repr(event.id)[:60]} not stored: score "
                f"{score.score!r:.60} is not a whole number in 0..{MAX_SCORE}",
                event_id=event_id,
                context={"field": "scores"},
            )
    return None


@dataclass(slots=True)
class ScoresResult:
    events: int = 0
    events_inserted: int = 0
    finals: int = 0
    live: int = 0
    # Games refused one by one (a value no column holds, a time out of range, a score that is
    # no score), each with a finding; the others are stored.
    refusal_reasons: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StatusResult:
    to_live: int = 0
    to_final: int = 0


async def ingest_scores(
    db: Any,
    scores: ApiResponse[list[ScoreEvent]] | Sequence[ScoreEvent],
    *,
    fetched_at: datetime | None = None,
    clock: Clock | None = None,
    flow_name: str | None = None,
) -> ScoresResult:
    """Upsert the events of a ``/scores`` response and record finals and live games
    (``flow_name``: what made the call, kept on its fetch-log row)."""
    response: ApiResponse[list[ScoreEvent]] | None = None
    if isinstance(scores, ApiResponse):
        response = scores
        events = list(scores.data)
    else:
        events = list(scores)
    now = (clock or SystemClock()).now()
    seen_at = as_utc(fetched_at or (response.fetched_at if response is not None else now))

    refusals: list[Finding] = []
    kept: list[ScoreEvent] = []
    for event in events:
        refusal = refusal_of(event) or _bad_score(event)
        if refusal is None:
            kept.append(event)
        else:
            refusals.append(refusal)

    async def work(conn: AsyncConnection) -> ScoresResult:
        result = ScoresResult(events=len(events))
        result.refusal_reasons = [f.description for f in refusals]
        request_id = response.request_id if response is not None else None
        await store.insert_findings(
            conn,
            [
                finding_row(
                    f,
                    event_id=f.event_id,
                    snapshot_time=seen_at,
                    source="scores",
                    request_id=request_id,
                    now=now,
                )
                for f in refusals
            ],
        )
        plan = await plan_events(conn, kept, seen_at)
        await write_events(conn, plan, seen_at, now)
        result.events_inserted = len(plan.inserts)
        finals: list[dict[str, Any]] = []
        live: list[dict[str, str]] = []
        for event in kept:
            stored_id = plan.stored_id(event.id)
            home, away = event.score_of(event.home_team), event.score_of(event.away_team)
            if event.completed and home is not None and away is not None:
                finals.append(
                    {
                        "b_id": stored_id,
                        "home_score": home,
                        "away_score": away,
                        "completed_at": event.last_update or seen_at,
                    }
                )
            elif not event.completed and event.scores:
                live.append({"b_id": stored_id})
        await store.set_final_scores(conn, finals, source="scores_api", now=now)
        if live:
            await conn.execute(
                update(EV)
                .where(
                    and_(
                        EV.c.id == bindparam("b_id"),
                        EV.c.status == EventStatus.SCHEDULED.value,
                    )
                )
                .values(status=EventStatus.LIVE.value, updated_at=now),
                live,
            )
        result.finals, result.live = len(finals), len(live)
        await log_fetch(conn, response, events=events, snapshot_time=seen_at, flow_name=flow_name)
        return result

    return await store.transaction(db, work)


async def update_statuses(
    db: Any, now: datetime, *, final_after: timedelta = FINAL_AFTER
) -> StatusResult:
    """scheduled -> live at tip-off; -> final once scored, or unscored ``final_after`` (3 days,
    the reach of the scores endpoint) past tip-off."""
    now = as_utc(now)

    async def work(conn: AsyncConnection) -> StatusResult:
        scored = await conn.execute(
            update(EV)
            .where(EV.c.status.in_(_OPEN), EV.c.home_score.is_not(None))
            .values(status=EventStatus.FINAL.value, updated_at=now)
        )
        over = await conn.execute(
            update(EV)
            .where(EV.c.status.in_(_OPEN), EV.c.commence_time <= now - final_after)
            .values(status=EventStatus.FINAL.value, updated_at=now)
        )
        started = await conn.execute(
            update(EV)
            .where(EV.c.status == EventStatus.SCHEDULED.value, EV.c.commence_time <= now)
            .values(status=EventStatus.LIVE.value, updated_at=now)
        )
        return StatusResult(
            to_live=started.rowcount or 0,  # type: ignore[attr-defined]
            to_final=(scored.rowcount or 0) + (over.rowcount or 0),  # type: ignore[attr-defined]
        )

    return await store.transaction(db, work)

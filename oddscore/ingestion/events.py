"""Event upserts and duplicate ids: which stored event each incoming event is.

The provider sometimes lists one game under two ids (the 2023-24 in-season-tournament games
were listed under a placeholder id in October and a new game-day id in November). Two events of
a sport with the same home team, away team and US local date are one game; the id seen in
the newest payload wins, the other becomes an alias (``event_aliases``), and everything stored
under it moves over. Baseball is left alone: doubleheaders are two games on one date.

Updates follow payload time, not arrival order: teams and commence time are taken only from a
payload at least as new as the last one that listed the event (``events.last_seen_at``), so
replaying an old file never rolls an event back. Concurrent writers resolve ids one at a time
(``store.lock_events``, taken by :func:`plan_events`): a plan read while another transaction
merged ids away would otherwise upsert a merged id back as a second event of its game.
The newest-payload rule is enforced in the writes themselves,
not only in the plan: payloads ingested concurrently both read "not stored yet" (or an older
state) before either writes, so new events go in with ``INSERT ... ON CONFLICT (id) DO UPDATE
... WHERE last_seen_at <= excluded.last_seen_at`` and updates carry the same guard. Rows are
written in id order, so two transactions never wait on each other's rows in opposite orders.
Odds ingestion never changes an existing event's status (results and ``update_statuses`` own
it), so a final game stays final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.ingestion import store
from oddscore.ingestion.known import KnownState
from oddscore.ingestion.pending import PendingRows
from oddscore.ingestion.store import update_listed_events, upsert_events
from oddscore.provider.models import EventInfo
from oddscore.storage.models import EventStatus

__all__ = [
    "EventPlan",
    "plan_events",
    "update_listed_events",
    "upsert_events",
    "us_local_date",
    "write_events",
]

US_EASTERN = ZoneInfo("America/New_York")
DOUBLEHEADER_SPORT_PREFIXES = ("baseball_",)


def us_local_date(moment: datetime) -> date:
    """The US (Eastern) calendar date of a UTC instant: a 00:10Z tip is the previous evening."""
    return moment.astimezone(US_EASTERN).date()


@dataclass(slots=True)
class EventPlan:
    """The outcome of reading the stored state for one payload: ids, merges, writes."""

    canonical: dict[str, str] = field(default_factory=dict)  # incoming id -> stored id
    merges: list[tuple[str, str]] = field(default_factory=list)  # (loser, winner)
    aliases: list[tuple[str, str]] = field(default_factory=list)  # never-stored id -> winner
    inserts: list[EventInfo] = field(default_factory=list)
    updates: list[EventInfo] = field(default_factory=list)
    existing: dict[str, store.EventState] = field(default_factory=dict)

    def stored_id(self, incoming_id: str) -> str:
        return self.canonical.get(incoming_id, incoming_id)


def _key(sport: str, home: str, away: str, commence: datetime) -> tuple[str, str, str, date]:
    return (sport, home, away, us_local_date(commence))


async def plan_events(
    conn: AsyncConnection,
    events: Sequence[EventInfo],
    seen_at: datetime,
    known: KnownState | None = None,
) -> EventPlan:
    """Resolve aliases and duplicates and decide inserts/updates; reads only, under the
    event-resolution lock (held to the end of the caller's transaction, which writes the plan).
    ``known``: the transaction's stored state read once for many payloads (else read here)."""
    known = known if known is not None else KnownState()
    await known.lock(conn)
    plan = EventPlan()
    aliases = await known.load_aliases(conn, [e.id for e in events])
    plan.canonical = {e.id: aliases.get(e.id, e.id) for e in events}
    plan.existing = await known.load_events(conn, plan.canonical.values())
    await _plan_duplicates(conn, events, seen_at, plan, known)
    planned: set[str] = set()
    for event in events:
        target = plan.stored_id(event.id)
        if target in planned:
            continue  # the same game twice in one payload: the first listing decides
        planned.add(target)
        state = plan.existing.get(target)
        if state is None:
            plan.inserts.append(event.model_copy(update={"id": target}))
        elif (
            state.last_seen_at is None
            or seen_at > state.last_seen_at
            or (seen_at == state.last_seen_at and _differs(state, event))
        ):
            plan.updates.append(event.model_copy(update={"id": target}))
    return plan


def _differs(state: store.EventState, event: EventInfo) -> bool:
    return (state.home_team, state.away_team, state.commence_time) != (
        event.home_team,
        event.away_team,
        event.commence_time,
    )


async def _plan_duplicates(
    conn: AsyncConnection,
    events: Sequence[EventInfo],
    seen_at: datetime,
    plan: EventPlan,
    known: KnownState,
) -> None:
    by_sport: dict[str, list[EventInfo]] = {}
    for event in events:
        if not event.sport_key.startswith(DOUBLEHEADER_SPORT_PREFIXES):
            by_sport.setdefault(event.sport_key, []).append(event)
    for sport, listing in by_sport.items():
        # Only ids not stored yet can be a second id of a stored game: a stored id was
        # checked when it was first inserted. Most payloads list known games only.
        group = [e for e in listing if plan.stored_id(e.id) not in plan.existing]
        if not group:
            continue
        start, end = store.window([e.commence_time for e in group], timedelta(days=1))
        pairs = [(e.home_team, e.away_team) for e in group]
        nearby = await known.load_events_near(conn, sport, pairs, start, end)
        stored_by_key: dict[tuple[str, str, str, date], list[store.EventState]] = {}
        for stored in nearby:
            key = _key(stored.sport_key, stored.home_team, stored.away_team, stored.commence_time)
            stored_by_key.setdefault(key, []).append(stored)
        # Ids listed side by side in one payload are distinct games as far as the provider
        # is concerned at that moment; only ids from different payloads can be one game.
        listed = {plan.stored_id(e.id) for e in listing}
        for event in group:
            key = _key(sport, event.home_team, event.away_team, event.commence_time)
            candidates: list[store.EventState] = stored_by_key.get(key, [])
            for other in candidates:
                mine = plan.stored_id(event.id)
                if other.id in listed or other.id in {loser for loser, _ in plan.merges}:
                    continue
                state = plan.existing.get(mine)
                mine_seen = (
                    max(seen_at, state.last_seen_at) if state and state.last_seen_at else seen_at
                )
                if other.last_seen_at is not None and other.last_seen_at > mine_seen:
                    # The stored id was listed more recently: the incoming one is the alias.
                    if state is not None:
                        plan.merges.append((mine, other.id))
                        plan.existing.pop(mine, None)
                    else:
                        plan.aliases.append((mine, other.id))
                    for incoming, target in list(plan.canonical.items()):
                        if target == mine:
                            plan.canonical[incoming] = other.id
                    plan.existing[other.id] = other
                else:
                    plan.merges.append((other.id, mine))


def _event_row(event: EventInfo, seen_at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": event.id,
        "sport_key": event.sport_key,
        "sport_title": event.sport_title,
        "commence_time": event.commence_time,
        "home_team": event.home_team,
        "away_team": event.away_team,
        "status": EventStatus.SCHEDULED.value,
        "last_seen_at": seen_at,
        "created_at": now,
        "updated_at": now,
    }


async def write_events(
    conn: AsyncConnection,
    plan: EventPlan,
    seen_at: datetime,
    now: datetime,
    pending: PendingRows | None = None,
) -> None:
    """Apply the plan: upsert new events, update current ones, then merge duplicates.

    Given ``pending``, the upserts and aliases are held there (and its ``known`` state made
    current) for one write with the transaction's other payloads; a plan with merges first
    writes everything held, since a merge moves stored rows by event id.
    """
    if pending is not None and not plan.merges:
        for event in plan.inserts:
            pending.upsert_event(_event_row(event, seen_at, now), insert=True)
        for event in plan.updates:
            pending.upsert_event(_event_row(event, seen_at, now), insert=False)
        pending.add_aliases(plan.aliases, now)
        pending.known.apply(seen_at, plan.inserts, plan.updates, plan.merges, plan.aliases)
        return
    if pending is not None:
        await pending.flush(conn)
    await upsert_events(
        conn, [_event_row(e, seen_at, now) for e in sorted(plan.inserts, key=lambda e: e.id)]
    )
    await update_listed_events(
        conn,
        [
            {
                "b_id": e.id,
                "home_team": e.home_team,
                "away_team": e.away_team,
                "commence_time": e.commence_time,
                "sport_title": e.sport_title,
                "last_seen_at": seen_at,
                "updated_at": now,
            }
            for e in sorted(plan.updates, key=lambda e: e.id)
        ],
    )
    await store.merge_many(conn, plan.merges, now)
    await store.insert_aliases(conn, plan.aliases, now)
    if pending is not None:
        pending.known.apply(seen_at, plan.inserts, plan.updates, plan.merges, plan.aliases)
        pending.known.forget_snapshots()

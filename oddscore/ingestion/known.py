"""What one ingestion transaction knows of the stored events, aliases and snapshots.

An import writes a group of files in one transaction. Reading the stored state once per file
(aliases, events, nearby events for duplicate ids, snapshot keys, previous quotes) cost five
statements a file, 2,700 for a season. :meth:`KnownState.prepare` reads it once for the whole
group, and the plans of the group's files are then made from memory, each file seeing the
writes planned by the files before it (:meth:`KnownState.apply`), exactly as if they had been
written one file at a time.

This is sound because the group holds the event-resolution lock (``store.lock_events``) from
``prepare`` to its commit: no other writer changes these tables meanwhile (SQLite: the
transaction is ``BEGIN IMMEDIATE``). Whatever was not prepared (an id first seen through an
alias, a time outside the group's range, every read after a merge moved rows in the database)
is read from the database as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.ingestion import store
from oddscore.ingestion.validation import PreviousQuote, QuoteKey
from oddscore.storage.models import EventStatus

if TYPE_CHECKING:
    from oddscore.provider.models import EventInfo

__all__ = ["KnownState"]

SnapshotKey = tuple[str, datetime]
_NEAR_PAD = timedelta(days=1)  # the window events.plan_events searches for a second id


@dataclass(slots=True)
class _Near:
    """The stored events of one sport read once: these home teams, commencing in [start, end]."""

    homes: frozenset[str]
    start: datetime
    end: datetime


@dataclass(slots=True)
class KnownState:
    """Stored state read once per transaction, kept current with the writes planned in it."""

    locked: bool = False
    aliases: dict[str, str | None] = field(default_factory=dict)  # id -> merged into (None: not)
    events: dict[str, store.EventState | None] = field(default_factory=dict)  # None: not stored
    _near: dict[str, _Near] = field(default_factory=dict)
    # Snapshots: stored keys of these events within [start, end], and the quotes of each one's
    # latest stored snapshot strictly before start.
    _snapshot_ids: set[str] = field(default_factory=set)
    _snapshot_range: tuple[datetime, datetime] | None = None
    _stored_keys: set[SnapshotKey] = field(default_factory=set)
    _previous: dict[str, dict[QuoteKey, PreviousQuote]] = field(default_factory=dict)
    planned_keys: set[SnapshotKey] = field(default_factory=set)

    async def lock(self, conn: AsyncConnection) -> None:
        if not self.locked:
            await store.lock_events(conn)
            self.locked = True

    async def prepare(
        self,
        conn: AsyncConnection,
        events: Sequence[EventInfo],
        snapshot_times: Sequence[datetime] = (),
    ) -> None:
        """Read, under the lock, what the plans of these events (listed at these snapshot
        times, for odds payloads) will ask for."""
        await self.lock(conn)
        if not events:
            return
        await self.load_aliases(conn, [e.id for e in events])
        stored_ids = sorted({self.stored_id(e.id) for e in events})
        await self.load_events(conn, stored_ids)
        by_sport: dict[str, list[EventInfo]] = {}
        for event in events:
            if self.events.get(self.stored_id(event.id)) is None:
                by_sport.setdefault(event.sport_key, []).append(event)
        for sport, listing in by_sport.items():
            homes = sorted({e.home_team for e in listing})
            start, end = store.window([e.commence_time for e in listing], _NEAR_PAD)
            for state in await store.load_teams_near(conn, sport, homes, start, end):
                self.events.setdefault(state.id, state)
            self._near[sport] = _Near(frozenset(homes), start, end)
        if snapshot_times:
            start, end = min(snapshot_times), max(snapshot_times)
            self._stored_keys = await store.load_snapshot_keys(conn, stored_ids, start, end)
            self._previous = await store.load_previous_quotes(conn, stored_ids, start)
            self._snapshot_ids = set(stored_ids)
            self._snapshot_range = (start, end)

    def stored_id(self, incoming: str) -> str:
        return self.aliases.get(incoming) or incoming

    async def load_aliases(self, conn: AsyncConnection, ids: Iterable[str]) -> dict[str, str]:
        """alias id -> the event id it was merged into, for the ids given."""
        return await _read_through(self.aliases, conn, ids, store.load_aliases)

    async def load_events(
        self, conn: AsyncConnection, ids: Iterable[str]
    ) -> dict[str, store.EventState]:
        return await _read_through(self.events, conn, ids, store.load_events)

    async def load_events_near(
        self,
        conn: AsyncConnection,
        sport_key: str,
        pairs: Sequence[tuple[str, str]],
        start: datetime,
        end: datetime,
    ) -> list[store.EventState]:
        """Stored (or planned) events of these (home, away) pairs commencing in [start, end]."""
        wanted = set(pairs)
        near = self._near.get(sport_key)
        covered = (
            near is not None
            and near.start <= start
            and end <= near.end
            and all(home in near.homes for home, _ in wanted)
        )
        if not covered:
            for state in await store.load_events_near(conn, sport_key, pairs, start, end):
                self.events.setdefault(state.id, state)
        return sorted(
            (
                state
                for state in self.events.values()
                if state is not None
                and state.sport_key == sport_key
                and start <= state.commence_time <= end
                and (state.home_team, state.away_team) in wanted
            ),
            key=lambda state: state.id,
        )

    def apply(
        self,
        seen_at: datetime,
        inserts: Sequence[EventInfo],
        updates: Sequence[EventInfo],
        merges: Sequence[tuple[str, str]],
        aliases: Sequence[tuple[str, str]],
    ) -> None:
        """What the database holds once a plan (``events.EventPlan``'s parts) is written."""
        for event in inserts:
            self.events[event.id] = _state_of(event, seen_at, EventStatus.SCHEDULED.value)
        for event in updates:
            current = self.events.get(event.id)
            if current is None:
                self.events[event.id] = _state_of(event, seen_at, EventStatus.SCHEDULED.value)
            else:
                self.events[event.id] = _state_of(
                    event, seen_at, current.status, has_result=current.has_result
                )
        for loser, winner in merges:
            self.events[loser] = None
            for alias, target in self.aliases.items():
                if target == loser:
                    self.aliases[alias] = winner
            self.aliases[loser] = winner
        for alias, winner in aliases:
            self.aliases[alias] = winner

    def forget_snapshots(self) -> None:
        """Rows moved in the database (a merge): read snapshots from it from now on."""
        self._snapshot_ids.clear()
        self._snapshot_range = None
        self._stored_keys.clear()
        self._previous.clear()
        self.planned_keys.clear()

    def _covers(self, event_id: str, moment: datetime) -> bool:
        span = self._snapshot_range
        return event_id in self._snapshot_ids and span is not None and span[0] <= moment <= span[1]

    async def new_snapshots(
        self, conn: AsyncConnection, event_ids: Sequence[str], moment: datetime
    ) -> set[str]:
        """The events of ``event_ids`` with no snapshot at ``moment`` stored or planned; they
        become planned."""
        unknown = [
            e
            for e in event_ids
            if (e, moment) not in self.planned_keys and not self._covers(e, moment)
        ]
        stored = (
            {key[0] for key in await store.load_snapshot_keys(conn, unknown, moment, moment)}
            if unknown
            else set()
        )
        new = {
            e
            for e in event_ids
            if (e, moment) not in self.planned_keys
            and (e, moment) not in self._stored_keys
            and e not in stored
        }
        self.planned_keys.update((e, moment) for e in new)
        return new

    async def previous_quotes(
        self, conn: AsyncConnection, event_ids: Sequence[str], before: datetime
    ) -> Mapping[str, Mapping[QuoteKey, PreviousQuote]]:
        """Per event, the quotes of its latest stored snapshot strictly before ``before``
        (snapshots planned in this transaction are laid over by the caller)."""
        span = self._snapshot_range
        prepared: list[str] = []
        unknown: list[str] = []
        for event_id in event_ids:
            if (
                span is not None
                and event_id in self._snapshot_ids
                and span[0] <= before
                and not any(key[0] == event_id and key[1] < before for key in self._stored_keys)
            ):
                prepared.append(event_id)
            else:
                unknown.append(event_id)
        found: dict[str, Mapping[QuoteKey, PreviousQuote]] = {
            e: self._previous[e] for e in prepared if e in self._previous
        }
        if unknown:
            found.update(await store.load_previous_quotes(conn, unknown, before))
        return found


V = TypeVar("V")


async def _read_through(
    known: dict[str, V | None],
    conn: AsyncConnection,
    ids: Iterable[str],
    load: Callable[[AsyncConnection, list[str]], Awaitable[Mapping[str, V]]],
) -> dict[str, V]:
    """The values of ``ids`` found, reading from the database only the ids not known yet
    (and remembering those it did not find as None)."""
    wanted = set(ids)
    missing = [i for i in wanted if i not in known]
    if missing:
        found = await load(conn, missing)
        known.update({i: found.get(i) for i in missing})
    return {i: value for i in wanted if (value := known.get(i)) is not None}


def _state_of(
    event: EventInfo, seen_at: datetime, status: str, *, has_result: bool = False
) -> store.EventState:
    return store.EventState(
        id=event.id,
        sport_key=event.sport_key,
        home_team=event.home_team,
        away_team=event.away_team,
        commence_time=event.commence_time,
        status=status,
        last_seen_at=seen_at,
        has_result=has_result,
    )

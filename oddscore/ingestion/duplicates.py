"""Rows stored twice: find them and merge them (``odds db doctor``, migration 0004).

Ingestion resolves ids under a lock (``store.lock_events``), so new data holds no duplicates.
A database written before that lock, by concurrent imports or fetches, can hold three kinds:

* an event stored under an id that ``event_aliases`` maps to another event (the merged-away id
  upserted back by a writer that had read it before the merge committed);
* two events of one game: same sport, home team, away team and US Eastern date (baseball
  exempt: doubleheaders), the rule ingestion merges by (``oddscore.ingestion.events``), and
  never listed side by side (no snapshot of each at one time), which ingestion keeps apart;
* odds rows repeated exactly within one snapshot (same book, market, outcome, price, point).
  Validation drops such repeats of a payload (``duplicate_outcome``: "adds nothing"); they are
  stored only with ``ENABLE_VALIDATION=false``, and the fix keeps one of each.

Snapshots cannot repeat: ``(event_id, snapshot_time)`` is unique.

The finder is synchronous so that a migration (a sync connection) and the async CLI
(``AsyncConnection.run_sync``) share it. Merging reuses ingestion's own merge
(``store.merge_events``): the newest-listed id wins, snapshots and odds move over, a snapshot
the winner already holds at the same time is kept once, and a stored result survives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.exceptions import StorageError
from oddscore.ingestion import store
from oddscore.ingestion.events import DOUBLEHEADER_SPORT_PREFIXES, us_local_date
from oddscore.storage.models import Event, EventAlias, Odds, OddsSnapshot

__all__ = ["DuplicateReport", "EventGroup", "describe", "find_duplicates", "merge_duplicates"]

EV = Event.__table__  # type: ignore[attr-defined]
ALIAS = EventAlias.__table__  # type: ignore[attr-defined]
SNAP = OddsSnapshot.__table__  # type: ignore[attr-defined]
ODDS = Odds.__table__  # type: ignore[attr-defined]

# Exact repeats: everything that ingestion writes from the payload for one outcome.
_ODDS_KEY = (
    ODDS.c.snapshot_id,
    ODDS.c.bookmaker_key,
    ODDS.c.market_key,
    ODDS.c.outcome_name,
    ODDS.c.outcome_description,
    ODDS.c.price,
    ODDS.c.point,
)


@dataclass(slots=True)
class EventGroup:
    """Ids stored as separate events for one game; ``winner`` keeps them all."""

    winner: str
    losers: list[str]
    reason: str  # "alias" or "same game"
    game: str  # "away @ home, US date" for people


@dataclass(slots=True)
class DuplicateReport:
    groups: list[EventGroup] = field(default_factory=list)
    repeated_odds_rows: int = 0  # rows beyond the first of each exact repeat

    @property
    def duplicate_events(self) -> int:
        return sum(len(g.losers) for g in self.groups)

    def __bool__(self) -> bool:
        return bool(self.groups) or self.repeated_odds_rows > 0

    def summary(self) -> str:
        return (
            f"{self.duplicate_events} duplicate event(s) in {len(self.groups)} game(s), "
            f"{self.repeated_odds_rows} repeated odds row(s)"
        )


def _ranked_odds() -> Any:
    """Each odds row with its rank among exact repeats (1 = the first stored)."""
    rank = func.row_number().over(partition_by=_ODDS_KEY, order_by=ODDS.c.id).label("rank")
    return select(ODDS.c.id, rank).subquery()


def _newest_first(row: Any) -> tuple[datetime, int, str]:
    # The id listed most recently wins, as in ingestion; then the one with more snapshots.
    seen = row.last_seen_at or datetime.min.replace(tzinfo=UTC)
    return (seen, row.snapshots, row.id)


def find_duplicates(conn: Connection, *, odds: bool = True) -> DuplicateReport:
    """Every duplicate in the database (``odds=False``: events only); reads only."""
    report = DuplicateReport()
    snapshots = (
        select(SNAP.c.event_id, func.count().label("n")).group_by(SNAP.c.event_id).subquery()
    )
    rows = conn.execute(
        select(
            EV.c.id,
            EV.c.sport_key,
            EV.c.home_team,
            EV.c.away_team,
            EV.c.commence_time,
            EV.c.last_seen_at,
            func.coalesce(snapshots.c.n, 0).label("snapshots"),
        ).join(snapshots, snapshots.c.event_id == EV.c.id, isouter=True)
    ).all()
    by_id = {row.id: row for row in rows}
    aliased: set[str] = set()
    for alias_id, target in conn.execute(select(ALIAS.c.alias_id, ALIAS.c.event_id)).all():
        if alias_id in by_id and target in by_id and alias_id != target:
            row = by_id[target]
            report.groups.append(EventGroup(target, [alias_id], "alias", _game(row)))
            aliased.add(alias_id)
    games: dict[tuple[str, str, str, Any], list[Any]] = {}
    for row in rows:
        if row.id in aliased or row.sport_key.startswith(DOUBLEHEADER_SPORT_PREFIXES):
            continue
        key = (row.sport_key, row.home_team, row.away_team, us_local_date(row.commence_time))
        games.setdefault(key, []).append(row)
    candidates = [listed for listed in games.values() if len(listed) > 1]
    taken = _snapshot_times(conn, [row.id for listed in candidates for row in listed])
    for listed in candidates:
        # Ids the provider listed side by side (a snapshot of each at one time) are two games
        # as far as it was concerned, and ingestion kept them apart (2022-04-17, Bulls at
        # Bucks: two ids in the same files). Which of them a third id would belong to cannot
        # be told either, so such a game is left alone: only ids never listed together merge.
        times = [taken[row.id] for row in listed]
        if any(a & b for i, a in enumerate(times) for b in times[i + 1 :]):
            continue
        ordered = sorted(listed, key=_newest_first, reverse=True)
        report.groups.append(
            EventGroup(ordered[0].id, [r.id for r in ordered[1:]], "same game", _game(ordered[0]))
        )
    if not odds:
        return report
    ranked = _ranked_odds()
    report.repeated_odds_rows = int(
        conn.execute(select(func.count()).select_from(ranked).where(ranked.c.rank > 1)).scalar_one()
    )
    return report


def _snapshot_times(conn: Connection, ids: Sequence[str]) -> dict[str, set[datetime]]:
    found: dict[str, set[datetime]] = {event_id: set() for event_id in ids}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        query = select(SNAP.c.event_id, SNAP.c.snapshot_time).where(SNAP.c.event_id.in_(chunk))
        for event_id, moment in conn.execute(query):
            found[event_id].add(moment)
    return found


def _game(row: Any) -> str:
    return f"{row.away_team} @ {row.home_team}, {us_local_date(row.commence_time).isoformat()}"


async def merge_duplicates(conn: AsyncConnection, now: datetime) -> DuplicateReport:
    """Merge every duplicate found, inside the caller's transaction; returns what was merged.

    Runs under the event-resolution lock, so no ingestion writes between the finding and the
    merge. Aliased ids go first: merging them can turn a game's group into a single event.
    """
    await store.lock_events(conn)
    merged = DuplicateReport()
    while True:
        found = await conn.run_sync(partial(find_duplicates, odds=False))
        if not found.groups:
            break
        group = found.groups[0]
        if any(g.losers == group.losers for g in merged.groups):
            raise StorageError(f"merging {group.losers} into {group.winner} did not take")
        for loser in group.losers:
            await store.merge_events(conn, loser, group.winner, now)
        merged.groups.append(group)
    ranked = _ranked_odds()
    deleted = await conn.execute(
        delete(ODDS).where(ODDS.c.id.in_(select(ranked.c.id).where(ranked.c.rank > 1)))
    )
    merged.repeated_odds_rows = int(deleted.rowcount or 0)  # type: ignore[attr-defined]
    return merged


def describe(report: DuplicateReport) -> Sequence[str]:
    """One line per duplicate game, for people."""
    return [f"{g.game}: {', '.join(g.losers)} -> {g.winner} ({g.reason})" for g in report.groups]

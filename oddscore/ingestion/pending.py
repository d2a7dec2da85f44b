"""Everything an ingestion transaction writes, held until its end and then written set-based.

An import writes a group of files in one transaction. Writing each file's events, snapshots,
odds rows and findings as it went cost about six statements a file; held here, a group's
writes take one statement per table: one upsert of its events (each event once, at its newest
listing), one insert of its snapshots (returning their ids), one COPY of its odds rows, one
insert of its findings. What reads inside the same transaction must look here too:

* the plans of later files read the stored state through :class:`~oddscore.ingestion.known.
  KnownState`, which :meth:`KnownState.apply` keeps current with the plans held here;
* the line-jump rule compares with the previous quotes of each event, so :meth:`overlay`
  lays the held quotes over what the database returned;
* a merge of duplicate events moves rows by event id in the database, so the caller flushes
  before merging.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.exceptions import StorageError
from oddscore.ingestion import store
from oddscore.ingestion.known import KnownState
from oddscore.ingestion.quotes import Quote
from oddscore.ingestion.validation import PreviousQuote, QuoteKey, previous_quotes

__all__ = ["PendingRows"]

Previous = Mapping[str, Mapping[QuoteKey, PreviousQuote]]
SnapshotKey = tuple[str, datetime]


@dataclass(slots=True)
class PendingRows:
    """Event upserts, aliases, snapshots with the quotes of their odds rows, and finding
    rows not written yet."""

    known: KnownState = field(default_factory=KnownState)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> its upsert row
    aliases: list[tuple[str, str]] = field(default_factory=list)
    alias_time: datetime | None = None
    snapshots: dict[SnapshotKey, dict[str, Any]] = field(default_factory=dict)
    quotes: dict[SnapshotKey, Sequence[Quote]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    # event id -> snapshot time -> the quotes its records were made from
    _held: dict[str, dict[datetime, Sequence[Quote]]] = field(default_factory=dict)

    def upsert_event(self, row: dict[str, Any], *, insert: bool) -> None:
        """Hold an event's listed values; a later listing of the same event in this
        transaction replaces them (plans only list an event again when newer)."""
        held = self.events.get(row["id"])
        if held is None or insert:
            self.events[row["id"]] = row
            return
        # An update of an event held for insertion keeps its insert-only values.
        held.update({k: v for k, v in row.items() if k not in ("status", "created_at")})

    def add_aliases(self, pairs: Sequence[tuple[str, str]], now: datetime) -> None:
        self.aliases.extend(pairs)
        self.alias_time = now

    def add(
        self,
        snapshot: dict[str, Any],
        quotes: Sequence[Quote],
        findings: Sequence[dict[str, Any]],
    ) -> None:
        """Hold one new snapshot row with the quotes of its odds rows (validated: the
        excluded ones are not stored) and its findings (an empty snapshot counts too: it is
        still the latest one, and a later payload then sees no previous quotes)."""
        key = (snapshot["event_id"], snapshot["snapshot_time"])
        self.snapshots[key] = snapshot
        self.quotes[key] = quotes
        self.findings.extend(findings)
        self._held.setdefault(key[0], {})[key[1]] = quotes

    def add_findings(self, findings: Iterable[dict[str, Any]]) -> None:
        self.findings.extend(findings)

    def overlay(self, stored: Previous, event_ids: Iterable[str], before: datetime) -> Previous:
        """Per event of ``event_ids``, the latest quotes strictly before ``before``, held or
        stored (a stored snapshot newer than the held one wins: it is there when an older
        file is imported after a newer one)."""
        merged: dict[str, Mapping[QuoteKey, PreviousQuote]] | None = None
        for event_id in event_ids:
            snapshots = self._held.get(event_id, {})
            held = [moment for moment in snapshots if moment < before]
            if not held:
                continue
            latest = max(held)
            current = stored.get(event_id)
            if current and next(iter(current.values())).odds_timestamp > latest:
                continue
            if merged is None:
                merged = dict(stored)
            merged[event_id] = previous_quotes(snapshots[latest], latest)
        return stored if merged is None else merged

    async def flush(self, conn: AsyncConnection) -> None:
        """Write what is held (inside the caller's transaction), in the order the keys need:
        events, then what refers to them, and forget it."""
        if self.events:
            await store.upsert_events(conn, [self.events[i] for i in sorted(self.events)])
        if self.aliases:
            assert self.alias_time is not None
            await store.insert_aliases(conn, self.aliases, self.alias_time)
        ids = await store.insert_snapshots(conn, list(self.snapshots.values()))
        if ids.keys() != self.snapshots.keys():
            # Impossible under the event-resolution lock, which every writer takes: writing
            # on would store rows without their snapshot or twice.
            raise StorageError(
                f"{len(self.snapshots) - len(ids)} snapshot(s) planned as new were stored by "
                "another writer meanwhile; nothing of this transaction is stored, run it again"
            )
        records = store.odds_records(
            conn.dialect.name,
            ((ids[key], self.snapshots[key], quotes) for key, quotes in self.quotes.items()),
        )
        await store.copy_odds(conn, records)
        await store.insert_findings(conn, self.findings)
        self.events.clear()
        self.aliases.clear()
        self.snapshots.clear()
        self.quotes.clear()
        self.findings.clear()
        self._held.clear()

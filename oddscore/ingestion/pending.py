"""Odds rows and findings held back until the end of a transaction, then written at once.

An import writes a group of files in one transaction. Writing each file's odds rows with a
COPY of its own cost one COPY per file (238 for a season); one COPY per group halves the time
spent writing them. What reads those rows inside the same transaction must look here too:

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

from oddscore.ingestion import store
from oddscore.ingestion.validation import PreviousQuote

__all__ = ["PendingRows", "QuoteKey"]

QuoteKey = tuple[str, str, str, str | None]  # book, market, outcome, description
Previous = Mapping[str, Mapping[QuoteKey, PreviousQuote]]


@dataclass(slots=True)
class PendingRows:
    """Odds records (``store.ODDS_COLUMNS`` order) and finding rows not written yet."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    # event id -> snapshot time -> where its records lie in ``records`` (start, end)
    _held: dict[str, dict[datetime, tuple[int, int]]] = field(default_factory=dict)

    def add(
        self,
        event_id: str,
        snapshot_time: datetime,
        records: Sequence[tuple[Any, ...]],
        findings: Sequence[dict[str, Any]],
    ) -> None:
        """Hold the odds rows and findings of one new snapshot (an empty one counts too: it
        is still the latest snapshot, and a later payload then sees no previous quotes)."""
        start = len(self.records)
        self.records.extend(records)
        self.findings.extend(findings)
        self._held.setdefault(event_id, {})[snapshot_time] = (start, len(self.records))

    def overlay(self, stored: Previous, event_ids: Iterable[str], before: datetime) -> Previous:
        """Per event of ``event_ids``, the latest quotes strictly before ``before``, held or
        stored (a stored snapshot newer than the held one wins: it is there when an older
        file is imported after a newer one)."""
        merged: dict[str, Mapping[QuoteKey, PreviousQuote]] | None = None
        for event_id in event_ids:
            snapshots = self._held.get(event_id)
            held = [moment for moment in snapshots or () if moment < before]
            if not held:
                continue
            latest = max(held)
            current = stored.get(event_id)
            if current and next(iter(current.values())).odds_timestamp > latest:
                continue
            if merged is None:
                merged = dict(stored)
            start, end = snapshots[latest]  # type: ignore[index]
            merged[event_id] = {
                (r[2], r[4], r[5], r[6]): PreviousQuote(r[7], r[8], latest)
                for r in self.records[start:end]
            }
        return stored if merged is None else merged

    async def flush(self, conn: AsyncConnection) -> None:
        """Write what is held (inside the caller's transaction) and forget it."""
        await store.copy_odds(conn, self.records)
        await store.insert_findings(conn, self.findings)
        self.records.clear()
        self.findings.clear()
        self._held.clear()

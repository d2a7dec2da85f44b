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
from oddscore.ingestion.quotes import Quote
from oddscore.ingestion.validation import PreviousQuote, QuoteKey, previous_quotes

__all__ = ["PendingRows"]

Previous = Mapping[str, Mapping[QuoteKey, PreviousQuote]]


@dataclass(slots=True)
class PendingRows:
    """Odds records (``store.ODDS_COLUMNS`` order) and finding rows not written yet."""

    records: list[tuple[Any, ...]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    # event id -> snapshot time -> the quotes its records were made from
    _held: dict[str, dict[datetime, Sequence[Quote]]] = field(default_factory=dict)

    def add(
        self,
        event_id: str,
        snapshot_time: datetime,
        quotes: Sequence[Quote],
        records: Sequence[tuple[Any, ...]],
        findings: Sequence[dict[str, Any]],
    ) -> None:
        """Hold the odds rows (made from ``quotes``) and findings of one new snapshot (an
        empty one counts too: it is still the latest snapshot, and a later payload then sees
        no previous quotes)."""
        self.records.extend(records)
        self.findings.extend(findings)
        self._held.setdefault(event_id, {})[snapshot_time] = quotes

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
        """Write what is held (inside the caller's transaction) and forget it."""
        await store.copy_odds(conn, self.records)
        await store.insert_findings(conn, self.findings)
        self.records.clear()
        self.findings.clear()
        self._held.clear()

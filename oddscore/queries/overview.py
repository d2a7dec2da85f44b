"""The status page as data: one call gathers what ``odds status show`` prints.

The Demo/UX work extends the page; add fields here so JSON and table stay in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.clock import as_utc
from oddscore.queries.status import (
    BookActivity,
    FetchHealth,
    QualitySummary,
    QuotaStatus,
    TierActivity,
    book_activity,
    database_size,
    default_window,
    fetch_health,
    quality_summary,
    quota_status,
    row_counts,
    tier_activity,
)

__all__ = ["StatusOverview", "status_overview"]


@dataclass(frozen=True, slots=True)
class StatusOverview:
    now: datetime
    database: str
    size_bytes: int | None
    rows: dict[str, int]
    quota: QuotaStatus
    fetches: FetchHealth
    quality: QualitySummary
    books: list[BookActivity] = field(default_factory=list)
    tiers: list[TierActivity] = field(default_factory=list)


async def status_overview(
    session: AsyncSession, now: datetime, *, database: str, verbose: bool = False
) -> StatusOverview:
    now = as_utc(now)
    return StatusOverview(
        now=now,
        database=database,
        size_bytes=await database_size(session),
        rows=await row_counts(session),
        quota=await quota_status(session, now),
        fetches=await fetch_health(session, default_window(now)),
        quality=await quality_summary(session),
        books=await book_activity(session) if verbose else [],
        tiers=await tier_activity(session) if verbose else [],
    )

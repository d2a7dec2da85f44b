"""Operational reads for ``odds status``: quota, fetch health, row counts, data quality.

Every function is one or two aggregate statements. The per-book and per-tier breakdowns
scan the odds table and are meant for ``--verbose``, not for a dashboard refreshed every
second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select, text

from oddscore.clock import as_utc
from oddscore.queries._sql import EVENTS, FETCH_LOGS, ODDS, QUALITY_LOGS, SNAPSHOTS
from oddscore.storage.engine import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "BookActivity",
    "FetchHealth",
    "QualitySummary",
    "QuotaStatus",
    "TierActivity",
    "book_activity",
    "database_size",
    "default_window",
    "fetch_health",
    "quality_summary",
    "quota_status",
    "row_counts",
    "tier_activity",
]

FL = FETCH_LOGS.c
OD = ODDS.c
SN = SNAPSHOTS.c
QL = QUALITY_LOGS.c


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """The provider's own counters from the latest response that carried them."""

    remaining: int | None
    used: int | None
    last_cost: int | None
    reported_at: datetime | None
    credits_this_month: int  # sum of per-request costs logged since the month began
    requests_this_month: int


@dataclass(frozen=True, slots=True)
class FetchHealth:
    since: datetime
    requests: int
    succeeded: int
    last_success: datetime | None
    last_failure: datetime | None
    last_error: str | None

    @property
    def success_rate(self) -> float | None:
        return None if self.requests == 0 else self.succeeded / self.requests


@dataclass(frozen=True, slots=True)
class QualitySummary:
    odds_rows: int
    invalid_rows: int
    findings: dict[str, int]  # severity -> count

    @property
    def invalid_rate(self) -> float | None:
        return None if self.odds_rows == 0 else self.invalid_rows / self.odds_rows


@dataclass(frozen=True, slots=True)
class BookActivity:
    bookmaker_key: str
    rows: int
    events: int
    last_quote: datetime | None


@dataclass(frozen=True, slots=True)
class TierActivity:
    tier: str
    snapshots: int
    events: int
    last_snapshot: datetime | None


def _month_start(now: datetime) -> datetime:
    now = as_utc(now)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def quota_status(session: AsyncSession, now: datetime) -> QuotaStatus:
    latest = (
        await session.execute(
            select(FL.api_quota_remaining, FL.api_quota_used, FL.api_quota_last, FL.fetch_time)
            .where(FL.api_quota_remaining.is_not(None))
            .order_by(FL.fetch_time.desc(), FL.id.desc())
            .limit(1)
        )
    ).first()
    month = (
        await session.execute(
            select(func.coalesce(func.sum(FL.api_quota_last), 0), func.count(FL.id)).where(
                FL.fetch_time >= _month_start(now)
            )
        )
    ).one()
    remaining, used, last_cost, reported = latest if latest is not None else (None,) * 4
    return QuotaStatus(remaining, used, last_cost, reported, int(month[0]), int(month[1]))


async def fetch_health(session: AsyncSession, since: datetime) -> FetchHealth:
    """Requests logged since ``since``: how many, how many succeeded, the latest of each."""
    since = as_utc(since)
    total, ok = (
        await session.execute(
            select(
                func.count(FL.id),
                func.coalesce(func.sum(case((FL.success.is_(True), 1), else_=0)), 0),
            ).where(FL.fetch_time >= since)
        )
    ).one()
    last_success = (
        await session.execute(select(func.max(FL.fetch_time)).where(FL.success.is_(True)))
    ).scalar()
    failure = (
        await session.execute(
            select(FL.fetch_time, FL.error_code, FL.error_message)
            .where(FL.success.is_(False))
            .order_by(FL.fetch_time.desc())
            .limit(1)
        )
    ).first()
    error = None
    if failure is not None:
        error = " ".join(str(p) for p in (failure[1], failure[2]) if p) or None
    return FetchHealth(
        since,
        int(total),
        int(ok),
        last_success,
        None if failure is None else failure[0],
        error,
    )


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table, in one statement."""
    tables = {
        "events": EVENTS,
        "odds_snapshots": SNAPSHOTS,
        "odds": ODDS,
        "data_quality_logs": QUALITY_LOGS,
        "fetch_logs": FETCH_LOGS,
    }
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables.values()]
    row = (await session.execute(select(*counts))).one()
    return {name: int(value) for name, value in zip(tables, row, strict=True)}


async def database_size(session: AsyncSession) -> int | None:
    """Bytes on disk: the PostgreSQL database, or the SQLite file and its WAL."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        size = (await session.execute(text("SELECT pg_database_size(current_database())"))).scalar()
        return None if size is None else int(size)
    path = sqlite_path(bind.engine.url.render_as_string(hide_password=True))
    if path is None or not path.exists():
        return None
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def quality_summary(session: AsyncSession, since: datetime | None = None) -> QualitySummary:
    """Invalid odds rows against all rows, and data-quality findings by severity."""
    rows, invalid = (
        await session.execute(
            select(
                func.count(OD.id),
                func.coalesce(func.sum(case((OD.is_valid.is_(False), 1), else_=0)), 0),
            )
        )
    ).one()
    findings_query = select(QL.severity, func.count(QL.id)).group_by(QL.severity)
    if since is not None:
        findings_query = findings_query.where(QL.created_at >= as_utc(since))
    findings = {str(s): int(n) for s, n in (await session.execute(findings_query)).tuples()}
    return QualitySummary(int(rows), int(invalid), findings)


async def book_activity(session: AsyncSession) -> list[BookActivity]:
    statement = (
        select(
            OD.bookmaker_key,
            func.count(OD.id),
            func.count(func.distinct(OD.event_id)),
            func.max(OD.odds_timestamp),
        )
        .group_by(OD.bookmaker_key)
        .order_by(func.count(OD.id).desc())
    )
    return [BookActivity(*row) for row in (await session.execute(statement)).tuples()]


async def tier_activity(session: AsyncSession) -> list[TierActivity]:
    tier = func.coalesce(SN.fetch_tier, "untiered")
    statement = (
        select(
            tier,
            func.count(SN.id),
            func.count(func.distinct(SN.event_id)),
            func.max(SN.snapshot_time),
        )
        .group_by(tier)
        .order_by(func.count(SN.id).desc())
    )
    return [TierActivity(*row) for row in (await session.execute(statement)).tuples()]


def default_window(now: datetime) -> datetime:
    """The success-rate window of the status page: the last seven days."""
    return as_utc(now) - timedelta(days=7)

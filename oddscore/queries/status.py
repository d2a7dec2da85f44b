"""Operational reads for ``odds status``: quota, fetch health, row counts, data quality.

Every function is one or two aggregate statements. The per-book and per-tier breakdowns
scan the odds table and are meant for ``--verbose``, not for a dashboard refreshed every
second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oddscore.clock import as_utc
from oddscore.config import sqlite_path
from oddscore.queries.plain import dialect_name, fetch, utc

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
    latest = await fetch(
        session,
        "SELECT api_quota_remaining, api_quota_used, api_quota_last, fetch_time "
        "FROM fetch_logs WHERE api_quota_remaining IS NOT NULL "
        "ORDER BY fetch_time DESC, id DESC LIMIT 1",
    )
    [(credits, requests)] = await fetch(
        session,
        "SELECT coalesce(sum(api_quota_last), 0), count(id) FROM fetch_logs "
        "WHERE fetch_time >= :month",
        {"month": _month_start(now)},
    )
    remaining, used, last_cost, reported = latest[0] if latest else (None,) * 4
    return QuotaStatus(remaining, used, last_cost, utc(reported), int(credits), int(requests))


async def fetch_health(session: AsyncSession, since: datetime) -> FetchHealth:
    """Requests logged since ``since``: how many, how many succeeded, the latest of each."""
    since = as_utc(since)
    [(total, ok)] = await fetch(
        session,
        "SELECT count(id), coalesce(sum(CASE WHEN success THEN 1 ELSE 0 END), 0) "
        "FROM fetch_logs WHERE fetch_time >= :since",
        {"since": since},
    )
    [(last_success,)] = await fetch(session, "SELECT max(fetch_time) FROM fetch_logs WHERE success")
    failures = await fetch(
        session,
        "SELECT fetch_time, error_code, error_message FROM fetch_logs WHERE NOT success "
        "ORDER BY fetch_time DESC LIMIT 1",
    )
    failure = failures[0] if failures else None
    error = None
    if failure is not None:
        error = " ".join(str(p) for p in (failure[1], failure[2]) if p) or None
    return FetchHealth(
        since,
        int(total),
        int(ok),
        utc(last_success),
        None if failure is None else utc(failure[0]),
        error,
    )


# The tables row_counts counts, under their own names.
_COUNTED = ("events", "odds_snapshots", "odds", "data_quality_logs", "fetch_logs")


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table, in one statement."""
    counts = ", ".join(f"(SELECT count(*) FROM {table})" for table in _COUNTED)
    [row] = await fetch(session, f"SELECT {counts}")
    return {name: int(value) for name, value in zip(_COUNTED, row, strict=True)}


async def database_size(session: AsyncSession) -> int | None:
    """Bytes on disk: the PostgreSQL database, or the SQLite file and its WAL."""
    if dialect_name(session) == "postgresql":
        [(size,)] = await fetch(session, "SELECT pg_database_size(current_database())")
        return None if size is None else int(size)
    url = getattr(session, "url", None)
    if url is None:  # an AsyncSession: its engine's URL
        url = session.get_bind().engine.url.render_as_string(hide_password=True)
    path = sqlite_path(str(url))
    if path is None or not path.exists():
        return None
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


async def quality_summary(session: AsyncSession, since: datetime | None = None) -> QualitySummary:
    """Invalid odds rows against all rows, and data-quality findings by severity."""
    [(rows, invalid)] = await fetch(
        session,
        "SELECT count(id), coalesce(sum(CASE WHEN NOT is_valid THEN 1 ELSE 0 END), 0) FROM odds",
    )
    since_filter = "" if since is None else "WHERE created_at >= :since "
    findings = await fetch(
        session,
        f"SELECT severity, count(id) FROM data_quality_logs {since_filter}GROUP BY severity",
        {"since": None if since is None else as_utc(since)},
    )
    return QualitySummary(int(rows), int(invalid), {str(s): int(n) for s, n in findings})


async def book_activity(session: AsyncSession) -> list[BookActivity]:
    rows = await fetch(
        session,
        "SELECT bookmaker_key, count(id), count(DISTINCT event_id), max(odds_timestamp) "
        "FROM odds GROUP BY bookmaker_key ORDER BY count(id) DESC",
    )
    return [BookActivity(book, n, events, utc(last)) for book, n, events, last in rows]


async def tier_activity(session: AsyncSession) -> list[TierActivity]:
    tier = "coalesce(fetch_tier, 'untiered')"
    rows = await fetch(
        session,
        f"SELECT {tier}, count(id), count(DISTINCT event_id), max(snapshot_time) "
        f"FROM odds_snapshots GROUP BY {tier} ORDER BY count(id) DESC",
    )
    return [TierActivity(name, n, events, utc(last)) for name, n, events, last in rows]


def default_window(now: datetime) -> datetime:
    """The success-rate window of the status page: the last seven days."""
    return as_utc(now) - timedelta(days=7)

"""Read what the planner needs from the database: games, their last capture, the quota."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from oddscore.clock import as_utc
from oddscore.scheduling.planner import GameState
from oddscore.scheduling.quota import QuotaState, month_start
from oddscore.storage.models import Event, FetchLog, OddsSnapshot
from oddscore.storage.types import UTCDateTime

__all__ = ["last_fetch_time", "load_games", "load_quota"]


async def load_games(
    session: AsyncSession,
    *,
    sport_key: str,
    now: datetime,
    past: timedelta = timedelta(days=3),
) -> list[GameState]:
    """Games tipping from ``now - past`` on (any status), each with its last pre-tip capture.

    Finished games stay in: they tell the odds planner the season is on, and the scores
    planner skips them by status.
    """
    now = as_utc(now)
    events = (
        await session.execute(
            select(col(Event.id), col(Event.commence_time), col(Event.status)).where(
                col(Event.sport_key) == sport_key,
                col(Event.commence_time) >= now - past,
            )
        )
    ).all()
    if not events:
        return []
    ids = [row.id for row in events]
    last_capture = func.max(col(OddsSnapshot.snapshot_time), type_=UTCDateTime)
    captured: dict[str, datetime] = dict(
        (
            await session.execute(
                select(col(OddsSnapshot.event_id), last_capture)
                .join(Event, col(Event.id) == col(OddsSnapshot.event_id))
                .where(
                    col(OddsSnapshot.event_id).in_(ids),
                    col(OddsSnapshot.snapshot_time) < col(Event.commence_time),
                )
                .group_by(col(OddsSnapshot.event_id))
            )
        ).all()
    )
    return [
        GameState(row.id, row.commence_time, captured.get(row.id), row.status) for row in events
    ]


async def load_quota(session: AsyncSession, *, now: datetime) -> QuotaState:
    """The credit headers of the latest fetch this month (none yet -> unknown)."""
    row = (
        await session.execute(
            select(col(FetchLog.api_quota_remaining), col(FetchLog.api_quota_used))
            .where(
                col(FetchLog.api_quota_remaining).is_not(None),
                col(FetchLog.fetch_time) >= month_start(now),
            )
            .order_by(col(FetchLog.fetch_time).desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return QuotaState()
    return QuotaState(remaining=row.api_quota_remaining, used=row.api_quota_used)


async def last_fetch_time(
    session: AsyncSession, *, endpoint_contains: str, now: datetime
) -> datetime | None:
    """When an endpoint was last called successfully (e.g. ``"/scores"``), if ever."""
    value = (
        await session.execute(
            select(func.max(col(FetchLog.fetch_time), type_=UTCDateTime)).where(
                col(FetchLog.endpoint).contains(endpoint_contains),
                col(FetchLog.success).is_(True),
                col(FetchLog.fetch_time) <= as_utc(now),
            )
        )
    ).scalar_one_or_none()
    return value if isinstance(value, datetime) else None

"""Read what the planner needs from the database: games, their last capture, the quota."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from oddscore.clock import as_utc
from oddscore.scheduling.planner import GameState
from oddscore.scheduling.quota import QuotaState, month_start
from oddscore.storage.models import Event, FetchLog, OddsSnapshot
from oddscore.storage.types import UTCDateTime

__all__ = ["last_fetch_time", "load_games", "load_quota", "merge_listed"]


async def load_games(
    session: AsyncSession,
    *,
    sport_key: str,
    now: datetime,
    past: timedelta = timedelta(days=3),
) -> list[GameState]:
    """Games tipping from ``now - past`` on (any status), each with its last pre-tip capture
    and when it was first stored (the covering planner captures a game listed late at once).

    A capture is a stored snapshot, or an ``/odds`` call made while the game was already
    known: a game the books have not priced yet is absent from ``/odds``, and must not look
    "never captured" (due at once) on every run. Finished games stay in: they tell the odds
    planner the season is on, and the scores planner skips them by status.
    """
    now = as_utc(now)
    events = (
        await session.execute(
            select(
                col(Event.id), col(Event.commence_time), col(Event.status), col(Event.created_at)
            ).where(
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
    last_call = await last_fetch_time(session, endpoint_suffix=f"/sports/{sport_key}/odds", now=now)
    games = []
    for row in events:
        last = captured.get(row.id)
        if last_call is not None and row.created_at <= last_call < row.commence_time:
            last = max(last or last_call, last_call)
        games.append(
            GameState(row.id, row.commence_time, last, row.status, row.created_at, sport_key)
        )
    return games


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
    session: AsyncSession, *, endpoint_suffix: str, now: datetime
) -> datetime | None:
    """When a live endpoint whose path ends with ``endpoint_suffix`` (``"/scores"``,
    ``"/sports/basketball_nba/odds"``) was last called successfully, if ever; historical
    calls (backfills) do not count.
    """
    value = (
        await session.execute(
            select(func.max(col(FetchLog.fetch_time), type_=UTCDateTime)).where(
                col(FetchLog.endpoint).endswith(endpoint_suffix),
                col(FetchLog.endpoint).not_like("%historical%"),
                col(FetchLog.success).is_(True),
                col(FetchLog.fetch_time) <= as_utc(now),
            )
        )
    ).scalar_one_or_none()
    return value if isinstance(value, datetime) else None


def merge_listed(
    games: Iterable[GameState],
    listed: Iterable[tuple[str, datetime]],
    sport: str | None = None,
) -> list[GameState]:
    """Add listed games of ``sport`` the database does not hold yet (a dry run stores
    nothing) as never captured; a listed tip time wins over a stored one (tip times move)."""
    merged = {game.event_id: game for game in games}
    for event_id, commence_time in listed:
        known = merged.get(event_id)
        if known is None:
            merged[event_id] = GameState(event_id, as_utc(commence_time), sport=sport)
        elif known.commence_time != commence_time:
            merged[event_id] = replace(known, commence_time=as_utc(commence_time))
    return list(merged.values())

"""Where the candidate games come from: the ``events`` table, or the historical events endpoint.

Stored events are free. The historical ``/events`` endpoint costs 1 credit per call (0 when
empty), so it is asked once per slate date, filtered to that date's tip-off window; the
credits it spent go into the plan's cost report.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import col

from oddscore.provider.client import OddsApiClient
from oddscore.provider.costs import historical_events_cost
from oddscore.storage.engine import Database
from oddscore.storage.models import Event

from .selection import SLATE_OFFSET, Game, collect_games, slate_date

__all__ = [
    "EVENTS_SNAPSHOT_TIME",
    "endpoint_games",
    "first_stored_slate",
    "slate_window",
    "stored_games",
]

# The events snapshot asked for each slate date: before any tip-off of that date (the earliest
# NBA tips are ~16:00 UTC), so every game of the date is still listed as upcoming.
EVENTS_SNAPSHOT_TIME = time(12, 0, tzinfo=UTC)


def slate_window(start: date, end: date) -> tuple[datetime, datetime]:
    """Tip-off times of the slate dates ``start..end``: ``[start + 6 h, end + 1 d + 6 h)``."""
    low = datetime.combine(start, time(0, tzinfo=UTC)) + SLATE_OFFSET
    high = datetime.combine(end + timedelta(days=1), time(0, tzinfo=UTC)) + SLATE_OFFSET
    return low, high


async def stored_games(db: Database, sport: str, start: date, end: date) -> list[Game]:
    """Games of the date range already in the ``events`` table (free)."""
    low, high = slate_window(start, end)
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Event)
                .where(
                    col(Event.sport_key) == sport,
                    col(Event.commence_time) >= low,
                    col(Event.commence_time) < high,
                    col(Event.status).not_in(["cancelled", "postponed"]),
                )
                .order_by(col(Event.updated_at), col(Event.id))
            )
        ).scalars()
        return collect_games(list(rows), start=start, end=end)


async def first_stored_slate(db: Database, sport: str) -> date | None:
    """The slate date of the sport's earliest stored game (None: no game stored)."""
    async with db.session() as session:
        first = (
            await session.execute(
                select(func.min(col(Event.commence_time))).where(col(Event.sport_key) == sport)
            )
        ).scalar_one_or_none()
    return None if first is None else slate_date(first)


async def endpoint_games(
    client: OddsApiClient, sport: str, start: date, end: date
) -> tuple[list[Game], int, int]:
    """(games, credits spent, calls made) from one historical ``/events`` call per date."""
    events = []
    credits = calls = 0
    day = start
    while day <= end:
        low, high = slate_window(day, day)
        response = await client.historical_events(
            sport,
            date=datetime.combine(day, EVENTS_SNAPSHOT_TIME),
            commence_time_from=low,
            commence_time_to=high - timedelta(seconds=1),
        )
        calls += 1
        items = response.data.data
        cost = response.cost
        credits += cost if cost is not None else historical_events_cost(empty=not items)
        events.extend(items)
        day += timedelta(days=1)
    return collect_games(events, start=start, end=end), credits, calls

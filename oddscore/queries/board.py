"""What the CLI shows for one event: the event, the as-of time used, and its board.

Kept here rather than in the CLI so the choice of the default time is tested library code:
before tip-off the board is as of now; once the game has started it is the closing board
(as of one microsecond before tip), because in-play quotes are not pre-game odds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oddscore.clock import Clock, SystemClock, as_utc
from oddscore.queries.asof_one import DEFAULT_MAX_STALENESS, odds_as_of
from oddscore.queries.events import get_event, resolve_event_id
from oddscore.queries.session import open_session, parse_when
from oddscore.queries.types import EventSummary, Quote

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Board", "default_as_of", "load_board", "open_session", "parse_when"]

_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Board:
    event: EventSummary
    as_of: datetime
    quotes: list[Quote]


def default_as_of(event: EventSummary, now: datetime) -> datetime:
    """Now before tip-off; just before tip-off once the game has started."""
    return min(as_utc(now), event.commence_time - _JUST_BEFORE)


async def load_board(
    session: AsyncSession,
    event: str,
    at: datetime | None = None,
    *,
    clock: Clock | None = None,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
) -> Board:
    """Resolve an event id prefix and read its as-of board."""
    found = await get_event(session, await resolve_event_id(session, event))
    when = as_utc(at) if at is not None else default_as_of(found, (clock or SystemClock()).now())
    quotes = await odds_as_of(
        session,
        found.id,
        when,
        bookmakers=bookmakers,
        markets=markets,
        max_staleness=max_staleness,
    )
    return Board(found, when, quotes)

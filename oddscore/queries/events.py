"""Events: resolve an id prefix, list by date range, team and status."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oddscore.clock import as_utc
from oddscore.exceptions import QueryError
from oddscore.queries.plain import fetch, utc_required
from oddscore.queries.types import EventSummary

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["get_event", "list_events", "resolve_event_id", "team_condition"]

# EventSummary's fields, in its order.
_COLUMNS = (
    "id",
    "sport_key",
    "commence_time",
    "home_team",
    "away_team",
    "status",
    "home_score",
    "away_score",
)


def _summary(row: Sequence[Any]) -> EventSummary:
    event_id, sport, commence, home, away, status, home_score, away_score = row
    return EventSummary(
        event_id, sport, utc_required(commence), home, away, status, home_score, away_score
    )


async def resolve_event_id(session: AsyncSession, prefix: str) -> str:
    """The full id of the one event whose id starts with ``prefix`` (case-insensitive)."""
    prefix = prefix.strip().lower()
    if not prefix:
        raise QueryError("an event id (or a unique prefix of one) is required")
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await fetch(
        session,
        "SELECT id FROM events WHERE id LIKE :pattern ESCAPE '\\' ORDER BY id LIMIT 3",
        {"pattern": f"{escaped}%"},
    )
    matches = [row[0] for row in rows]
    if not matches:
        raise QueryError(f"no event id starts with {prefix!r}")
    if len(matches) > 1:
        shown = ", ".join(m[: len(prefix) + 4] + "..." for m in matches[:2])
        raise QueryError(f"event id prefix {prefix!r} is ambiguous ({shown}); type more of it")
    return str(matches[0])


async def get_event(session: AsyncSession, event_id: str) -> EventSummary:
    rows = await fetch(
        session, f"SELECT {', '.join(_COLUMNS)} FROM events WHERE id = :id", {"id": event_id}
    )
    if not rows:
        raise QueryError(f"no event {event_id!r}")
    return _summary(rows[0])


def _canonical(name: str) -> str | None:
    # The ingestion alias table folds "LAL", "lakers", "LA Lakers" to the full name; without
    # it, a plain case-insensitive substring match still serves.
    try:
        teams: Any = importlib.import_module("oddscore.ingestion.teams")
    except ImportError:
        return None
    canonical = teams.canonical_team(name)
    return None if canonical is None else str(canonical)


def team_condition(team: str) -> ColumnElement[bool]:
    """Home or away team equal to ``team``'s canonical name, or containing ``team``."""
    from sqlalchemy import func, or_

    from oddscore.queries._sql import EVENTS

    EV = EVENTS.c
    canonical = _canonical(team)
    needle = (canonical or team).strip().lower()
    if canonical is not None:
        return or_(func.lower(EV.home_team) == needle, func.lower(EV.away_team) == needle)
    # autoescape: "%", "_" (and PostgreSQL's default escape "\\") in a name are literal text.
    return or_(
        func.lower(EV.home_team).contains(needle, autoescape=True),
        func.lower(EV.away_team).contains(needle, autoescape=True),
    )


async def list_events(
    session: AsyncSession,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    team: str | None = None,
    statuses: Sequence[str] | None = None,
    sport_key: str | None = None,
    limit: int | None = None,
) -> list[EventSummary]:
    """Events commencing in ``[start, end)`` in commence order, optionally by team and status."""
    from sqlalchemy import select

    from oddscore.queries._sql import EVENTS, in_filter

    EV = EVENTS.c
    where: list[ColumnElement[bool]] = []
    if start is not None:
        where.append(EV.commence_time >= as_utc(start))
    if end is not None:
        where.append(EV.commence_time < as_utc(end))
    if team:
        where.append(team_condition(team))
    if sport_key is not None:
        where.append(EV.sport_key == sport_key)
    where.extend(in_filter(EV.status, statuses))
    columns = [EV[name] for name in _COLUMNS]
    statement = select(*columns).where(*where).order_by(EV.commence_time, EV.id)
    if limit is not None:
        statement = statement.limit(limit)
    result = await session.execute(statement)
    return [EventSummary(*row) for row in result.tuples()]

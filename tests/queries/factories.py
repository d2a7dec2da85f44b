"""Rows for query tests, inserted straight through the models (no ingestion code involved)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.storage import Database, Event, FetchLog, Odds, OddsSnapshot

T0 = datetime(2024, 1, 10, 0, 0, tzinfo=UTC)
HOME = "Denver Nuggets"
AWAY = "Los Angeles Lakers"


def event_id(n: int) -> str:
    return f"{n:032x}"


def make_event(
    n: int = 1,
    *,
    commence: datetime = T0,
    home: str = HOME,
    away: str = AWAY,
    status: str = "scheduled",
    home_score: int | None = None,
    away_score: int | None = None,
) -> Event:
    return Event(
        id=event_id(n),
        sport_key="basketball_nba",
        sport_title="NBA",
        commence_time=commence,
        home_team=home,
        away_team=away,
        status=status,
        home_score=home_score,
        away_score=away_score,
    )


@dataclass(frozen=True)
class Q:
    """One quote to store: book, market, outcome, price, point, minutes before tip-off."""

    book: str
    market: str
    outcome: str
    price: int
    point: float | None = None
    at: datetime = T0
    valid: bool = True


async def add_events(db: Database, events: Iterable[Event]) -> None:
    async with db.session() as session:
        session.add_all(list(events))


class Quoted(Protocol):
    """What :func:`add_snapshot` stores of a quote (the query and backtest tests' ``Q``)."""

    @property
    def book(self) -> str: ...
    @property
    def market(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def point(self) -> float | None: ...
    @property
    def valid(self) -> bool: ...


async def add_snapshot(
    session: AsyncSession,
    event: str,
    taken: datetime,
    quotes: Sequence[Quoted],
    *,
    tier: str | None = None,
) -> None:
    """One raw snapshot of ``event`` observed at ``taken`` and its odds rows, as ingestion
    writes them (the raw JSON left empty)."""
    snapshot = OddsSnapshot(
        event_id=event,
        snapshot_time=taken,
        raw_data={},
        bookmaker_count=len({q.book for q in quotes}),
        fetch_tier=tier,
    )
    session.add(snapshot)
    await session.flush()
    assert snapshot.id is not None
    session.add_all(
        Odds(
            snapshot_id=snapshot.id,
            event_id=event,
            bookmaker_key=q.book,
            bookmaker_title=q.book.title(),
            market_key=q.market,
            outcome_name=q.outcome,
            price=q.price,
            point=q.point,
            odds_timestamp=taken,
            last_update=taken - timedelta(minutes=1),
            is_valid=q.valid,
        )
        for q in quotes
    )


async def add_quotes(
    db: Database,
    event: str,
    quotes: Iterable[Q],
    *,
    tiers: dict[datetime, str] | None = None,
) -> None:
    """Store quotes, one snapshot per distinct observation time (as ingestion would)."""
    by_time: dict[datetime, list[Q]] = {}
    for quote in quotes:
        by_time.setdefault(quote.at, []).append(quote)
    async with db.session() as session:
        for taken, group in sorted(by_time.items()):
            await add_snapshot(session, event, taken, group, tier=(tiers or {}).get(taken))


async def add_fetch_logs(db: Database, logs: Iterable[FetchLog]) -> None:
    async with db.session() as session:
        session.add_all(list(logs))

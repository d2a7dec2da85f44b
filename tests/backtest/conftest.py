"""Backtest fixtures: events and quotes inserted straight through the models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oddscore.storage import Database, Event
from tests.queries.factories import add_snapshot

T0 = datetime(2024, 1, 10, 0, 30, tzinfo=UTC)  # 7:30 pm Eastern on Jan 9


@dataclass(frozen=True)
class Game:
    n: int
    home: str
    away: str
    home_score: int | None
    away_score: int | None
    day: int = 0

    @property
    def id(self) -> str:
        return f"game{self.n:04d}"

    @property
    def commence(self) -> datetime:
        return T0 + timedelta(days=self.day)


@dataclass(frozen=True)
class Q:
    """One stored quote: ``hours`` before tip-off."""

    game: Game
    book: str
    market: str
    outcome: str
    price: int
    point: float | None = None
    hours: float = 2.0
    valid: bool = True

    @property
    def at(self) -> datetime:
        return self.game.commence - timedelta(hours=self.hours)


def h2h(game: Game, book: str, home: int, away: int, hours: float = 2.0) -> list[Q]:
    return [
        Q(game, book, "h2h", game.home, home, None, hours),
        Q(game, book, "h2h", game.away, away, None, hours),
    ]


async def seed(
    db: Database, games: Sequence[Game], quotes: Iterable[Q], sport: str = "basketball_nba"
) -> None:
    async with db.session() as session:
        for g in games:
            final = g.home_score is not None
            session.add(
                Event(
                    id=g.id,
                    sport_key=sport,
                    commence_time=g.commence,
                    home_team=g.home,
                    away_team=g.away,
                    status="final" if final else "scheduled",
                    home_score=g.home_score,
                    away_score=g.away_score,
                    completed_at=g.commence + timedelta(hours=2, minutes=30) if final else None,
                )
            )
        await session.flush()
        by_snapshot: dict[tuple[str, datetime], list[Q]] = {}
        for q in quotes:
            by_snapshot.setdefault((q.game.id, q.at), []).append(q)
        for (event_id, at), group in sorted(by_snapshot.items()):
            await add_snapshot(session, event_id, at, group)

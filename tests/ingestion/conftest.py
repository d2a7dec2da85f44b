"""Builders of provider-shaped events for ingestion tests, and the real archive's paths."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from oddscore.storage import Database
from tests.conftest import real_data

HOME = "Denver Nuggets"
AWAY = "Los Angeles Lakers"
TIP = datetime(2024, 1, 10, 0, 10, tzinfo=UTC)
TAKEN = TIP - timedelta(hours=12)
NOW = datetime(2024, 3, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def book(
    key: str = "draftkings",
    *,
    title: str | None = None,
    h2h: tuple[int, int] | None = (-150, 130),
    spread: tuple[float, int, int] | None = (-3.5, -110, -110),
    total: tuple[float, int, int] | None = (228.5, -110, -110),
    updated: datetime = TAKEN - timedelta(minutes=5),
    home: str = HOME,
    away: str = AWAY,
) -> dict[str, Any]:
    """A bookmaker with h2h (home, away prices), spreads (home point, prices), totals."""
    markets: list[dict[str, Any]] = []
    if h2h is not None:
        markets.append(
            {
                "key": "h2h",
                "last_update": iso(updated),
                "outcomes": [
                    {"name": home, "price": h2h[0]},
                    {"name": away, "price": h2h[1]},
                ],
            }
        )
    if spread is not None:
        point, home_price, away_price = spread
        markets.append(
            {
                "key": "spreads",
                "last_update": iso(updated),
                "outcomes": [
                    {"name": home, "price": home_price, "point": point},
                    {"name": away, "price": away_price, "point": -point},
                ],
            }
        )
    if total is not None:
        point, over, under = total
        markets.append(
            {
                "key": "totals",
                "last_update": iso(updated),
                "outcomes": [
                    {"name": "Over", "price": over, "point": point},
                    {"name": "Under", "price": under, "point": point},
                ],
            }
        )
    return {
        "key": key,
        "title": title or key.title(),
        "last_update": iso(updated),
        "markets": markets,
    }


def event(
    n: int = 1,
    *,
    books: Sequence[dict[str, Any]] | None = None,
    commence: datetime = TIP,
    home: str = HOME,
    away: str = AWAY,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id or f"{n:032x}",
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": iso(commence),
        "home_team": home,
        "away_team": away,
        "bookmakers": list(books) if books is not None else [book("draftkings"), book("fanduel")],
    }


def rows_in(payload: Sequence[dict[str, Any]]) -> int:
    return sum(len(m["outcomes"]) for e in payload for b in e["bookmakers"] for m in b["markets"])


def mutate(payload: Any) -> Any:
    return copy.deepcopy(payload)


ARCHIVE = "the_odds_api_snapshots"


def archive_dir() -> Path:
    return real_data(ARCHIVE)


def load_archive_file(season: str, day: str) -> dict[str, Any]:
    folder = real_data(ARCHIVE, "odds", season)
    path = next(folder.glob(f"odds_{day}_*.json.gz"))
    with gzip.open(path) as handle:
        payload: dict[str, Any] = json.load(handle)
    return payload


@asynccontextmanager
async def violated_odds_index(db: Database, column: str, where: str) -> AsyncIterator[None]:
    """A temporary unique index on ``odds(column)`` over the rows matching ``where``: a real
    constraint error in the middle of a write (the second such row fails its COPY)."""
    async with db.engine.begin() as conn:
        await conn.execute(text(f"CREATE UNIQUE INDEX test_boom ON odds ({column}) WHERE {where}"))
    try:
        yield
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP INDEX test_boom"))

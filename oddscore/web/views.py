"""What the templates draw: a game's grid of prices by books, opening lines, and formats.

Nothing is computed here that the query layer has not: the best price and the fair price come
with the :class:`~oddscore.queries.opportunities.GameBoard`; this module only lays them out,
one row per market, outcome and line, one column per book.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from oddscore.analytics.odds import decimal_to_american
from oddscore.queries.types import BestPrice, EventSummary, LinePoint, Quote

__all__ = ["FILTERS", "MARKETS", "Cell", "Grid", "Row", "game_grid", "opening_lines", "single_grid"]

MARKETS = ("h2h", "spreads", "totals")
_MARKET_ORDER = {m: i for i, m in enumerate(MARKETS)}


@dataclass(frozen=True, slots=True)
class Cell:
    price: int
    point: float | None
    age_seconds: float
    best: bool


@dataclass(slots=True)
class Row:
    market: str
    outcome: str
    point: float | None
    cells: dict[str, Cell] = field(default_factory=dict)
    best: BestPrice | None = None
    fair_decimal: float | None = None
    best_age: float | None = None  # seconds between the best quote's observation and as-of


@dataclass(slots=True)
class Grid:
    event: EventSummary
    as_of: datetime
    books: list[str]
    sharp: set[str]
    rows: list[Row]
    reference: tuple[str, ...] = ()
    newest_age: float | None = None
    oldest_age: float | None = None


def _grid(
    event: EventSummary,
    as_of: datetime,
    quotes: Sequence[Quote],
    best: Sequence[BestPrice],
    fair: dict[tuple[str, str, float | None], float],
    sharp_books: Sequence[str],
    reference: tuple[str, ...] = (),
) -> Grid:
    sharp = set(sharp_books)
    books = sorted({q.bookmaker_key for q in quotes}, key=lambda b: (b not in sharp, b))
    best_of = {(p.market_key, p.outcome_name, p.point): p for p in best}
    rows: dict[tuple[str, str, float | None], Row] = {}
    for q in quotes:
        if -100 < q.price < 100:
            continue  # not an American price; best_prices leaves it out too
        key = (q.market_key, q.outcome_name, q.point)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(q.market_key, q.outcome_name, q.point)
            row.best = best_of.get(key)
            row.fair_decimal = fair.get(key)
            if row.best is not None:
                row.best_age = (as_of - row.best.odds_timestamp).total_seconds()
        top = row.best
        is_best = top is not None and q.price == top.price and q.bookmaker_key in top.bookmakers
        row.cells[q.bookmaker_key] = Cell(q.price, q.point, q.age_seconds, is_best)
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            _MARKET_ORDER.get(r.market, 99),
            r.market,
            # Away, then a three-way moneyline's draw, then home (the "away @ home" order).
            0 if r.outcome == event.away_team else 1 if r.outcome == "Draw" else 2,
            r.outcome,
            r.point is None,
            r.point or 0.0,
        ),
    )
    ages = [q.age_seconds for q in quotes]
    return Grid(
        event,
        as_of,
        books,
        sharp,
        ordered,
        reference,
        min(ages) if ages else None,
        max(ages) if ages else None,
    )


def game_grid(board: Any, sharp_books: Sequence[str]) -> Grid:
    """A :class:`~oddscore.queries.opportunities.GameBoard` laid out by books."""
    fair = {(f.market_key, f.outcome_name, f.point): f.decimal for f in board.fair}
    return _grid(
        board.event, board.as_of, board.quotes, board.best, fair, sharp_books, board.reference
    )


def single_grid(board: Any, best: Sequence[BestPrice], sharp_books: Sequence[str]) -> Grid:
    """One event's :class:`~oddscore.queries.board.Board` (``odds best``'s) by books."""
    return _grid(board.event, board.as_of, board.quotes, best, {}, sharp_books)


def opening_lines(points: Iterable[LinePoint], event: EventSummary) -> list[LinePoint]:
    """Each book's first pre-game quote per market, outcome and line."""
    first: dict[tuple[str, str, str, float | None], LinePoint] = {}
    for p in points:
        if p.odds_timestamp >= event.commence_time:
            continue
        key = (p.bookmaker_key, p.market_key, p.outcome_name, p.point)
        if key not in first or p.odds_timestamp < first[key].odds_timestamp:
            first[key] = p
    return sorted(
        first.values(),
        key=lambda p: (p.market_key, p.bookmaker_key, p.outcome_name, p.point or 0.0),
    )


def american(price: float | None) -> str:
    return "" if price is None else f"{int(price):+d}"


def fair_american(decimal: float | None) -> str:
    if decimal is None or decimal <= 1.0:
        return ""
    return f"{round(decimal_to_american(decimal)):+d}"


def point(value: float | None, outcome: str = "") -> str:
    if value is None:
        return ""
    return f"{value:g}" if outcome in ("Over", "Under") else f"{value:+g}"


def age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def when(value: datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def pct(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:+.{digits}%}"


def num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


FILTERS = {
    "american": american,
    "fair_american": fair_american,
    "point": point,
    "age": age,
    "when": when,
    "pct": pct,
    "num": num,
}

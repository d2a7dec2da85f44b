"""JSON bodies in the provider's exact shapes, for the synthetic market and for replays.

Shapes follow reference section 4: events sorted by ``commence_time``; h2h and spreads
outcomes in alphabetical order of team name (a soccer h2h's ``Draw`` last), totals ``Over``
before ``Under``; ``point``
only on spreads and totals; ``last_update`` on bookmakers and markets (not on bookmakers of
the live event-odds endpoint); timestamps ISO with ``Z`` or unix seconds (``dateFormat``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from oddscore.clock import parse_timestamp
from oddscore.simulator.market import BookQuote, Game, GameState
from oddscore.simulator.params import DateFormat, OddsFormat, OddsQuery
from oddscore.simulator.pricing import american_from_implied, american_to_decimal, price

__all__ = [
    "JSON",
    "event_json",
    "format_time",
    "historical_envelope",
    "odds_event_json",
    "reformat_event",
    "score_event_json",
]

JSON = dict[str, Any]
_MARKET_ORDER = ("h2h", "spreads", "totals")


@lru_cache(maxsize=8192)
def format_time(moment: datetime, date_format: DateFormat) -> str | int:
    """``2026-11-29T23:30:00Z`` or unix seconds (cached: the same stamps recur a lot)."""
    if date_format == "unix":
        return int(moment.timestamp())
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_json(game: Game, state: GameState, date_format: DateFormat) -> JSON:
    return {
        "id": game.id,
        "sport_key": game.sport_key,
        "sport_title": game.sport_title,
        "commence_time": format_time(state.commence_time, date_format),
        "home_team": game.home_team,
        "away_team": game.away_team,
    }


def score_event_json(game: Game, state: GameState, date_format: DateFormat) -> JSON:
    body = event_json(game, state, date_format)
    scores = None
    if state.home_score is not None and state.away_score is not None:
        scores = [
            {"name": game.home_team, "score": str(state.home_score)},
            {"name": game.away_team, "score": str(state.away_score)},
        ]
    last_update = state.last_update
    # Key order of the real /scores body: completed sits between commence_time and home_team.
    return {
        "id": body["id"],
        "sport_key": body["sport_key"],
        "sport_title": body["sport_title"],
        "commence_time": body["commence_time"],
        "completed": state.completed,
        "home_team": body["home_team"],
        "away_team": body["away_team"],
        "scores": scores,
        "last_update": None if last_update is None else format_time(last_update, date_format),
    }


def _two_teams(
    game: Game, home: tuple[float, float], odds_format: OddsFormat, point: float | None
) -> list[JSON]:
    """Home and away outcomes, in alphabetical order of team name (as the provider's)."""
    first: JSON = {"name": game.home_team, "price": price(home[0], odds_format)}
    second: JSON = {"name": game.away_team, "price": price(home[1], odds_format)}
    if point is not None:
        first["point"] = point
        second["point"] = -point + 0.0
    return [first, second] if game.home_team < game.away_team else [second, first]


def _markets(game: Game, quote: BookQuote, query: OddsQuery, updated: str | int) -> list[JSON]:
    markets: list[JSON] = []
    fmt = query.odds_format
    for key in _MARKET_ORDER:
        if key not in query.markets:
            continue
        if key == "h2h":
            outcomes = _two_teams(game, quote.h2h, fmt, None)
            if quote.draw is not None:
                outcomes.append({"name": "Draw", "price": price(quote.draw, fmt)})
        elif key == "spreads":
            outcomes = _two_teams(game, quote.spreads, fmt, quote.spread_point)
        else:
            outcomes = [
                {"name": "Over", "price": price(quote.totals[0], fmt), "point": quote.total_point},
                {"name": "Under", "price": price(quote.totals[1], fmt), "point": quote.total_point},
            ]
        markets.append({"key": key, "last_update": updated, "outcomes": outcomes})
    return markets


def odds_event_json(
    game: Game,
    state: GameState,
    quotes: Iterable[BookQuote],
    query: OddsQuery,
    *,
    book_last_update: bool = True,
) -> JSON:
    """An event with its books' odds; books that quote none of the markets are left out."""
    books: list[JSON] = []
    for quote in quotes:
        if not query.wants_book(quote.book.key):
            continue
        updated = format_time(quote.last_update, query.date_format)
        markets = _markets(game, quote, query, updated)
        if not markets:
            continue
        book: JSON = {"key": quote.book.key, "title": quote.book.title}
        if book_last_update:
            book["last_update"] = updated
        book["markets"] = markets
        books.append(book)
    body = event_json(game, state, query.date_format)
    body["bookmakers"] = books
    return body


def historical_envelope(
    timestamp: datetime,
    previous: datetime | None,
    following: datetime | None,
    data: Any,
    date_format: DateFormat,
) -> JSON:
    def fmt(moment: datetime | None) -> str | int | None:
        return None if moment is None else format_time(moment, date_format)

    return {
        "timestamp": fmt(timestamp),
        "previous_timestamp": fmt(previous),
        "next_timestamp": fmt(following),
        "data": data,
    }


# -- recorded responses ---------------------------------------------------------------------


def _convert_price(value: Any, odds_format: OddsFormat) -> Any:
    is_american = isinstance(value, int) and not isinstance(value, bool)
    if odds_format == "decimal" and is_american:
        return american_to_decimal(value)
    if odds_format == "american" and not is_american and isinstance(value, float) and value > 1:
        return american_from_implied(1.0 / value)
    return value


def _convert_time(value: Any, date_format: DateFormat) -> Any:
    if value is None:
        return None
    return format_time(parse_timestamp(value), date_format)


def reformat_event(
    event: JSON,
    *,
    wants_book: Callable[[str], bool] | None,
    markets: Iterable[str] | None,
    odds_format: OddsFormat,
    date_format: DateFormat,
) -> JSON:
    """A recorded event filtered to the requested books and markets, in the requested formats.

    ``wants_book`` None means the event has no ``bookmakers`` (an events listing).
    """
    body: JSON = {key: value for key, value in event.items() if key != "bookmakers"}
    body["commence_time"] = _convert_time(event.get("commence_time"), date_format)
    if wants_book is None:
        return body
    wanted = set(markets or ())
    books: list[JSON] = []
    for book in event.get("bookmakers", []):
        if not wants_book(str(book.get("key"))):
            continue
        kept = [
            {
                **{k: v for k, v in market.items() if k not in ("outcomes", "last_update")},
                **(
                    {"last_update": _convert_time(market["last_update"], date_format)}
                    if "last_update" in market
                    else {}
                ),
                "outcomes": [
                    {**outcome, "price": _convert_price(outcome.get("price"), odds_format)}
                    for outcome in market.get("outcomes", [])
                ],
            }
            for market in book.get("markets", [])
            if market.get("key") in wanted
        ]
        if not kept:
            continue
        copy = {k: v for k, v in book.items() if k != "markets"}
        if "last_update" in copy:
            copy["last_update"] = _convert_time(copy["last_update"], date_format)
        copy["markets"] = kept
        books.append(copy)
    body["bookmakers"] = books
    return body

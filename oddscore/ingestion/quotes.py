"""From provider events to quote rows: one :class:`Quote` per bookmaker/market/outcome.

Everything here is pure: no database, no clock. Prices become American integers (the
``odds.price`` column), whatever ``oddsFormat`` the payload was requested in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from oddscore.clock import parse_timestamp
from oddscore.exceptions import MalformedResponseError
from oddscore.provider.models import EventOdds

__all__ = [
    "Quote",
    "TimestampCache",
    "base_market",
    "is_back_market",
    "quotes_of",
    "raw_quotes",
    "to_american",
    "two_way_kind",
]

OddsFormat = Literal["american", "decimal"]

# Period suffixes the provider appends to a market key: h2h_h1, spreads_q3, totals_p2 ...
_PERIOD = re.compile(r"_(?:h[12]|q[1-4]|p[1-3]|1st_\d+_innings)$")
_KNOWN_BASES = frozenset(
    {
        "h2h",
        "h2h_3_way",
        "spreads",
        "totals",
        "alternate_spreads",
        "alternate_totals",
        "team_totals",
        "alternate_team_totals",
        "outrights",
        "draw_no_bet",
        "double_chance",
        "btts",
    }
)
_PROP_PREFIXES = ("player_", "batter_", "pitcher_")
# Prices beyond this cannot be real and would not fit the INTEGER column.
MAX_STORABLE_PRICE = 1_000_000


# Memoized: a season's import asks about a handful of market keys ~120,000 times (a regex
# each); bounded, since keys come from the provider.
@lru_cache(maxsize=4096)
def base_market(key: str) -> str:
    """``spreads_h1`` -> ``spreads``; keys without a period suffix are returned unchanged."""
    return _PERIOD.sub("", key)


@lru_cache(maxsize=4096)
def is_back_market(key: str) -> bool:
    """True for markets whose prices are back odds we know how to read.

    Exchange lay markets (``h2h_lay``, ``outrights_lay``) quote the price of *laying* an
    outcome; mixing them into back odds would corrupt best prices and de-vigging.
    """
    if key.endswith("_lay"):
        return False
    return base_market(key) in _KNOWN_BASES or key.startswith(_PROP_PREFIXES)


def two_way_kind(key: str) -> Literal["h2h", "spreads", "totals"] | None:
    """Which two-sided check applies to a market (its period variants included)."""
    base = base_market(key)
    if base in ("h2h", "spreads", "totals"):
        return base  # type: ignore[return-value]
    return None


def to_american(price: float, odds_format: OddsFormat) -> int | None:
    """The American integer for a price; None when it cannot be one (decimal <= 1, absurd)."""
    if odds_format == "decimal":
        if price <= 1.0:
            return None
        american = (price - 1.0) * 100.0 if price >= 2.0 else -100.0 / (price - 1.0)
    else:
        american = price
    value = int(round(american))
    if abs(value) > MAX_STORABLE_PRICE:
        return None
    return value


@dataclass(slots=True)
class Quote:
    """One outcome price as it will be stored, plus what validation decided about it."""

    bookmaker_key: str
    bookmaker_title: str
    market_key: str
    outcome_name: str
    outcome_description: str | None
    price: int
    raw_price: float
    point: float | None
    last_update: datetime | None
    is_valid: bool = True
    excluded: bool = False
    notes: list[str] | None = None

    @property
    def outcome_key(self) -> tuple[str, str | None, float | None]:
        return (self.outcome_name, self.outcome_description, self.point)


def quotes_of(event: EventOdds, odds_format: OddsFormat = "american") -> list[Quote]:
    """Every outcome of every market of every bookmaker, in payload order.

    A price that cannot become an American integer keeps ``price=0`` and is marked excluded;
    validation reports it (``price_out_of_range``).
    """
    quotes: list[Quote] = []
    append = quotes.append
    for book in event.bookmakers:
        for market in book.markets:
            updated = market.last_update or book.last_update
            for outcome in market.outcomes:
                american = to_american(outcome.price, odds_format)
                quote = Quote(
                    bookmaker_key=book.key,
                    bookmaker_title=book.title,
                    market_key=market.key,
                    outcome_name=outcome.name,
                    outcome_description=outcome.description,
                    price=american if american is not None else 0,
                    raw_price=outcome.price,
                    point=outcome.point,
                    last_update=updated,
                )
                if american is None:
                    quote.excluded = True
                append(quote)
    return quotes


class TimestampCache:
    """Parses provider timestamps, each distinct string once (a payload repeats them a lot)."""

    def __init__(self) -> None:
        self._seen: dict[Any, datetime] = {}

    def __call__(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str | int | float):  # a list or an object: not hashable
            raise ValueError(f"not a timestamp: {type(value).__name__}")
        parsed = self._seen.get(value)
        if parsed is None:
            parsed = parse_timestamp(value)
            self._seen[value] = parsed
        return parsed


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedResponseError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _text(value: Any, where: str, *, optional: bool = False) -> str:
    if isinstance(value, str):
        return value
    if optional and value is None:
        return ""
    raise MalformedResponseError(f"{where}: expected a string, got {value!r}")


def _stamp(parse: Callable[[Any], datetime | None], value: Any, where: str) -> datetime | None:
    # Name the field: "naive datetime ..." alone does not say which of a payload's stamps.
    try:
        return parse(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise MalformedResponseError(f"{where}: {exc}") from exc


def raw_quotes(
    raw: Mapping[str, Any],
    odds_format: OddsFormat = "american",
    timestamps: Callable[[Any], datetime | None] | None = None,
) -> tuple[list[Quote], int]:
    """The quotes of one raw event (and its bookmaker count), checked by hand.

    The same shape checks as the pydantic models, without building a model per outcome: a
    season holds ~125,000 outcomes and this is the hot path of every import.
    """
    parse = timestamps or TimestampCache()
    # The parsed stamps, looked up inline: a season has ~84,000 markets and few distinct
    # stamps, and a call per market through the cache was a tenth of the parse.
    known = parse._seen if isinstance(parse, TimestampCache) else {}
    books = raw.get("bookmakers") or []
    if not isinstance(books, list):
        raise MalformedResponseError(f"event {raw.get('id')}: bookmakers is not a list")
    quotes: list[Quote] = []
    append = quotes.append
    american_input = odds_format == "american"
    try:
        for book in books:
            book_key = _text(book["key"], "bookmaker key")
            title = _text(book.get("title"), f"{book_key} title", optional=True)
            book_updated = _stamp(parse, book.get("last_update"), f"{book_key} last_update")
            for market in book.get("markets") or []:
                market_key = _text(market["key"], f"{book_key} market key")
                stamp = market.get("last_update")
                if stamp is None:
                    updated = book_updated
                else:
                    updated = known.get(stamp) if type(stamp) is str else None
                    if updated is None:
                        where = f"{book_key} {market_key} last_update"
                        updated = _stamp(parse, stamp, where) or book_updated
                for outcome in market.get("outcomes") or []:
                    price = outcome["price"]
                    kind = type(price)
                    if kind is not int and kind is not float:
                        price = _number(price, f"{book_key} {market_key} price")
                    elif kind is float and not math.isfinite(price):
                        raise MalformedResponseError(
                            f"{book_key} {market_key} price: {price!r} is not finite"
                        )
                    name = outcome["name"]
                    if type(name) is not str:
                        name = _text(name, f"{book_key} {market_key} outcome name")
                    point = outcome.get("point")
                    if point is not None and type(point) is not float:
                        point = _number(point, f"{book_key} {market_key} point")
                    description = outcome.get("description")
                    if description is not None and type(description) is not str:
                        description = _text(description, f"{book_key} {market_key} description")
                    if (
                        american_input
                        and kind is int
                        and -MAX_STORABLE_PRICE <= price <= MAX_STORABLE_PRICE
                    ):
                        american: int | None = price
                    else:
                        american = to_american(price, odds_format)
                    append(
                        Quote(
                            book_key,
                            title,
                            market_key,
                            name,
                            description,
                            american if american is not None else 0,
                            price,
                            point,
                            updated,
                            True,
                            american is None,
                        )
                    )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, MalformedResponseError):
            raise
        raise MalformedResponseError(
            f"event {raw.get('id')}: bookmakers do not fit the odds schema ({exc!r})"
        ) from exc
    return quotes, len(books)

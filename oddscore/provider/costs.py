"""Credit costs of The Odds API v4, as pure functions (reference section 5).

Planners (backfill, scheduler) call these before spending credits; the client logs the
estimate next to the provider's ``x-requests-last`` so that a drift in the rules shows up.

Rules:

* ``/sports``, ``/events``: free.
* ``/odds``: markets x regions; ``bookmakers=`` replaces regions by one region per started
  group of 10 books (and wins when both are sent); no events returned -> free.
* ``/scores``: 1, or 2 with ``daysFrom``.
* ``/events/{id}/odds``: unique markets *returned* x regions (so only an upper bound, from the
  requested markets, is known beforehand).
* ``/events/{id}/markets``, ``/participants``: 1.
* historical ``/odds`` and ``/events/{id}/odds``: 10x the live cost.
* historical ``/events``: 1.
* any response with empty data: free.

Example::

    >>> odds_cost(markets=["h2h", "spreads", "totals"], regions=["us", "uk", "au"])
    9
    >>> odds_cost(markets=["h2h", "spreads", "totals"], regions=["us", "uk", "au"], historical=True)
    90
    >>> regions_billed(bookmakers=[f"book{i}" for i in range(11)])
    2
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from oddscore.exceptions import PlanningError
from oddscore.provider.models import EventOdds, HistoricalResponse

__all__ = [
    "BOOKMAKERS_PER_REGION",
    "HISTORICAL_MULTIPLIER",
    "endpoint_kind",
    "estimate_cost",
    "event_odds_cost",
    "historical_events_cost",
    "is_empty",
    "markets_returned",
    "odds_cost",
    "regions_billed",
    "scores_cost",
    "split_csv",
]

BOOKMAKERS_PER_REGION = 10
HISTORICAL_MULTIPLIER = 10
DEFAULT_MARKET = "h2h"  # what the provider assumes when ``markets`` is absent

# Path -> kind. Optional /v4 prefix and trailing slash: the docs use both spellings.
_ENDPOINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"^(?:/v4)?{pattern}/?$"), kind)
    for pattern, kind in (
        (r"/sports", "sports"),
        (r"/sports/[^/]+/odds", "odds"),
        (r"/sports/[^/]+/scores", "scores"),
        (r"/sports/[^/]+/events", "events"),
        (r"/sports/[^/]+/events/[^/]+/odds", "event_odds"),
        (r"/sports/[^/]+/events/[^/]+/markets", "event_markets"),
        (r"/sports/[^/]+/participants", "participants"),
        (r"/historical/sports/[^/]+/odds", "historical_odds"),
        (r"/historical/sports/[^/]+/events", "historical_events"),
        (r"/historical/sports/[^/]+/events/[^/]+/odds", "historical_event_odds"),
    )
)


def split_csv(value: str | Iterable[str] | None) -> list[str]:
    """Unique, non-empty items of a comma list (or of an iterable), in first-seen order."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return list(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def regions_billed(
    *,
    regions: str | Iterable[str] | None = None,
    bookmakers: str | Iterable[str] | None = None,
) -> int:
    """How many regions a request is billed for.

    ``bookmakers`` wins over ``regions`` when both are given, and counts one region per
    started group of 10 books (1-10 -> 1, 11-20 -> 2).
    """
    books = split_csv(bookmakers)
    if books:
        return math.ceil(len(books) / BOOKMAKERS_PER_REGION)
    region_list = split_csv(regions)
    if not region_list:
        raise PlanningError("an odds request needs regions or bookmakers (MISSING_REGION)")
    return len(region_list)


def _market_count(markets: str | Iterable[str] | None) -> int:
    return len(split_csv(markets)) or 1  # absent -> the provider's default, h2h


def odds_cost(
    *,
    markets: str | Iterable[str] | None,
    regions: str | Iterable[str] | None = None,
    bookmakers: str | Iterable[str] | None = None,
    historical: bool = False,
    empty: bool = False,
) -> int:
    """``/odds`` (or historical ``/odds``): markets x regions, x10 if historical, 0 if empty."""
    billed = regions_billed(regions=regions, bookmakers=bookmakers)
    if empty:
        return 0
    multiplier = HISTORICAL_MULTIPLIER if historical else 1
    return multiplier * _market_count(markets) * billed


def event_odds_cost(
    *,
    markets: str | Iterable[str] | None,
    regions: str | Iterable[str] | None = None,
    bookmakers: str | Iterable[str] | None = None,
    historical: bool = False,
) -> int:
    """``/events/{id}/odds`` (or historical): unique markets x regions, x10 if historical.

    The provider bills the markets it *returned*: pass :func:`markets_returned` of the
    response for the actual cost, or the requested markets for the upper bound a planner
    needs before the call. No market returned -> 0.
    """
    billed = regions_billed(regions=regions, bookmakers=bookmakers)
    count = len(split_csv(markets)) if markets is not None else 1
    multiplier = HISTORICAL_MULTIPLIER if historical else 1
    return multiplier * count * billed


def scores_cost(*, days_from: int | None = None, empty: bool = False) -> int:
    """``/scores``: 1, or 2 when ``daysFrom`` is given; 0 if the response is empty."""
    if empty:
        return 0
    return 1 if days_from is None else 2


def historical_events_cost(*, empty: bool = False) -> int:
    """Historical ``/events``: 1, or 0 when no event is returned."""
    return 0 if empty else 1


def markets_returned(data: EventOdds | Iterable[EventOdds] | None) -> set[str]:
    """The unique market keys across every bookmaker of one or more events."""
    if data is None:
        return set()
    events = [data] if isinstance(data, EventOdds) else list(data)
    return {market.key for event in events for book in event.bookmakers for market in book.markets}


def is_empty(data: Any) -> bool:
    """Whether a parsed response holds no data (which the provider does not bill)."""
    if isinstance(data, HistoricalResponse):
        return is_empty(data.data)
    if data is None:
        return True
    if isinstance(data, EventOdds):
        return not markets_returned(data)
    if isinstance(data, list | tuple):
        return len(data) == 0
    return False


def endpoint_kind(endpoint: str) -> str:
    """Classify a request path (``/v4/sports/basketball_nba/odds`` -> ``"odds"``)."""
    path = endpoint.split("?", 1)[0]
    for pattern, kind in _ENDPOINTS:
        if pattern.match(path):
            return kind
    raise PlanningError(f"no cost rule for endpoint {path!r}")


def estimate_cost(
    endpoint: str,
    params: Mapping[str, str],
    *,
    markets_in_response: Iterable[str] | None = None,
    empty: bool = False,
) -> int:
    """The credits one request costs, from its path and query parameters (without the key).

    Before the call, leave ``empty`` False and ``markets_in_response`` None: the result is
    then the most the call can cost. After it, pass what came back for the exact figure.
    """
    kind = endpoint_kind(endpoint)
    if kind in ("sports", "events"):
        return 0
    if kind in ("event_markets", "participants"):
        return 1
    if kind == "scores":
        days = params.get("daysFrom")
        return scores_cost(days_from=int(days) if days else None, empty=empty)
    if kind == "historical_events":
        return historical_events_cost(empty=empty)
    regions, bookmakers = params.get("regions"), params.get("bookmakers")
    historical = kind.startswith("historical_")
    if kind in ("odds", "historical_odds"):
        return odds_cost(
            markets=params.get("markets"),
            regions=regions,
            bookmakers=bookmakers,
            historical=historical,
            empty=empty,
        )
    # event odds: billed on the markets returned, bounded by the markets requested
    if empty:
        regions_billed(regions=regions, bookmakers=bookmakers)  # still validate
        return 0
    markets: str | Iterable[str] | None = (
        list(markets_in_response)
        if markets_in_response is not None
        else params.get("markets", DEFAULT_MARKET)
    )
    return event_odds_cost(
        markets=markets, regions=regions, bookmakers=bookmakers, historical=historical
    )

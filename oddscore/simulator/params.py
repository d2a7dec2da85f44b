"""Query parameters of the v4 endpoints, parsed and validated as the real service does.

Every function takes the request's query mapping and returns plain values or raises
:class:`~oddscore.simulator.errors.ApiError` with the provider's ``error_code``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from oddscore.simulator.catalog import (
    BOOKMAKER_REGIONS,
    FEATURED_MARKETS,
    REGIONS,
    is_known_market,
    region_of,
)
from oddscore.simulator.errors import ApiError, invalid

__all__ = [
    "DateFormat",
    "EventFilter",
    "OddsFormat",
    "OddsQuery",
    "check_flags",
    "parse_date_format",
    "parse_days_from",
    "parse_event_filter",
    "parse_event_id",
    "parse_historical_date",
    "parse_odds_query",
    "parse_timestamp_param",
    "split_list",
]

OddsFormat = Literal["decimal", "american"]
DateFormat = Literal["iso", "unix"]

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_MARKET_KEY = re.compile(r"^[a-z0-9_]+$")
_FLAGS = {
    "includeLinks": "INVALID_INCLUDE_LINKS",
    "includeSids": "INVALID_INCLUDE_SIDS",
    "includeBetLimits": "INVALID_INCLUDE_BET_LIMITS",
    "includeMultipliers": "INVALID_INCLUDE_MULTIPLIERS",
    "includeRotationNumbers": "INVALID_INCLUDE_ROTATION_NUMBERS",
}


def split_list(value: str) -> list[str]:
    """Unique non-empty items of a comma list, in first-seen order."""
    return list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))


@dataclass(frozen=True, slots=True)
class EventFilter:
    """``eventIds`` and the inclusive ``commenceTimeFrom``/``commenceTimeTo`` window."""

    event_ids: frozenset[str] | None = None
    commence_from: datetime | None = None
    commence_to: datetime | None = None

    def accepts(self, event_id: str, commence_time: datetime) -> bool:
        if self.event_ids is not None and event_id not in self.event_ids:
            return False
        if self.commence_from is not None and commence_time < self.commence_from:
            return False
        return self.commence_to is None or commence_time <= self.commence_to


@dataclass(frozen=True, slots=True)
class OddsQuery:
    """What an odds request asks for: markets, books (or regions), formats, filters."""

    markets: tuple[str, ...]
    regions: tuple[str, ...]
    bookmakers: tuple[str, ...]
    odds_format: OddsFormat
    date_format: DateFormat
    events: EventFilter

    def wants_book(self, key: str) -> bool:
        if self.bookmakers:
            return key in self.bookmakers
        return region_of(key) in self.regions


def parse_timestamp_param(value: str) -> datetime | None:
    """An ISO 8601 date-time (``Z``, an offset, or none meaning UTC); None if malformed."""
    text = value.strip()
    if "T" not in text and " " not in text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date_format(params: Mapping[str, str]) -> DateFormat:
    value = params.get("dateFormat", "iso")
    if value == "iso":
        return "iso"
    if value == "unix":
        return "unix"
    raise invalid("INVALID_DATE_FORMAT", "dateFormat", value)


def _odds_format(params: Mapping[str, str]) -> OddsFormat:
    value = params.get("oddsFormat", "decimal")
    if value == "decimal":
        return "decimal"
    if value == "american":
        return "american"
    raise invalid("INVALID_ODDS_FORMAT", "oddsFormat", value)


def check_flags(params: Mapping[str, str]) -> None:
    """``includeLinks`` and friends must be ``true`` or ``false`` (they add nothing here)."""
    for name, code in _FLAGS.items():
        value = params.get(name)
        if value is not None and value.lower() not in ("true", "false"):
            raise invalid(code, name, value)


def parse_event_filter(params: Mapping[str, str]) -> EventFilter:
    event_ids: frozenset[str] | None = None
    if "eventIds" in params:
        ids = split_list(params["eventIds"])
        bad = [item for item in ids if not _EVENT_ID.match(item)]
        if bad or not ids:
            raise invalid("INVALID_EVENT_IDS", "eventIds", bad or params["eventIds"])
        event_ids = frozenset(ids)
    bounds: list[datetime | None] = []
    for name, code in (
        ("commenceTimeFrom", "INVALID_COMMENCE_TIME_FROM"),
        ("commenceTimeTo", "INVALID_COMMENCE_TIME_TO"),
    ):
        raw = params.get(name)
        parsed = None if raw is None else parse_timestamp_param(raw)
        if raw is not None and parsed is None:
            raise invalid(code, name, raw)
        bounds.append(parsed)
    start, end = bounds
    if start is not None and end is not None and end <= start:
        raise ApiError(
            "INVALID_COMMENCE_TIME_RANGE", "commenceTimeTo must be later than commenceTimeFrom"
        )
    return EventFilter(event_ids=event_ids, commence_from=start, commence_to=end)


def parse_odds_query(
    params: Mapping[str, str],
    *,
    featured_only: bool,
    extra_books: Collection[str] = (),
) -> OddsQuery:
    """Parameters of ``/odds`` (``featured_only``) and ``/events/{id}/odds``.

    ``extra_books`` are accepted besides the catalogue (books configured on the simulator).
    """
    raw_markets = params.get("markets")
    markets = ["h2h"] if raw_markets is None else split_list(raw_markets)
    if not markets:
        raise ApiError("MISSING_MARKET")
    known = FEATURED_MARKETS.__contains__ if featured_only else is_known_market
    bad = [m for m in markets if not _MARKET_KEY.match(m) or not known(m)]
    if bad:
        raise invalid("INVALID_MARKET", "markets", bad)

    bookmakers = split_list(params.get("bookmakers", ""))
    regions: list[str] = []
    if bookmakers:
        unknown = [b for b in bookmakers if b not in BOOKMAKER_REGIONS and b not in extra_books]
        if unknown:
            raise invalid("INVALID_BOOKMAKERS", "bookmakers", unknown)
    else:
        regions = split_list(params.get("regions", ""))
        if not regions:
            raise ApiError("MISSING_REGION")
        unknown = [r for r in regions if r not in REGIONS]
        if unknown:
            raise invalid("INVALID_REGION", "regions", unknown)
    check_flags(params)
    return OddsQuery(
        markets=tuple(markets),
        regions=tuple(regions),
        bookmakers=tuple(bookmakers),
        odds_format=_odds_format(params),
        date_format=parse_date_format(params),
        events=parse_event_filter(params),
    )


def parse_historical_date(params: Mapping[str, str]) -> datetime:
    raw = params.get("date")
    if raw is None or not raw.strip():
        raise ApiError("MISSING_HISTORICAL_TIMESTAMP")
    parsed = parse_timestamp_param(raw)
    if parsed is None:
        raise invalid("INVALID_HISTORICAL_TIMESTAMP", "date", raw)
    return parsed


def parse_days_from(params: Mapping[str, str]) -> int | None:
    raw = params.get("daysFrom")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 3:
        raise invalid("INVALID_SCORES_DAYS_FROM", "daysFrom", f"{raw} (expected 1 to 3)")
    return int(raw)


def parse_event_id(event_id: str) -> str:
    if not _EVENT_ID.match(event_id):
        raise invalid("INVALID_EVENT_ID", "eventId", event_id)
    return event_id

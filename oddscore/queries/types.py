"""The typed rows the query layer returns: frozen, hashable, cheap to build in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["BestPrice", "ClosingQuote", "EventSummary", "LinePoint", "Quote", "TierCoverage"]


@dataclass(frozen=True, slots=True)
class Quote:
    """One bookmaker's price for one outcome, as it stood at ``as_of``.

    ``odds_timestamp`` is when the quote was observed; it is always ``<= as_of``.
    """

    event_id: str
    as_of: datetime
    bookmaker_key: str
    market_key: str
    outcome_name: str
    outcome_description: str | None
    point: float | None
    price: int
    odds_timestamp: datetime
    last_update: datetime | None

    @property
    def age_seconds(self) -> float:
        return (self.as_of - self.odds_timestamp).total_seconds()


@dataclass(frozen=True, slots=True)
class LinePoint:
    """One observation in a line-movement series."""

    bookmaker_key: str
    market_key: str
    outcome_name: str
    point: float | None
    price: int
    odds_timestamp: datetime


@dataclass(frozen=True, slots=True)
class ClosingQuote:
    """The last pre-tip quote of one book for one outcome at one point.

    ``is_final`` tells the book's actual closing line (quoted in its last pre-tip snapshot of
    the market) from a point the book had already moved off before tip-off.
    """

    event_id: str
    commence_time: datetime
    bookmaker_key: str
    market_key: str
    outcome_name: str
    point: float | None
    price: int
    odds_timestamp: datetime
    is_final: bool


@dataclass(frozen=True, slots=True)
class BestPrice:
    """The best price for one outcome at one point, and every book that offers it."""

    market_key: str
    outcome_name: str
    point: float | None
    price: int
    bookmakers: tuple[str, ...]
    books_quoting: int
    odds_timestamp: datetime


@dataclass(frozen=True, slots=True)
class EventSummary:
    """An event row for listings."""

    id: str
    sport_key: str
    commence_time: datetime
    home_team: str
    away_team: str
    status: str
    home_score: int | None
    away_score: int | None


@dataclass(frozen=True, slots=True)
class TierCoverage:
    """Which fetch tiers hold at least one snapshot of an event (tier -> snapshot count)."""

    event_id: str
    commence_time: datetime
    snapshots: dict[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    sport_key: str | None = None  # its tier spans are this sport's (``tiers_for``)

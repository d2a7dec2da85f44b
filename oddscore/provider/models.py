"""Typed shapes of The Odds API v4 responses.

Lenient where the real API is: optional ``sport_title``, ``markets[].last_update``,
``bookmakers[].last_update`` and ``description``; extra fields (links, sids, bet limits,
rotation numbers) are kept, not refused; timestamps are ISO 8601 or unix seconds; prices are
American integers or decimal floats, as requested with ``oddsFormat`` (JSON numbers only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from oddscore.clock import parse_timestamp

__all__ = [
    "Bookmaker",
    "EventInfo",
    "EventOdds",
    "HistoricalResponse",
    "Market",
    "Outcome",
    "Score",
    "ScoreEvent",
    "Sport",
]

UTCTimestamp = Annotated[datetime, BeforeValidator(parse_timestamp)]
T = TypeVar("T")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=False)


class Sport(_Model):
    key: str
    group: str = ""
    title: str = ""
    description: str = ""
    active: bool = True
    has_outrights: bool = False


class Outcome(_Model):
    name: str
    # Strict: a price or line sent as a string ("+130") is a schema break to refuse here, as
    # the ingestion of the raw JSON does, not a number to coerce.
    price: float = Field(strict=True)
    point: float | None = Field(default=None, strict=True)
    description: str | None = None

    @field_validator("price")
    @classmethod
    def _finite(cls, value: float) -> float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("price must be a finite number")
        return value


class Market(_Model):
    key: str
    last_update: UTCTimestamp | None = None
    outcomes: list[Outcome] = Field(default_factory=list)


class Bookmaker(_Model):
    key: str
    title: str = ""
    last_update: UTCTimestamp | None = None
    markets: list[Market] = Field(default_factory=list)


class EventInfo(_Model):
    """An event without odds (``/events``, historical ``/events``)."""

    id: str
    sport_key: str
    sport_title: str = ""
    commence_time: UTCTimestamp
    home_team: str
    away_team: str


class EventOdds(EventInfo):
    """An event with bookmaker odds (``/odds``, ``/events/{id}/odds`` and their history)."""

    bookmakers: list[Bookmaker] = Field(default_factory=list)


class Score(_Model):
    name: str
    score: str | None = None


class ScoreEvent(EventInfo):
    """An event from ``/scores``: scores are strings, null before tip-off."""

    completed: bool = False
    scores: list[Score] | None = None
    last_update: UTCTimestamp | None = None

    def score_of(self, team: str) -> int | None:
        for score in self.scores or []:
            if score.name == team and score.score not in (None, ""):
                return int(float(score.score))  # type: ignore[arg-type]
        return None


class HistoricalResponse(_Model, Generic[T]):
    """The envelope of the historical endpoints: the snapshot time and its neighbours."""

    timestamp: UTCTimestamp
    previous_timestamp: UTCTimestamp | None = None
    next_timestamp: UTCTimestamp | None = None
    data: T


def parse_events_odds(payload: Any) -> list[EventOdds]:
    """Parse a ``/odds`` body (a list of events)."""
    from pydantic import TypeAdapter

    return TypeAdapter(list[EventOdds]).validate_python(payload)

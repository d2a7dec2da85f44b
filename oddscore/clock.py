"""Time: timezone-aware UTC everywhere, and an injectable clock.

Policies that depend on "now" take a :class:`Clock` instead of calling ``datetime.now``, so the
same code runs live, in the demo's virtual time, in backtests and in tests with a frozen time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FrozenClock", "SystemClock", "as_utc", "parse_timestamp", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes rather than guess their zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no timezone; expected UTC")
    return value.astimezone(UTC)


def parse_timestamp(value: str | int | float | datetime) -> datetime:
    """Parse the provider's timestamps: ISO 8601 with ``Z`` or an offset, or unix seconds."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        return as_utc(parsed)
    raise ValueError(f"not a timestamp: {value!r}")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return utcnow()


class FrozenClock:
    """A clock that moves only when told to: tests, the demo's virtual time, replays."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        self._now = as_utc(value)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

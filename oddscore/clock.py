"""Time: timezone-aware UTC everywhere, and an injectable clock.

Policies that depend on "now" take a :class:`Clock` instead of calling ``datetime.now``, so the
same code runs live, in the demo's virtual time, in backtests and in tests with a frozen time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "EARLIEST",
    "LATEST",
    "Clock",
    "FrozenClock",
    "SystemClock",
    "as_utc",
    "check_time_range",
    "parse_timestamp",
    "utcnow",
]

# The range of every time stored or asked about. The Odds API's history starts in 2020; 1970
# and 2100 leave room for any real data, and stay far from datetime's limits (years 1 and
# 9999), where the window arithmetic of planning and queries overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes rather than guess their zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no timezone; expected UTC")
    return value.astimezone(UTC)


def check_time_range(value: datetime, name: str) -> str | None:
    """Why ``value`` is outside :data:`EARLIEST` .. :data:`LATEST` (as ``name``), or None."""
    if EARLIEST <= value < LATEST:
        return None
    return f"{name} {value.isoformat()} is outside {EARLIEST.year}-01-01..{LATEST.year - 1}-12-31"


def parse_timestamp(value: str | int | float | datetime) -> datetime:
    """Parse the provider's timestamps: ISO 8601 with ``Z`` or an offset, or unix seconds.

    Every failure is a ``ValueError``: a pydantic validator lets ``OverflowError`` (year 1
    with an offset, unix seconds beyond year 9999) escape as itself.
    """
    try:
        return _parse_timestamp(value)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"timestamp {value!r} is out of range") from exc


def _parse_timestamp(value: str | int | float | datetime) -> datetime:
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

"""Checks of numeric and date options at the command line, before any work starts.

Each returns a Typer callback: a bad value ends the command with Click's usage error naming
the option (exit code 2), never a traceback from deep inside (``timedelta(hours=1e12)``
overflows, a ``NaN`` limit compares false with everything and so silently limits nothing).
Dates and times must lie in the range the store holds (``oddscore.clock.EARLIEST`` ..
``LATEST``). The commands' own parsers still read the value afterwards; these only refuse
what cannot be right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import typer

from oddscore.clock import EARLIEST, LATEST, check_time_range, parse_timestamp

__all__ = [
    "DECISION_HOURS",
    "MAX_AGE_HOURS",
    "STALENESS_HOURS",
    "day_option",
    "number_option",
    "time_option",
]

_ZONE = re.compile(r"([Zz]|[+-]\d\d:?\d\d)$")
_RANGE = f"{EARLIEST:%Y-%m-%d}..{LATEST.year - 1}-12-31"


def number_option(
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> Callable[[float | None], float | None]:
    """A finite number in [low, high] (``low_open``: ``low`` itself excluded)."""
    opening = "(" if low_open else "["
    interval = (
        f"{opening}{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
    )

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        if not math.isfinite(value):
            raise typer.BadParameter(f"must be a finite number, got {value}")
        below = low is not None and (value < low or (low_open and value == low))
        if below or (high is not None and value > high):
            raise typer.BadParameter(f"must lie in {interval}, got {value:g}")
        return value

    return check


HOURS_IN_A_YEAR = 366 * 24
# Hours before tip-off (0: at tip-off); a year covers any market that is ever posted.
DECISION_HOURS = number_option(low=0, high=HOURS_IN_A_YEAR)
# How old a quote may be; zero would accept none.
STALENESS_HOURS = number_option(low=0, high=HOURS_IN_A_YEAR, low_open=True)
# The same for the read commands, where 0 means no limit.
MAX_AGE_HOURS = number_option(low=0, high=HOURS_IN_A_YEAR)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"must be a date like 2023-12-01, got {value!r}") from None


def day_option(value: str | None) -> str | None:
    """A date (YYYY-MM-DD) inside the storable range."""
    if value is None:
        return None
    day = _day(value)
    if check_time_range(datetime(day.year, day.month, day.day, tzinfo=UTC), "date"):
        raise typer.BadParameter(f"{value!r} is outside {_RANGE}")
    return value


def time_option(value: str | None) -> str | None:
    """``now``, a date, unix seconds or an ISO 8601 time (UTC without an offset), inside
    the storable range."""
    if value is None or value.strip().lower() == "now":
        return value
    text = value.strip()
    if len(text) == 10 and not text.isdigit():
        day_option(text)
        return value
    if not text.isdigit() and not _ZONE.search(text[10:]):
        text += "+00:00"
    try:
        moment = parse_timestamp(text)
    except ValueError as exc:
        if "out of range" in str(exc):  # year 1 with an offset, unix seconds past 9999
            raise typer.BadParameter(f"{value!r} is outside {_RANGE}") from None
        raise typer.BadParameter(
            f"must be 'now', a date or an ISO 8601 time like 2024-01-09T23:00:00Z, got {value!r}"
        ) from None
    if check_time_range(moment, "time"):
        raise typer.BadParameter(f"{value!r} is outside {_RANGE}")
    return value

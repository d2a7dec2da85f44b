"""Query parameters of the web pages, checked before any query runs.

Every value is parsed into a typed one or refused with :class:`ParameterError`, whose message
names the parameter and what it accepts; the app answers that with a 400 page. Nothing a
client sends reaches SQL as text: books and markets are matched against known keys and then
bound as parameters by the query layer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from starlette.datastructures import QueryParams

from oddscore.clock import Clock
from oddscore.exceptions import ParameterError, QueryError
from oddscore.queries.board import parse_when
from oddscore.screens.opportunities import MARKETS

__all__ = [
    "books",
    "day",
    "event_id",
    "markets",
    "number",
    "result_name",
    "when",
]

_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
_EVENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LOST_PLUS = re.compile(r"^(.*\d) (\d\d:?\d\d)$")
_RESULT = re.compile(r"^[A-Za-z0-9_.-]{1,128}\.json$")


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."


def markets(params: QueryParams) -> list[str]:
    """``market`` (repeatable, or comma separated): h2h, spreads, totals; default all three."""
    chosen = _split(params.getlist("market"))
    for m in chosen:
        if m not in MARKETS:
            raise ParameterError(f"market must be one of {', '.join(MARKETS)}, got {_short(m)!r}")
    return chosen or list(MARKETS)


def books(params: QueryParams, known: Iterable[str]) -> list[str] | None:
    """``book`` (repeatable, or comma separated): a book key among ``known``; default all."""
    allowed = set(known)
    chosen = _split(params.getlist("book"))
    for b in chosen:
        if not _KEY.match(b) or b not in allowed:
            raise ParameterError(
                f"unknown book {_short(b)!r}: use one of {', '.join(sorted(allowed))}"
            )
    return chosen or None


def _split(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def when(params: QueryParams, clock: Clock, name: str = "at") -> datetime:
    """``at``: ISO 8601 (UTC if no offset) or 'now'; default the clock's now."""
    text = params.get(name, "").strip()
    if not text:
        return clock.now()
    # A "+" typed into a URL arrives as a space: 12:00:00+01:00 reads 12:00:00 01:00.
    text = _LOST_PLUS.sub(r"\1+\2", text)
    try:
        found = parse_when(text, clock)
    except (QueryError, ValueError, OverflowError, OSError):
        found = None
    if found is None:
        raise ParameterError(
            f"{name} must be a time like 2024-01-09T23:00:00Z or 'now', got {_short(text)!r}"
        )
    return found


def day(params: QueryParams) -> datetime | None:
    """``date``: a UTC day, YYYY-MM-DD; default none (the next ``hours`` instead)."""
    text = params.get("date", "").strip()
    if not text:
        return None
    try:
        found = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise ParameterError(f"date must be a day like 2024-01-09, got {_short(text)!r}") from None
    return found.replace(tzinfo=UTC)


def number(params: QueryParams, name: str, default: float, low: float, high: float) -> float:
    """A finite number in ``[low, high]``."""
    text = params.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not low <= value <= high:
        raise ParameterError(
            f"{name} must be a number from {low:g} to {high:g}, got {_short(text)!r}"
        )
    return value


def event_id(text: str) -> str:
    """An event id or a prefix of one (letters, digits, '-' and '_')."""
    if not _EVENT.match(text):
        raise ParameterError(f"not an event id: {_short(text)!r}")
    return text


def result_name(text: str, available: Iterable[str]) -> str:
    """The file name of a saved backtest result in the results folder (never a path)."""
    if not _RESULT.match(text) or text not in set(available):
        raise ParameterError(f"no saved backtest result named {_short(text)!r}")
    return text

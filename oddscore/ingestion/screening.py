"""What the database can hold: a record with a value no column or driver takes is refused.

A record is one event of a payload (its header, its bookmakers' quotes and its raw JSON). It
is refused, with a ``data_quality_logs`` finding naming the field and why, and the rest of the
payload is stored, when

* one of its times lies outside ``oddscore.clock.EARLIEST`` .. ``LATEST`` (year 1 or 9999: no odds
  are that old or that far ahead, and the time-window arithmetic of planning overflows);
* a text stored in a column is longer than the column (PostgreSQL refuses the whole
  transaction, SQLite would store it whole: refusing it here gives both the same answer);
* any text of it, keys of the raw JSON included, holds a NUL character or a lone surrogate
  (PostgreSQL's text and JSONB cannot hold the first, no UTF-8 can spell the second; SQLite
  would store the first).

The column widths are read from the table models, so a migration that widens a column
widens what is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from operator import attrgetter
from typing import Any

import orjson

from oddscore.clock import check_time_range
from oddscore.ingestion.quotes import Quote
from oddscore.ingestion.validation import Action, Finding
from oddscore.provider.models import EventInfo
from oddscore.storage.models import Event, Odds, Severity

__all__ = ["printable", "refusal_of", "storable_id"]


def _width(column: Any) -> int:
    length = getattr(column.type, "length", None)
    assert isinstance(length, int), column
    return length


_EVENT_WIDTHS = {
    name: _width(Event.__table__.c[name])  # type: ignore[attr-defined]
    for name in ("id", "sport_key", "sport_title", "home_team", "away_team")
}
_QUOTE_WIDTHS = {
    name: _width(Odds.__table__.c[name])  # type: ignore[attr-defined]
    for name in ("bookmaker_key", "market_key", "outcome_name", "outcome_description")
}


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield path, str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def _unstorable(text: str) -> str | None:
    """Why no text column can hold ``text``, or None."""
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (not UTF-8)"
    return None


def printable(text: str) -> str:
    """``text`` as a column can hold it: a NUL or a lone surrogate spelled as an escape."""
    if _unstorable(text) is None:
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _shown(value: str) -> str:
    # repr spells a NUL as \x00: the finding itself must be storable.
    shown = repr(value)
    return shown if len(shown) <= 60 else f"{shown[:57]}..."


def storable_id(event_id: Any) -> str | None:
    """The event id a finding may name, or None when the id itself cannot be stored."""
    if isinstance(event_id, str) and _unstorable(event_id) is None:
        if len(event_id) <= _EVENT_WIDTHS["id"]:
            return event_id
    return None


def _problem(info: EventInfo, quotes: Sequence[Quote], raw: Any) -> tuple[str, str, str] | None:
    """(issue type, field, why) of the first unstorable value of a record, or None."""
    for name, width in _EVENT_WIDTHS.items():
        text = getattr(info, name)
        why = _unstorable(text)
        if why:
            return "unstorable_value", name, f"{name} {_shown(text)} {why}"
        if len(text) > width:
            return "unstorable_value", name, f"{name} is {len(text)} characters (limit {width})"
    why = check_time_range(info.commence_time, "commence_time")
    if why:
        return "time_out_of_range", "commence_time", why
    # Distinct values at C speed: a season holds ~125,000 quotes and few distinct texts.
    for name, width in _QUOTE_WIDTHS.items():
        texts = set(map(attrgetter(name), quotes))
        texts.discard(None)
        longest = max(texts, key=len, default="")
        if len(longest) > width:
            quote = next(q for q in quotes if getattr(q, name) == longest)
            where = f"{quote.bookmaker_key[:20]} {name}"
            return "unstorable_value", name, f"{where} is {len(longest)} characters (limit {width})"
    stamps = set(map(attrgetter("last_update"), quotes))
    stamps.discard(None)
    for stamp in (min(stamps), max(stamps)) if stamps else ():
        quote = next(q for q in quotes if q.last_update == stamp)
        why = check_time_range(stamp, f"{quote.bookmaker_key[:20]} last_update")
        if why:
            return "time_out_of_range", "last_update", why
    if raw is None:
        return None
    try:
        if b"\\u0000" not in orjson.dumps(raw, option=orjson.OPT_NON_STR_KEYS):
            return None  # the common case, at C speed; the walk below names the field
    except (orjson.JSONEncodeError, TypeError):
        pass  # a lone surrogate (orjson refuses it): the walk names it
    for path, text in _strings(raw, ""):
        why = _unstorable(text)
        if why:
            where = printable(path) or "a key"
            return "unstorable_value", where, f"{where} {_shown(text)} {why}"
    return None


def refusal_of(info: EventInfo, quotes: Sequence[Quote] = (), raw: Any = None) -> Finding | None:
    """The finding refusing this record (an event, its quotes, its raw JSON), or None: the
    record is storable."""
    problem = _problem(info, quotes, raw)
    if problem is None:
        return None
    issue_type, field, why = problem
    event_id = storable_id(info.id)
    return Finding(
        issue_type,
        Severity.ERROR,
        Action.DROP,
        f"event {_shown(info.id) if event_id is None else event_id} not stored: {why}",
        event_id=event_id,
        context={"field": field[:100], "rows": len(quotes)},
    )

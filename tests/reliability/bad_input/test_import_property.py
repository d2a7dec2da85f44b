"""Property: a recorded file with hostile fields never breaks the import nor costs a good record.

Hypothesis writes historical ``{timestamp, data}`` documents: a few valid games (each its own
teams, so nothing merges them) among games spoiled at one to three places (a field set to
``None``, a wrong type, a huge number, a long text, a NUL or a lone surrogate, a time in year
1 or 9999, a naive time, a nested list ...). ``import_snapshots`` must never raise anything but
the project's own errors, and every valid game of the file must be stored whole: its event,
its snapshot and its 12 odds rows. Documents whose envelope itself is hostile (the timestamp,
``data``) may fail as a whole, listed with a one-line reason, never with a foreign exception.

Both backends; about 30 documents each (``HYPOTHESIS_PROFILE=ci`` replays fixed ones).
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel

from oddscore.clock import FrozenClock
from oddscore.exceptions import OddscoreError
from oddscore.ingestion.files import ImportSummary, import_snapshots
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.ingestion.teams import NBA_TEAMS
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import NOW, base_payload

TEAMS = sorted(NBA_TEAMS)
STAMP = "2024-01-09T12:10:00Z"
ROWS_PER_GAME = 12  # the base event: 2 books x h2h, spreads, totals

# Where an event can be spoiled (dotted, as in cases.json), and with what.
PATHS = [
    "id",
    "sport_key",
    "sport_title",
    "commence_time",
    "home_team",
    "away_team",
    "bookmakers",
    "bookmakers.0",
    "bookmakers.0.key",
    "bookmakers.0.title",
    "bookmakers.0.last_update",
    "bookmakers.0.markets",
    "bookmakers.0.markets.0",
    "bookmakers.0.markets.0.key",
    "bookmakers.0.markets.0.last_update",
    "bookmakers.0.markets.0.outcomes",
    "bookmakers.0.markets.0.outcomes.0",
    "bookmakers.0.markets.0.outcomes.0.name",
    "bookmakers.0.markets.0.outcomes.0.price",
    "bookmakers.1.markets.1.outcomes.1.point",
    "bookmakers.1.markets.2.outcomes.0.point",
    "bookmakers.1.markets.2.outcomes.0.description",
    "extra\x00key",
]
TIMES = [
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2024-01-10T00:10:00",
    "tomorrow night",
    "",
    "2024-02-30T00:00:00Z",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.text(min_size=60, max_size=300),
    st.sampled_from(TIMES),
    st.sampled_from(["a\x00b", "\ud800", "x" * 65, "y" * 101, "-150.5", "Over"]),
    st.sampled_from([-150.5, 99.5, -228.5, 1e308, -1e-300, 10**19]),
)
HOSTILE = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _valid(index: int) -> dict[str, Any]:
    event = copy.deepcopy(base_payload()[0])
    home, away = TEAMS[2 * index], TEAMS[2 * index + 1]
    event.update(id=f"{index:02d}" + "a" * 30, home_team=home, away_team=away)
    for book in event["bookmakers"]:
        for outcome in book["markets"][0]["outcomes"]:
            outcome["name"] = {"Denver Nuggets": home, "Los Angeles Lakers": away}[outcome["name"]]
        for outcome in book["markets"][1]["outcomes"]:
            outcome["name"] = {"Denver Nuggets": home, "Los Angeles Lakers": away}[outcome["name"]]
    return event


def _set(doc: Any, path: str, value: Any) -> None:
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        key: Any = int(part) if part.isdigit() else part
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return  # an earlier spoil removed the way there
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = value


@st.composite
def hostile_event(draw: st.DrawFn, index: int) -> dict[str, Any]:
    # Teams no valid game has, and a fresh id: a spoiled game never merges with a valid one.
    event = copy.deepcopy(base_payload()[0])
    event.update(
        id=f"h{index:02d}" + "b" * 29, home_team=f"Home {index}", away_team=f"Away {index}"
    )
    for _ in range(draw(st.integers(1, 3))):
        _set(event, draw(st.sampled_from(PATHS)), draw(HOSTILE))
    return event


@st.composite
def documents(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    valid = draw(st.integers(0, 3))
    events: list[Any] = [_valid(i) for i in range(valid)]
    hostile = draw(st.integers(1, 3))
    for index in range(hostile):
        events.insert(draw(st.integers(0, len(events))), draw(hostile_event(index)))
    return {"timestamp": STAMP, "data": events}, [_valid(i)["id"] for i in range(valid)]


ENVELOPES = st.fixed_dictionaries(
    {"timestamp": st.one_of(HOSTILE, st.just(STAMP)), "data": st.one_of(HOSTILE, st.just([]))}
)


async def _import(url: str, document: Any) -> tuple[ImportSummary, dict[str, tuple[int, int]]]:
    """Import ``document`` as one file into an emptied database: the summary, and per stored
    event id its (snapshots, odds rows)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "odds", "2023-2024")
        folder.mkdir(parents=True)
        (folder / "odds_2024-01-09.json").write_text(json.dumps(document))
        async with Database.from_url(url, null_pool=True) as db:
            async with db.engine.begin() as conn:
                for table in reversed(SQLModel.metadata.sorted_tables):
                    await conn.execute(table.delete())
            try:
                summary = await import_snapshots(
                    db, Path(tmp), options=IngestOptions(clock=FrozenClock(NOW))
                )
            except OddscoreError as exc:  # the project's own: allowed, but must be said
                raise AssertionError(f"the import stopped: {exc}") from exc
            async with db.session() as session:
                rows = await session.execute(
                    text(
                        "SELECT e.id, (SELECT count(*) FROM odds_snapshots s "
                        "WHERE s.event_id = e.id), (SELECT count(*) FROM odds o "
                        "WHERE o.event_id = e.id) FROM events e"
                    )
                )
                stored = {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return summary, stored


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=documents())
def test_hostile_fields_never_cost_a_valid_record(
    db_url: str, drawn: tuple[dict[str, Any], list[str]]
) -> None:
    document, valid_ids = drawn
    summary, stored = asyncio.run(_import(db_url, document))
    assert summary.failures == [], summary.failures  # the envelope is sound: the file imports
    for event_id in valid_ids:
        assert stored.get(event_id) == (1, ROWS_PER_GAME), (event_id, stored, summary.result)
    for reason in summary.result.refusal_reasons:
        assert "\n" not in reason and "\x00" not in reason


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=ENVELOPES)
def test_a_hostile_envelope_fails_as_a_whole_with_one_line(
    db_url: str, document: dict[str, Any]
) -> None:
    summary, stored = asyncio.run(_import(db_url, document))
    assert summary.files == 1
    if summary.failures:
        ((path, reason),) = summary.failures
        assert path.endswith("odds_2024-01-09.json")
        assert reason.startswith("odds_2024-01-09.json") and "\n" not in reason
        assert stored == {}

"""The plain-SQL reads give the same answers on the bare driver as through SQLAlchemy.

A query command reads on :func:`oddscore.storage.reader.open_reader` (asyncpg or aiosqlite
directly); flows, the screen and the other tests read the same functions on an
``AsyncSession``. Both backends, both sessions, one set of rows: the answers must agree, and
the timestamps come back as aware UTC datetimes either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oddscore.config import DatabaseSettings
from oddscore.exceptions import QueryError, StorageError
from oddscore.queries.asof_one import odds_as_of
from oddscore.queries.events import get_event, resolve_event_id
from oddscore.queries.health import flow_activity, validation_rate
from oddscore.queries.lines import line_movement
from oddscore.queries.overview import status_overview
from oddscore.queries.plain import bind, fetch
from oddscore.storage import Database, DataQualityLog, FetchLog
from oddscore.storage.reader import open_reader
from tests.queries.factories import T0, Q, add_events, add_fetch_logs, add_quotes, event_id
from tests.queries.factories import make_event as event

NOW = T0 + timedelta(days=2)


async def _fill(db: Database) -> None:
    await add_events(db, [event(1), event(2, commence=T0 + timedelta(days=1), home="Boston")])
    before, during = T0 - timedelta(hours=2), T0 + timedelta(minutes=30)
    await add_quotes(
        db,
        event_id(1),
        [
            Q("pinnacle", "h2h", "Denver Nuggets", -150, at=before),
            Q("pinnacle", "h2h", "Los Angeles Lakers", 130, at=before),
            Q("fanduel", "spreads", "Denver Nuggets", -110, -3.5, at=before),
            Q("fanduel", "spreads", "Denver Nuggets", -115, -4.0, at=T0 - timedelta(minutes=5)),
            Q("pinnacle", "h2h", "Denver Nuggets", -400, at=during),
            Q("draftkings", "h2h", "Denver Nuggets", 9000, at=before, valid=False),
        ],
        tiers={before: "pregame"},
    )
    await add_fetch_logs(
        db,
        [
            FetchLog(
                request_id="a",
                fetch_time=NOW - timedelta(days=9),
                endpoint="/v4/sports/basketball_nba/odds",
                api_quota_remaining=900,
                api_quota_used=100,
                api_quota_last=3,
            ),
            FetchLog(
                request_id="b",
                fetch_time=NOW - timedelta(hours=5),
                endpoint="/v4/historical/sports/basketball_nba/events",
                api_quota_last=1,
            ),
            FetchLog(
                request_id="c",
                fetch_time=NOW - timedelta(hours=1),
                flow_name="collect",
                endpoint="/v4/sports/basketball_nba/odds",
                success=False,
                error_code="TIMEOUT",
                error_message="no answer",
            ),
        ],
    )
    async with db.session() as session:
        session.add_all(
            [
                DataQualityLog(
                    event_id=event_id(1),
                    snapshot_time=T0 - timedelta(hours=2),
                    issue_type="price_bounds",
                    description="+9000",
                    severity="error",
                ),
                DataQualityLog(issue_type="stale", description="old", severity="info"),
            ]
        )


async def _both(db: Database, read: Callable[[Any], Awaitable[Any]]) -> tuple[Any, Any]:
    """``read`` on an AsyncSession, then on the driver connection a command uses."""
    async with db.session() as session:
        through_sqlalchemy = await read(session)
    async with open_reader(DatabaseSettings(url=db.url)) as reader:
        on_the_driver = await read(reader)
    return through_sqlalchemy, on_the_driver


async def test_status_page_is_the_same_on_the_driver(db: Database) -> None:
    await _fill(db)

    async def page(session: Any) -> Any:
        overview = await status_overview(
            session, NOW, database="db", verbose=True, plan_quota=20_000
        )
        since = T0 - timedelta(days=1)
        return overview, await flow_activity(session, since), await validation_rate(session, since)

    (overview, flows, rate), driver = await _both(db, page)
    assert driver == (overview, flows, rate)
    assert overview.rows["odds"] == 6 and overview.quality.invalid_rows == 1
    assert overview.quota.remaining == 900
    assert overview.quota.reported_at == NOW - timedelta(days=9)
    assert overview.fetches.last_error == "TIMEOUT no answer"
    assert overview.fetches.last_failure == NOW - timedelta(hours=1)
    assert [(f.flow, f.requests) for f in flows] == [
        ("collect", 1),
        ("historical events", 1),
        ("odds", 0),
    ]
    assert (rate.snapshots, rate.flagged) == (3, 1)
    assert {b.bookmaker_key: b.rows for b in overview.books} == {
        "pinnacle": 3,
        "fanduel": 2,
        "draftkings": 1,
    }
    assert overview.books[0].last_quote is not None
    assert overview.books[0].last_quote.tzinfo is UTC


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        ({}, 5),
        ({"bookmakers": ["pinnacle"], "markets": ["h2h"]}, 3),
        ({"bookmakers": [], "pregame_only": True}, 0),
        ({"pregame_only": True, "valid_only": False}, 5),
    ],
    ids=["all", "one book and market", "no book", "pre-game, invalid too"],
)
async def test_line_movement_is_the_same_on_the_driver(
    db: Database, filters: dict[str, Any], count: int
) -> None:
    await _fill(db)
    points, driver = await _both(db, lambda s: line_movement(s, event_id(1), **filters))
    assert driver == points
    assert len(points) == count
    assert all(p.odds_timestamp.tzinfo is UTC for p in points)
    if filters.get("pregame_only"):
        assert all(p.odds_timestamp < T0 for p in points)
    assert any(p.price == 9000 for p in points) == (filters.get("valid_only") is False)


@pytest.mark.parametrize(
    ("at", "filters", "count"),
    [
        (T0 - timedelta(minutes=1), {}, 3),
        (T0 - timedelta(minutes=1), {"valid_only": False}, 4),
        (T0 + timedelta(hours=1), {"bookmakers": ["pinnacle"]}, 1),
        (T0 - timedelta(minutes=1), {"markets": []}, 0),
        (T0 - timedelta(minutes=1), {"max_staleness": timedelta(minutes=10)}, 1),
    ],
    ids=["board", "invalid too", "one book in play", "no market", "ten minutes old at most"],
)
async def test_the_as_of_board_is_the_same_on_the_driver(
    db: Database, at: datetime, filters: dict[str, Any], count: int
) -> None:
    await _fill(db)
    board, driver = await _both(db, lambda s: odds_as_of(s, event_id(1), at, **filters))
    assert driver == board
    assert len(board) == count
    assert all(q.as_of == at and q.odds_timestamp <= at for q in board)
    # One snapshot per (book, market): fanduel's spread is its newer -4.0, never both points.
    assert [q.point for q in board if q.market_key == "spreads"] in ([], [-4.0])


async def test_events_resolve_the_same_on_the_driver(db: Database) -> None:
    await _fill(db)

    async def found(session: Any) -> Any:
        return await get_event(session, await resolve_event_id(session, event_id(2)))

    summary, driver = await _both(db, found)
    assert driver == summary
    assert (summary.home_team, summary.commence_time) == ("Boston", T0 + timedelta(days=1))
    for session_kind in ("sqlalchemy", "driver"):
        with pytest.raises(QueryError, match="ambiguous"):
            if session_kind == "sqlalchemy":
                async with db.session() as session:
                    await resolve_event_id(session, "0000")
            else:
                async with open_reader(DatabaseSettings(url=db.url)) as reader:
                    await resolve_event_id(reader, "0000")


async def test_a_wildcard_in_a_prefix_is_literal(db: Database) -> None:
    await _fill(db)
    async with open_reader(DatabaseSettings(url=db.url)) as reader:
        with pytest.raises(QueryError, match="no event id starts with"):
            await resolve_event_id(reader, "%")


def test_times_are_bound_as_each_backend_stores_them() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert bind("x >= :t", {"t": when}, "sqlite")[1] == {"t": "2024-01-02 03:04:05.000006"}
    assert bind("x >= :t", {"t": when}, "postgresql")[1] == {"t": when}
    with pytest.raises(ValueError, match="naive"):
        bind("x >= :t", {"t": when.replace(tzinfo=None)}, "sqlite")


def test_lists_expand_and_an_empty_list_matches_nothing() -> None:
    assert bind("k IN :ks AND j = :j", {"ks": ["a", "b"], "j": 1}, "sqlite") == (
        "k IN (:ks_0, :ks_1) AND j = :j",
        {"ks_0": "a", "ks_1": "b", "j": 1},
    )
    assert bind("k IN :ks", {"ks": []}, "postgresql") == ("k IN (NULL)", {})
    # A filter the statement left out binds nothing.
    assert bind("k = 1", {"ks": None}, "sqlite") == ("k = 1", {})


async def test_a_missing_schema_on_the_driver_names_the_fix(tmp_path: Any) -> None:
    settings = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(StorageError, match="no schema yet"):
        async with open_reader(settings) as reader:
            await fetch(reader, "SELECT count(*) FROM odds")


async def test_an_unreachable_server_is_a_storage_error() -> None:
    settings = DatabaseSettings(url="postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="database error") as raised:
        async with open_reader(settings):
            pass
    assert "secret" not in str(raised.value)


async def test_core_statements_share_the_driver_connection(db: Database) -> None:
    """The bulk as-of queries are still Core: on a ReadSession they run on the command's one
    connection (a temporary table lives only there)."""
    from sqlalchemy import select, text

    from oddscore.queries._sql import EVENTS

    await _fill(db)
    async with open_reader(DatabaseSettings(url=db.url)) as reader:
        await fetch(reader, "CREATE TEMPORARY TABLE probe (n integer)")
        ids = (await reader.execute(select(EVENTS.c.id).order_by(EVENTS.c.id))).scalars().all()
        probed = (await reader.execute(text("SELECT count(*) FROM probe"))).scalar_one()
        [(plain,)] = await fetch(reader, "SELECT count(*) FROM events")
    assert ids == [event_id(1), event_id(2)]
    assert (probed, plain) == (0, 2)


async def test_a_url_with_connection_options_reads_through_sqlalchemys_dialect(
    db: Database,
) -> None:
    """``?ssl=disable`` is an asyncpg connect argument for SQLAlchemy's dialect, but a server
    setting to asyncpg's own DSN parser: such a URL connects the way it always did."""
    await _fill(db)
    option = "?timeout=5" if db.url.startswith("sqlite") else "?ssl=disable"
    async with open_reader(DatabaseSettings(url=db.url + option)) as reader:
        [(events,)] = await fetch(reader, "SELECT count(*) FROM events")
        board = await odds_as_of(reader, event_id(1), T0 - timedelta(minutes=1))
    assert events == 2
    assert len(board) == 3

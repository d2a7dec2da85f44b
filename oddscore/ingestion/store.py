"""The writes and reads of one ingestion transaction, set-based: a few statements per payload.

Every function takes the open ``AsyncConnection`` of the caller's transaction, so that a whole
payload commits or rolls back as one. Odds rows take the fastest path each backend has:
``COPY`` through asyncpg's raw connection on PostgreSQL, one ``executemany`` on SQLite.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ARRAY,
    String,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.exceptions import DataQualityError, MalformedResponseError, StorageError
from oddscore.ingestion.quotes import Quote
from oddscore.ingestion.validation import PreviousQuote, QuoteKey
from oddscore.storage.engine import database_error_line, driver_rows
from oddscore.storage.models import (
    DataQualityLog,
    Event,
    EventAlias,
    EventStatus,
    FetchLog,
    Odds,
    OddsSnapshot,
)

__all__ = [
    "ODDS_COLUMNS",
    "EventState",
    "cached_statement",
    "copy_odds",
    "dialect_insert",
    "insert_aliases",
    "insert_fetch_log",
    "insert_findings",
    "insert_snapshots",
    "load_aliases",
    "load_events",
    "load_events_near",
    "load_snapshot_keys",
    "load_teams_near",
    "load_previous_quotes",
    "lock_events",
    "merge_events",
    "merge_many",
    "odds_records",
    "set_final_scores",
    "transaction",
    "update_listed_events",
    "upsert_events",
    "window",
]

EV = Event.__table__  # type: ignore[attr-defined]
ALIAS = EventAlias.__table__  # type: ignore[attr-defined]
SNAP = OddsSnapshot.__table__  # type: ignore[attr-defined]
ODDS = Odds.__table__  # type: ignore[attr-defined]
DQ = DataQualityLog.__table__  # type: ignore[attr-defined]
FETCH = FetchLog.__table__  # type: ignore[attr-defined]

T = TypeVar("T")

ODDS_COLUMNS = (
    "snapshot_id",
    "event_id",
    "bookmaker_key",
    "bookmaker_title",
    "market_key",
    "outcome_name",
    "outcome_description",
    "price",
    "point",
    "odds_timestamp",
    "last_update",
    "is_valid",
    "validation_notes",
    "created_at",
)
# SQLite parameters per statement are capped (32766 since 3.32); IN lists stay well below.
_CHUNK = 500


@dataclass(slots=True)
class EventState:
    """What ingestion needs to know about a stored event."""

    id: str
    sport_key: str
    home_team: str
    away_team: str
    commence_time: datetime
    status: str
    last_seen_at: datetime | None
    has_result: bool


# pg_advisory_xact_lock key of "which stored event is this": any 64-bit constant no other
# lock of the project uses (it is the first 8 bytes of sha256("oddscore.events")).
EVENTS_LOCK_KEY = 0x14C2_C0DD_C633_7679


async def lock_events(conn: AsyncConnection) -> None:
    """Hold the event-resolution lock until this transaction ends (PostgreSQL).

    Resolving ids (aliases, two ids of one game) reads the stored events and writes on what it
    read. Two transactions doing it at once each decide on a state the other is changing: one
    merges an id away while the other, having read it as stored, upserts it back (27 games of
    the 2023-24 season under two ids after two concurrent imports). Taken before the first
    read, the lock makes every resolution see the previous one committed. It is transaction
    scoped, so a crash or rollback releases it; taking it again in the same transaction is
    free. SQLite needs nothing: its write transactions start with ``BEGIN IMMEDIATE`` and so
    already run one at a time.
    """
    await advisory_lock(conn, EVENTS_LOCK_KEY)


async def advisory_lock(conn: AsyncConnection, key: int) -> None:
    """Hold PostgreSQL's transaction-scoped advisory lock ``key`` until this transaction
    ends (nothing on SQLite: :func:`transaction` starts its write transactions with ``BEGIN
    IMMEDIATE``, so they already run one at a time)."""
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def dialect_insert(dialect: str, table: Any) -> Any:
    """An INSERT that takes ``ON CONFLICT`` on this dialect (PostgreSQL's, else SQLite's)."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def _insert(conn: AsyncConnection, table: Any) -> Any:
    return dialect_insert(conn.dialect.name, table)


_STATEMENTS: dict[tuple[Callable[[AsyncConnection], Any], str], Any] = {}


def cached_statement(conn: AsyncConnection, build: Callable[[AsyncConnection], Any]) -> Any:
    """``build(conn)``, built once per dialect and reused with bound parameters.

    An import runs ~4,000 small statements; building each one afresh (and computing its
    cache key) cost twice the time of executing it (0.36 ms against 0.17 ms a statement).
    """
    key = (build, conn.dialect.name)
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = build(conn)
    return found


def _among_param(conn: AsyncConnection, column: Any, name: str) -> Any:
    """``column IN :name`` for a list bound at execution: one array parameter on PostgreSQL,
    so that the statement text (and asyncpg's prepared statement) is the same whatever the
    number of values."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def _aliases_of(conn: AsyncConnection) -> Any:
    return select(ALIAS.c.alias_id, ALIAS.c.event_id).where(
        _among_param(conn, ALIAS.c.alias_id, "ids")
    )


async def load_aliases(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, str]:
    """alias id -> the event id it was merged into, for the ids given."""
    found: dict[str, str] = {}
    statement = cached_statement(conn, _aliases_of)
    for chunk in _chunks(list(ids)):
        rows = await conn.execute(statement, {"ids": list(chunk)})
        found.update({str(alias): str(event) for alias, event in rows})
    return found


def _state(row: Any) -> EventState:
    return EventState(
        id=row.id,
        sport_key=row.sport_key,
        home_team=row.home_team,
        away_team=row.away_team,
        commence_time=row.commence_time,
        status=row.status,
        last_seen_at=row.last_seen_at,
        has_result=row.home_score is not None,
    )


_STATE_COLUMNS = (
    EV.c.id,
    EV.c.sport_key,
    EV.c.home_team,
    EV.c.away_team,
    EV.c.commence_time,
    EV.c.status,
    EV.c.last_seen_at,
    EV.c.home_score,
)


def _events_of(conn: AsyncConnection) -> Any:
    return select(*_STATE_COLUMNS).where(_among_param(conn, EV.c.id, "ids"))


def _events_near(conn: AsyncConnection) -> Any:
    return select(*_STATE_COLUMNS).where(
        EV.c.sport_key == bindparam("sport_key"),
        EV.c.commence_time >= bindparam("start", type_=EV.c.commence_time.type),
        EV.c.commence_time <= bindparam("end", type_=EV.c.commence_time.type),
        _among_param(conn, EV.c.home_team, "homes"),
    )


async def load_events(conn: AsyncConnection, ids: Iterable[str]) -> dict[str, EventState]:
    found: dict[str, EventState] = {}
    statement = cached_statement(conn, _events_of)
    for chunk in _chunks(sorted(set(ids))):
        rows = await conn.execute(statement, {"ids": list(chunk)})
        found.update({row.id: _state(row) for row in rows})
    return found


async def load_events_near(
    conn: AsyncConnection,
    sport_key: str,
    pairs: Sequence[tuple[str, str]],
    start: datetime,
    end: datetime,
) -> list[EventState]:
    """Stored events of these (home, away) pairs commencing in [start, end]."""
    wanted = set(pairs)
    homes = sorted({home for home, _ in wanted})
    return [
        state
        for state in await load_teams_near(conn, sport_key, homes, start, end)
        if (state.home_team, state.away_team) in wanted
    ]


async def load_teams_near(
    conn: AsyncConnection, sport_key: str, homes: Sequence[str], start: datetime, end: datetime
) -> list[EventState]:
    """Stored events of a sport with one of these home teams, commencing in [start, end]."""
    found: list[EventState] = []
    statement = cached_statement(conn, _events_near)
    for chunk in _chunks(sorted(set(homes))):
        result = await conn.execute(
            statement, {"sport_key": sport_key, "start": start, "end": end, "homes": list(chunk)}
        )
        found.extend(_state(row) for row in result)
    return found


def _snapshot_keys(conn: AsyncConnection) -> Any:
    return select(SNAP.c.event_id, SNAP.c.snapshot_time).where(
        _among_param(conn, SNAP.c.event_id, "ids"),
        SNAP.c.snapshot_time >= bindparam("start", type_=SNAP.c.snapshot_time.type),
        SNAP.c.snapshot_time <= bindparam("end", type_=SNAP.c.snapshot_time.type),
    )


async def load_snapshot_keys(
    conn: AsyncConnection, event_ids: Sequence[str], start: datetime, end: datetime
) -> set[tuple[str, datetime]]:
    """(event id, snapshot time) of the stored snapshots of these events in [start, end]."""
    found: set[tuple[str, datetime]] = set()
    statement = cached_statement(conn, _snapshot_keys)
    for chunk in _chunks(sorted(set(event_ids))):
        result = await conn.execute(statement, {"ids": list(chunk), "start": start, "end": end})
        found.update((str(event_id), taken) for event_id, taken in result)
    return found


async def merge_events(conn: AsyncConnection, loser: str, winner: str, now: datetime) -> None:
    """Move everything of event ``loser`` to ``winner``, delete it, remember it as an alias.

    Snapshots the winner already has at the same time win; the loser's copy is dropped.
    """
    clash = select(SNAP.c.snapshot_time).where(SNAP.c.event_id == winner).scalar_subquery()
    clashing = select(SNAP.c.id).where(SNAP.c.event_id == loser, SNAP.c.snapshot_time.in_(clash))
    await conn.execute(delete(ODDS).where(ODDS.c.snapshot_id.in_(clashing)))
    await conn.execute(
        delete(SNAP).where(SNAP.c.event_id == loser, SNAP.c.snapshot_time.in_(clash))
    )
    for table, column in ((SNAP, SNAP.c.event_id), (ODDS, ODDS.c.event_id), (DQ, DQ.c.event_id)):
        await conn.execute(update(table).where(column == loser).values(event_id=winner))
    await conn.execute(update(ALIAS).where(ALIAS.c.event_id == loser).values(event_id=winner))
    # A result already known under the old id must survive the merge.
    old = (
        await conn.execute(
            select(
                EV.c.status, EV.c.home_score, EV.c.away_score, EV.c.completed_at, EV.c.result_source
            ).where(EV.c.id == loser)
        )
    ).first()
    if old is not None and old.home_score is not None:
        await conn.execute(
            update(EV)
            .where(EV.c.id == winner, EV.c.home_score.is_(None))
            .values(
                status=old.status,
                home_score=old.home_score,
                away_score=old.away_score,
                completed_at=old.completed_at,
                result_source=old.result_source,
                updated_at=now,
            )
        )
    await conn.execute(delete(EV).where(EV.c.id == loser))
    await conn.execute(
        _insert(conn, ALIAS)
        .values(alias_id=loser, event_id=winner, created_at=now)
        .on_conflict_do_update(index_elements=["alias_id"], set_={"event_id": winner})
    )


async def merge_many(
    conn: AsyncConnection, pairs: Sequence[tuple[str, str]], now: datetime
) -> None:
    """:func:`merge_events` for many (loser, winner) pairs, nine statements whatever their
    number. The pairs are first remembered as aliases, and every statement then finds each
    loser's winner there. Pairs that chain (a winner merged away, or two pairs sharing an
    event) depend on their order and are merged one by one."""
    losers = [loser for loser, _ in pairs]
    winners = [winner for _, winner in pairs]
    if len(pairs) < 2 or len({*losers, *winners}) != 2 * len(pairs):
        for loser, winner in pairs:
            await merge_events(conn, loser, winner, now)
        return
    await conn.execute(
        _insert(conn, ALIAS)
        .values([{"alias_id": a, "event_id": e, "created_at": now} for a, e in pairs])
        .on_conflict_do_update(
            index_elements=["alias_id"], set_={"event_id": _insert(conn, ALIAS).excluded.event_id}
        )
    )
    winner_of = ALIAS.alias("winner_of")
    other = SNAP.alias("other")

    def winner_id(column: Any) -> Any:
        return (
            select(winner_of.c.event_id)
            .where(winner_of.c.alias_id == column)
            .correlate(column.table)
            .scalar_subquery()
        )

    # Snapshots the winner already has at the same time win; the loser's copy is dropped.
    clashing = select(SNAP.c.id).where(
        SNAP.c.event_id.in_(losers),
        select(other.c.id)
        .where(
            other.c.event_id == winner_id(SNAP.c.event_id),
            other.c.snapshot_time == SNAP.c.snapshot_time,
        )
        .exists(),
    )
    await conn.execute(delete(ODDS).where(ODDS.c.snapshot_id.in_(clashing)))
    await conn.execute(delete(SNAP).where(SNAP.c.id.in_(clashing)))
    for table in (SNAP, ODDS, DQ):
        await conn.execute(
            update(table)
            .where(table.c.event_id.in_(losers))
            .values(event_id=winner_id(table.c.event_id))
        )
    await conn.execute(
        update(ALIAS)
        .where(ALIAS.c.event_id.in_(losers))
        .values(event_id=winner_id(ALIAS.c.event_id))
    )
    # A result already known under the old id must survive the merge.
    loser_ev = EV.alias("loser_ev")
    loser_alias = ALIAS.alias("loser_alias")

    def from_loser(column: str) -> Any:
        return (
            select(loser_ev.c[column])
            .join(loser_alias, loser_alias.c.alias_id == loser_ev.c.id)
            .where(
                loser_alias.c.event_id == EV.c.id,
                loser_ev.c.id.in_(losers),
                loser_ev.c.home_score.is_not(None),
            )
            .scalar_subquery()
        )

    columns = ("status", "home_score", "away_score", "completed_at", "result_source")
    await conn.execute(
        update(EV)
        .where(
            EV.c.id.in_(winners), EV.c.home_score.is_(None), from_loser("home_score").is_not(None)
        )
        .values(**{name: from_loser(name) for name in columns}, updated_at=now)
    )
    await conn.execute(delete(EV).where(EV.c.id.in_(losers)))


def _new_aliases(conn: AsyncConnection) -> Any:
    return _insert(conn, ALIAS).on_conflict_do_nothing(index_elements=["alias_id"])


async def insert_aliases(
    conn: AsyncConnection, pairs: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Remember ids that were never stored because another id of the same game won."""
    if pairs:
        stmt = cached_statement(conn, _new_aliases)
        await conn.execute(
            stmt, [{"alias_id": a, "event_id": e, "created_at": now} for a, e in pairs]
        )


def _new_snapshots(conn: AsyncConnection) -> Any:
    return (
        _insert(conn, SNAP)
        .on_conflict_do_nothing(index_elements=["event_id", "snapshot_time"])
        .returning(SNAP.c.id, SNAP.c.event_id, SNAP.c.snapshot_time)
    )


async def insert_snapshots(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, datetime], int]:
    """Insert the snapshots not stored yet, in one statement; (event id, snapshot time) -> new
    snapshot id (skipped ones absent)."""
    if not rows:
        return {}
    result = await conn.execute(cached_statement(conn, _new_snapshots), list(rows))
    return {(event_id, taken): snapshot_id for snapshot_id, event_id, taken in result}


def _previous_quotes(conn: AsyncConnection) -> Any:
    latest = (
        select(SNAP.c.event_id, func.max(SNAP.c.snapshot_time).label("taken"))
        .where(
            _among_param(conn, SNAP.c.event_id, "ids"),
            SNAP.c.snapshot_time < bindparam("before", type_=SNAP.c.snapshot_time.type),
        )
        .group_by(SNAP.c.event_id)
        .subquery()
    )
    return select(
        ODDS.c.event_id,
        ODDS.c.bookmaker_key,
        ODDS.c.market_key,
        ODDS.c.outcome_name,
        ODDS.c.outcome_description,
        ODDS.c.price,
        ODDS.c.point,
        # Untyped: one snapshot time per event, converted once below, not per row.
        type_coerce(ODDS.c.odds_timestamp, String()),
    ).join(
        latest,
        and_(ODDS.c.event_id == latest.c.event_id, ODDS.c.odds_timestamp == latest.c.taken),
    )


async def load_previous_quotes(
    conn: AsyncConnection, event_ids: Sequence[str], before: datetime
) -> dict[str, dict[QuoteKey, PreviousQuote]]:
    """Per event, the quotes of its latest stored snapshot strictly before ``before``."""
    found: dict[str, dict[QuoteKey, PreviousQuote]] = {}
    times: dict[Any, datetime] = {}
    statement = cached_statement(conn, _previous_quotes)
    for chunk in _chunks(list(event_ids)):
        result = await conn.execute(statement, {"ids": list(chunk), "before": before})
        # The driver's rows (no SQLAlchemy Row each): a season import reads ~120,000 of them.
        for event_id, book, market, name, description, price, point, taken in driver_rows(result):
            moment = times.get(taken)
            if moment is None:
                moment = times[taken] = _utc(taken)
            found.setdefault(event_id, {})[(book, market, name, description)] = PreviousQuote(
                price, point, moment
            )
    return found


def _utc(value: Any) -> datetime:
    """A driver timestamp (asyncpg: aware datetime; SQLite: UTC text) as aware UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return cast(datetime, moment.astimezone(UTC))


NewSnapshot = tuple[int, Mapping[str, Any], Sequence[Quote]]


def odds_records(dialect: str, snapshots: Iterable[NewSnapshot]) -> list[tuple[Any, ...]]:
    """The odds rows of new snapshots, each given as (its id, its row, the quotes its rows are
    made from; excluded ones are not stored), in ``ODDS_COLUMNS`` order and in the form
    :func:`copy_odds` takes on ``dialect``: aware UTC datetimes for PostgreSQL's COPY, the
    text SQLAlchemy's SQLite DateTime writes for SQLite.

    Built in one pass, each row once: a season has ~125,000 of them, and building them per
    payload, again with their snapshot id and again with their times as text cost three
    tuples a row.
    """
    records: list[tuple[Any, ...]] = []
    extend = records.extend
    as_text = dialect != "postgresql"
    texts: dict[datetime, str | None] = {}
    for snapshot_id, row, quotes in snapshots:
        event_id, taken, now = row["event_id"], row["snapshot_time"], row["created_at"]
        if not as_text:
            extend(
                [
                    (
                        snapshot_id,
                        event_id,
                        q.bookmaker_key,
                        q.bookmaker_title[:100],
                        q.market_key,
                        q.outcome_name,
                        q.outcome_description,
                        q.price,
                        q.point,
                        taken,
                        q.last_update,
                        q.is_valid,
                        ",".join(q.notes)[:500] if q.notes else None,
                        now,
                    )
                    for q in quotes
                    if not q.excluded
                ]
            )
            continue
        # A snapshot's rows share a few distinct times: each is formatted once, not per row
        # (strftime was most of the SQLite write), and looked up by the dict's own get.
        for moment in {taken, now, *(q.last_update for q in quotes)}:
            if moment is not None and moment not in texts:
                texts[moment] = _utc_text(moment)
        text_of = texts.get
        taken_text, now_text = text_of(taken), text_of(now)
        extend(
            [
                (
                    snapshot_id,
                    event_id,
                    q.bookmaker_key,
                    q.bookmaker_title[:100],
                    q.market_key,
                    q.outcome_name,
                    q.outcome_description,
                    q.price,
                    q.point,
                    taken_text,
                    text_of(q.last_update),  # type: ignore[arg-type]
                    q.is_valid,
                    ",".join(q.notes)[:500] if q.notes else None,
                    now_text,
                )
                for q in quotes
                if not q.excluded
            ]
        )
    return records


async def copy_odds(conn: AsyncConnection, records: Sequence[tuple[Any, ...]]) -> None:
    """Bulk-insert odds rows made by :func:`odds_records` for this connection's dialect."""
    if not records:
        return
    if conn.dialect.name == "postgresql":
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.copy_records_to_table("odds", records=records, columns=list(ODDS_COLUMNS))
        return
    placeholders = ", ".join("?" for _ in ODDS_COLUMNS)
    sql = f"INSERT INTO odds ({', '.join(ODDS_COLUMNS)}) VALUES ({placeholders})"
    await conn.exec_driver_sql(sql, list(records))  # type: ignore[arg-type]


def _utc_text(value: datetime | None) -> str | None:
    # The text layout SQLAlchemy's SQLite DateTime writes; queries compare it as text.
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _new_findings(_conn: AsyncConnection) -> Any:
    return insert(DQ)


def _new_fetch_log(conn: AsyncConnection) -> Any:
    return _insert(conn, FETCH).on_conflict_do_nothing(index_elements=["request_id"])


async def insert_findings(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(cached_statement(conn, _new_findings), list(rows))


async def insert_fetch_log(conn: AsyncConnection, row: Mapping[str, Any]) -> None:
    """One provider request; a replay of the same request id adds nothing."""
    await conn.execute(cached_statement(conn, _new_fetch_log), dict(row))


async def set_final_scores(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, source: str, now: datetime
) -> None:
    """Store final scores and mark the events final. Each row holds ``b_id`` (the event id),
    ``home_score``, ``away_score`` and, when the source knows it, ``completed_at`` (then every
    row holds it; otherwise the stored value is left alone)."""
    if not rows:
        return
    values: dict[str, Any] = {
        "home_score": bindparam("home_score"),
        "away_score": bindparam("away_score"),
        "status": EventStatus.FINAL.value,
        "result_source": source,
        "updated_at": now,
    }
    if "completed_at" in rows[0]:
        values["completed_at"] = bindparam("completed_at")
    await conn.execute(
        update(EV).where(EV.c.id == bindparam("b_id")).values(**values), [dict(r) for r in rows]
    )


def window(times: Sequence[datetime], pad: timedelta) -> tuple[datetime, datetime]:
    return min(times) - pad, max(times) + pad


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, SQLAlchemyError | OSError):
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    return isinstance(exc, asyncpg.PostgresError | asyncpg.InterfaceError)


async def transaction(
    db: Any, work: Callable[[AsyncConnection], Awaitable[T]], *, doing: str = "ingestion"
) -> T:
    """Run ``work`` in one transaction; database errors become ``StorageError`` ("``doing``
    failed, nothing stored: ...")."""
    try:
        async with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # Take the write lock up front. A deferred transaction that reads first and
                # writes later cannot wait for a concurrent writer (SQLite refuses the upgrade
                # at once with "database is locked", busy timeout or not); an immediate one
                # waits for the busy timeout like any other lock.
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                # asyncpg prepares every statement; after five runs PostgreSQL may switch to
                # one generic plan, costed when the tables looked empty (a fresh import), and
                # keep it: the previous-quotes read then scanned the whole odds table (11 ms a
                # payload instead of 0.1). Plans made for the actual parameters cost ~0.1 ms.
                await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            return await work(conn)
    except (DataQualityError, MalformedResponseError):
        raise
    except Exception as exc:
        if _is_database_error(exc):
            raise StorageError(
                f"{doing} failed, nothing stored: {database_error_line(exc)}"
            ) from exc
        raise


# What a newer listing may change on a stored event (status, scores and created_at never).
_LISTED_COLUMNS = ("home_team", "away_team", "commence_time", "sport_title", "last_seen_at")


def _upsert(conn: AsyncConnection) -> Any:
    upsert = _insert(conn, EV)
    return upsert.on_conflict_do_update(
        index_elements=["id"],
        set_={
            **{name: upsert.excluded[name] for name in _LISTED_COLUMNS},
            "updated_at": upsert.excluded.updated_at,
        },
        where=or_(EV.c.last_seen_at.is_(None), EV.c.last_seen_at <= upsert.excluded.last_seen_at),
    )


def _update_listed(_conn: AsyncConnection) -> Any:
    return (
        update(EV)
        .where(
            EV.c.id == bindparam("b_id"),
            or_(EV.c.last_seen_at.is_(None), EV.c.last_seen_at <= bindparam("last_seen_at")),
        )
        .values(
            **{name: bindparam(name) for name in _LISTED_COLUMNS},
            updated_at=bindparam("updated_at"),
        )
    )


async def upsert_events(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert events; one a concurrent writer inserted meanwhile takes these values only if
    this listing is at least as new as the one it holds (newer payload wins, either order)."""
    if rows:
        await conn.execute(cached_statement(conn, _upsert), list(rows))


async def update_listed_events(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of ``b_id`` with the listed values; skipped where a newer listing already won."""
    if rows:
        await conn.execute(cached_statement(conn, _update_listed), list(rows))

"""Tables. Raw provider payloads are kept forever beside the normalized rows built from them.

Index policy: every index slows ingestion, which writes ~50 odds rows per event per snapshot, so
each index below names the query it exists for. Natural keys make every write idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Float, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from oddscore.storage.types import JSONDocument, UTCDateTime

__all__ = [
    "BackfillCall",
    "DataQualityLog",
    "Event",
    "EventAlias",
    "EventStatus",
    "FetchLog",
    "Odds",
    "OddsSnapshot",
    "PaidCall",
    "Severity",
]


def _now() -> datetime:
    return datetime.now(UTC)


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    FINAL = "final"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Event(SQLModel, table=True):
    """One game, keyed by the provider's event id; results are filled in after the game."""

    __tablename__ = "events"
    __table_args__ = (
        # Date-range reads (scheduling, backtests, results matching) filter sport + commence.
        Index("ix_events_sport_commence", "sport_key", "commence_time"),
    )

    id: str = Field(primary_key=True, max_length=64)
    sport_key: str = Field(max_length=64)
    sport_title: str = Field(default="", max_length=64)
    commence_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    home_team: str = Field(max_length=100)
    away_team: str = Field(max_length=100)
    status: str = Field(default=EventStatus.SCHEDULED.value, max_length=16)
    home_score: int | None = Field(default=None)
    away_score: int | None = Field(default=None)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Where the result came from: "scores_api", "csv" ...; a backtest can tell them apart.
    result_source: str | None = Field(default=None, max_length=32)
    # The time of the newest provider payload that listed this event (a snapshot's timestamp,
    # not the wall clock). Ingestion updates teams and commence time only from payloads at
    # least this new, so replaying an old file never rolls an event back.
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class EventAlias(SQLModel, table=True):
    """A second provider id for the same game, and the id it was merged into.

    The 2023-24 archive lists 32 in-season-tournament games under a placeholder id first and
    under a new game-day id later. Ingestion keeps the game-day id and records the other one
    here, so that replaying the placeholder snapshot later maps to the same event (idempotency)
    instead of re-creating it. The primary key is the lookup ingestion does for every batch.
    """

    __tablename__ = "event_aliases"

    alias_id: str = Field(primary_key=True, max_length=64)
    event_id: str = Field(foreign_key="events.id", max_length=64)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class OddsSnapshot(SQLModel, table=True):
    """The provider's JSON for one event at one moment, exactly as received."""

    __tablename__ = "odds_snapshots"
    __table_args__ = (
        # Natural key: re-ingesting a snapshot inserts nothing. Also serves "snapshots of an
        # event in time order" (tier coverage, raw replays).
        UniqueConstraint("event_id", "snapshot_time", name="uq_odds_snapshots_event_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="events.id", max_length=64)
    snapshot_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    raw_data: dict[str, Any] = Field(sa_column=Column(JSONDocument, nullable=False))
    bookmaker_count: int = Field(default=0)
    api_request_id: str | None = Field(default=None, max_length=64)
    fetch_tier: str | None = Field(default=None, max_length=16)
    hours_until_commence: float | None = Field(default=None)
    # live | historical | import: how the snapshot reached us.
    source: str = Field(default="live", max_length=16)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class Odds(SQLModel, table=True):
    """One price: a bookmaker's outcome in one market of one event, as seen at ``odds_timestamp``.

    ``odds_timestamp`` is when we observed the quote (the snapshot time); it is the time every
    as-of query uses, because a quote cannot be acted on before it was seen. ``last_update`` is
    the book's own change time, kept for staleness checks.
    """

    __tablename__ = "odds"
    __table_args__ = (
        # The one index on the big table. Leading event_id + market + book serves as-of
        # lookups (latest odds_timestamp <= T per book), line movement, closing lines and best
        # prices, all of which are per event. Idempotency comes from the snapshot's natural
        # key, because odds rows are only written with a newly inserted snapshot.
        Index(
            "ix_odds_event_market_book_time",
            "event_id",
            "market_key",
            "bookmaker_key",
            "odds_timestamp",
        ),
    )

    id: int | None = Field(
        default=None,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
    )
    # The snapshot and event of the row. Deliberately NOT foreign keys: checking both on every
    # row (two index probes through a trigger each) made the COPY of a season 3.5x slower
    # (benchmarks/ingest.py: 1.9 s of a 5.3 s import). Integrity comes from the only writer,
    # oddscore.ingestion.pipeline, which writes odds rows in the same transaction as their
    # newly inserted snapshot (and its event), and moves them with the event on a merge;
    # tests/ingestion/test_odds_integrity.py checks that no row is ever left without them.
    snapshot_id: int
    event_id: str = Field(max_length=64)
    bookmaker_key: str = Field(max_length=64)
    bookmaker_title: str = Field(default="", max_length=100)
    market_key: str = Field(max_length=64)
    outcome_name: str = Field(max_length=100)
    outcome_description: str | None = Field(default=None, max_length=200)
    price: int  # American odds, e.g. -110, +150
    point: float | None = Field(default=None, sa_type=Float)
    odds_timestamp: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_update: datetime | None = Field(default=None, sa_type=UTCDateTime)
    is_valid: bool = Field(default=True)
    validation_notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class DataQualityLog(SQLModel, table=True):
    """One data-quality finding.

    ``event_id`` is deliberately not a foreign key: in strict mode a rejected event is never
    stored, and the finding that explains why must survive.
    """

    __tablename__ = "data_quality_logs"
    __table_args__ = (
        # `odds validate` reports by day and type over a time range.
        Index("ix_data_quality_logs_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str | None = Field(default=None, max_length=64)
    snapshot_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    bookmaker_key: str | None = Field(default=None, max_length=64)
    market_key: str | None = Field(default=None, max_length=64)
    severity: str = Field(default=Severity.WARNING.value, max_length=16)
    issue_type: str = Field(max_length=64)
    description: str = Field(max_length=1000)
    raw_data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class FetchLog(SQLModel, table=True):
    """One provider request: what was asked (never the key), what it cost, how it went."""

    __tablename__ = "fetch_logs"
    __table_args__ = (
        # Status dashboard and quota projection read the latest fetches by time.
        Index("ix_fetch_logs_fetch_time", "fetch_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=64, unique=True)
    fetch_time: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)
    endpoint: str = Field(default="", max_length=200)
    sport_key: str = Field(default="", max_length=64)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    flow_name: str | None = Field(default=None, max_length=64)
    fetch_tier: str | None = Field(default=None, max_length=16)
    status_code: int | None = Field(default=None)
    events_count: int = Field(default=0)
    bookmakers_count: int = Field(default=0)
    success: bool = Field(default=True)
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, max_length=1000)
    api_quota_remaining: int | None = Field(default=None)
    api_quota_used: int | None = Field(default=None)
    api_quota_last: int | None = Field(default=None)
    response_time_ms: int | None = Field(default=None)


class BackfillCall(SQLModel, table=True):
    """Progress of one planned historical call: the ledger that stops a backfill paying twice.

    ``status`` moves pending -> claimed -> fetched -> done (or failed). ``raw_response`` holds
    the paid-for JSON between fetching and ingesting, so a crash in between re-ingests it
    instead of paying again; it is cleared once the call is done.
    """

    __tablename__ = "backfill_calls"
    __table_args__ = (
        # Natural key (plan id + request time); it also serves `odds backfill status`, which
        # reads one plan's calls.
        UniqueConstraint("plan_id", "call_time", name="uq_backfill_calls_plan_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(max_length=32)
    call_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sport_key: str = Field(max_length=64)
    status: str = Field(default="pending", max_length=16)
    event_ids: list[str] = Field(default_factory=list, sa_column=Column(JSONDocument))
    credits_planned: int = Field(default=0)
    credits_spent: int = Field(default=0)
    attempts: int = Field(default=0)
    request_id: str | None = Field(default=None, max_length=64)
    snapshot_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    games_stored: int = Field(default=0)
    games_missing: list[str] | None = Field(default=None, sa_column=Column(JSONDocument))
    error: str | None = Field(default=None, max_length=1000)
    raw_response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    # What was asked (markets, regions, bookmakers): another plan may reuse a finished call's
    # stored games only if it asked for no more than this.
    request: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    # The plans whose finished calls already stored every game of this one (nothing paid).
    served_by: str | None = Field(default=None, max_length=200)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


class PaidCall(SQLModel, table=True):
    """The write-ahead ledger of live paid calls (``/odds``, ``/scores``): one row per request.

    A row is claimed before the request goes out and receives the answer (raw JSON and the
    credit headers) before anything parses or stores it, so a run that dies after paying
    leaves the answer here and the next run stores it instead of paying again. ``status``
    moves claimed -> paid -> stored (failed: the request failed; unusable: paid, but the
    answer cannot be stored; lost: the claiming process died in the request, and what the
    provider billed for it was read from its credit counter). The raw answer is dropped
    once it is stored.
    """

    __tablename__ = "paid_calls"
    __table_args__ = (
        # The request key (endpoint, parameters without the key, time slot): two runs of one
        # slot insert the same key, and ON CONFLICT lets only one of them pay.
        UniqueConstraint("request_key", name="uq_paid_calls_request_key"),
        # A rerun looks for a paid, unstored answer to the same request in any slot.
        Index("ix_paid_calls_request_status", "request_hash", "status"),
        # `odds credits` sums a time range.
        Index("ix_paid_calls_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_key: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    endpoint: str = Field(max_length=200)
    sport_key: str = Field(default="", max_length=64)
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONDocument))
    slot: datetime = Field(sa_type=UTCDateTime, nullable=False)
    flow_name: str | None = Field(default=None, max_length=64)
    status: str = Field(default="claimed", max_length=16)
    attempts: int = Field(default=1)
    claimed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # The process holding the claim (host:pid:start): a claim whose process is gone is a call
    # whose answer was lost, settled from the provider's credit counter instead of waited out.
    claimed_by: str | None = Field(default=None, max_length=128)
    request_id: str | None = Field(default=None, max_length=64)
    status_code: int | None = Field(default=None)
    # What this call was billed in all (x-requests-last of its answers, every attempt), and of
    # that what answers that could not be read cost (a 200 cut short, retried): paid, unstored.
    credits: int | None = Field(default=None)
    credits_unread: int = Field(default=0)
    quota_used: int | None = Field(default=None)
    quota_remaining: int | None = Field(default=None)
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    elapsed_ms: int | None = Field(default=None)
    # The answer as JSON text, not JSONB: PostgreSQL's JSONB refuses a \u0000 that a paid
    # answer may hold (validation refuses that game later), and the ledger must keep it all.
    raw_response: str | None = Field(default=None, sa_column=Column(Text))
    stored_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=_now, sa_type=UTCDateTime, nullable=False)


ALL_TABLES = [
    Event,
    EventAlias,
    OddsSnapshot,
    Odds,
    DataQualityLog,
    FetchLog,
    BackfillCall,
    PaidCall,
]

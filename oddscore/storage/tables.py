"""The tables the read queries use, as plain SQLAlchemy Core, without SQLModel or the ORM.

The schema itself lives in :mod:`oddscore.storage.models` (what Alembic and the writers use).
Building those models costs a cold process about a third of a second (SQLModel, pydantic
models and ORM mappers for every table), more than a query command's own work, so the query
layer (``oddscore.queries``) selects from these Core mirrors instead. They sit in their own
``MetaData``, which nothing creates or migrates. ``tests/storage/test_tables.py`` holds each one
to its model: the same columns, types (as compiled on both backends), nullability and keys.

Do not mix these tables with the models' tables in one statement: the same table under two
objects would be selected from twice.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
)

from oddscore.storage.types import JSONDocument, UTCDateTime

__all__ = ["EVENTS", "FETCH_LOGS", "ODDS", "QUALITY_LOGS", "READ_METADATA", "SNAPSHOTS"]

READ_METADATA = MetaData()


def _text(name: str, length: int, *, nullable: bool = False) -> Column[str]:
    return Column(name, String(length), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UTCDateTime(), nullable=nullable)


def _int(name: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Integer(), nullable=nullable)


EVENTS = Table(
    "events",
    READ_METADATA,
    Column("id", String(64), primary_key=True),
    _text("sport_key", 64),
    _text("sport_title", 64),
    _time("commence_time"),
    _text("home_team", 100),
    _text("away_team", 100),
    _text("status", 16),
    _int("home_score", nullable=True),
    _int("away_score", nullable=True),
    _time("completed_at", nullable=True),
    _text("result_source", 32, nullable=True),
    _time("last_seen_at", nullable=True),
    _time("created_at"),
    _time("updated_at"),
)

SNAPSHOTS = Table(
    "odds_snapshots",
    READ_METADATA,
    Column("id", Integer(), primary_key=True),
    _text("event_id", 64),
    _time("snapshot_time"),
    Column("raw_data", JSONDocument, nullable=False),
    _int("bookmaker_count"),
    _text("api_request_id", 64, nullable=True),
    _text("fetch_tier", 16, nullable=True),
    Column("hours_until_commence", Float(), nullable=True),
    _text("source", 16),
    _time("created_at"),
)

ODDS = Table(
    "odds",
    READ_METADATA,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    _int("snapshot_id"),
    _text("event_id", 64),
    _text("bookmaker_key", 64),
    _text("bookmaker_title", 100),
    _text("market_key", 64),
    _text("outcome_name", 100),
    _text("outcome_description", 200, nullable=True),
    _int("price"),
    Column("point", Float(), nullable=True),
    _time("odds_timestamp"),
    _time("last_update", nullable=True),
    Column("is_valid", Boolean(), nullable=False),
    _text("validation_notes", 500, nullable=True),
    _time("created_at"),
)

QUALITY_LOGS = Table(
    "data_quality_logs",
    READ_METADATA,
    Column("id", Integer(), primary_key=True),
    _text("event_id", 64, nullable=True),
    _time("snapshot_time", nullable=True),
    _text("bookmaker_key", 64, nullable=True),
    _text("market_key", 64, nullable=True),
    _text("severity", 16),
    _text("issue_type", 64),
    _text("description", 1000),
    Column("raw_data", JSONDocument, nullable=True),
    _time("created_at"),
)

FETCH_LOGS = Table(
    "fetch_logs",
    READ_METADATA,
    Column("id", Integer(), primary_key=True),
    _text("request_id", 64),
    _time("fetch_time"),
    _text("endpoint", 200),
    _text("sport_key", 64),
    Column("params", JSONDocument, nullable=True),
    _text("flow_name", 64, nullable=True),
    _text("fetch_tier", 16, nullable=True),
    _int("status_code", nullable=True),
    _int("events_count"),
    _int("bookmakers_count"),
    Column("success", Boolean(), nullable=False),
    _text("error_code", 64, nullable=True),
    _text("error_message", 1000, nullable=True),
    _int("api_quota_remaining", nullable=True),
    _int("api_quota_used", nullable=True),
    _int("api_quota_last", nullable=True),
    _int("response_time_ms", nullable=True),
)

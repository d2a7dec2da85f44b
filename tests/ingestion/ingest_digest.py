"""A compact, backend-neutral digest of what an import stored: counts and hashes per table.

The regression fixture of set-based ingestion (issue #19): importing the real 2023-24
archive must store the same events, aliases, snapshots, odds rows (with their validation
notes) and findings before and after any change to the pipeline. Only hashes and counts are
kept in the repository, never the archive's data. Surrogate ids (snapshot and row ids) depend
on insertion order, so rows refer to their snapshot by its natural key (event, time).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.storage.models import DataQualityLog, Event, EventAlias, Odds, OddsSnapshot

EV = Event.__table__  # type: ignore[attr-defined]
ALIAS = EventAlias.__table__  # type: ignore[attr-defined]
SNAP = OddsSnapshot.__table__  # type: ignore[attr-defined]
ODDS = Odds.__table__  # type: ignore[attr-defined]
DQ = DataQualityLog.__table__  # type: ignore[attr-defined]


def _json(value: Any) -> Any:
    """A stored document as both backends give it back: JSONB has no negative zero."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def _value(value: Any) -> Any:
    """One canonical text-safe form per value, the same on PostgreSQL and SQLite."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return f"{value + 0.0:.6f}"  # -0.0 + 0.0 is 0.0: SQLite keeps no negative zero
    if isinstance(value, dict | list):
        return orjson.dumps(_json(value), option=orjson.OPT_SORT_KEYS).decode()
    return value


def _line(values: Any) -> bytes:
    return orjson.dumps([_value(v) for v in values])


def _summary(lines: list[bytes]) -> dict[str, Any]:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line)
        digest.update(b"\n")
    return {"count": len(lines), "sha256": digest.hexdigest()}


def _columns(table: Any, *skip: str) -> list[Any]:
    return [column for column in table.c if column.name not in skip]


async def digest(conn: AsyncConnection) -> dict[str, Any]:
    """Counts and hashes of every table an import writes, plus readable breakdowns."""
    out: dict[str, Any] = {}
    rows = (await conn.execute(select(*_columns(EV)))).all()
    out["events"] = _summary([_line(row) for row in rows])
    rows = (await conn.execute(select(*_columns(ALIAS)))).all()
    out["event_aliases"] = _summary([_line(row) for row in rows])
    snapshot_columns = _columns(SNAP, "id", "raw_data")
    rows = (await conn.execute(select(*snapshot_columns, SNAP.c.raw_data))).all()
    out["odds_snapshots"] = _summary(
        [_line([*row[:-1], hashlib.sha256(_line([row[-1]])).hexdigest()]) for row in rows]
    )
    odds_columns = _columns(ODDS, "id", "snapshot_id")
    rows = (
        await conn.execute(
            select(SNAP.c.event_id, SNAP.c.snapshot_time, *odds_columns).join(
                SNAP, SNAP.c.id == ODDS.c.snapshot_id, isouter=True
            )
        )
    ).all()
    out["odds"] = _summary([_line(row) for row in rows])
    out["odds_by_validity"] = dict(
        sorted(Counter(f"{row.is_valid}:{row.validation_notes}" for row in rows).items())
    )
    rows = (await conn.execute(select(*_columns(DQ, "id")))).all()
    out["data_quality_log"] = _summary([_line(row) for row in rows])
    out["findings_by_issue"] = dict(sorted(Counter(row.issue_type for row in rows).items()))
    return out

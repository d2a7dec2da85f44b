"""The bad-input corpus: the manifest, the base payload and its mutations, table counts."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.storage.engine import Database

HERE = Path(__file__).resolve().parent
PAYLOADS = HERE / "payloads"
RESULTS = HERE / "results"

# The base payload: 12 rows (2 books x h2h, spreads, totals), tip-off 12 h after the snapshot.
SNAPSHOT = datetime(2024, 1, 9, 12, 10, tzinfo=UTC)
NOW = SNAPSHOT + timedelta(minutes=1)
BOOKS = ("draftkings", "fanduel")
MARKETS = ("h2h", "spreads", "totals")


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
    return loaded


def base_payload() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(
        (PAYLOADS / "base_event.json").read_text(encoding="utf-8")
    )
    return loaded


async def store_base_payload(db: Database) -> None:
    """The one game every results and CLI case runs against."""
    await ingest_odds(
        db,
        base_payload(),
        snapshot_time=SNAPSHOT,
        source="import",
        options=IngestOptions(clock=FrozenClock(NOW)),
    )


def _value(value: Any) -> Any:
    if isinstance(value, dict) and "$float" in value:
        return float(value["$float"])  # NaN / inf: JSON cannot spell them
    return value


def _walk(doc: Any, path: str) -> tuple[Any, str | int]:
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for part in parts[:-1]:
        node = node[part]
    return node, parts[-1]


# ``twin`` adds this game to a payload: another id and other teams, so nothing merges it with
# the base game, and a case can spoil one record of two.
TWIN_ID = "7e57ab1e7e57ab1e7e57ab1e7e57ab1e"
TWIN_TEAMS = ("Boston Celtics", "Miami Heat")


def mutate(payload: Any, ops: list[list[Any]]) -> Any:
    """Apply ``set``/``del``/``dup``/``twin`` operations; ``dup`` appends a copy to the same
    list, ``twin`` appends a copy of an event as another game (``TWIN_ID``)."""
    doc = copy.deepcopy(payload)
    for op, path, *rest in ops:
        parent, key = _walk(doc, path)
        if op == "twin":
            twin = copy.deepcopy(parent[key])
            twin.update(id=TWIN_ID, home_team=TWIN_TEAMS[0], away_team=TWIN_TEAMS[1])
            parent.append(twin)
        elif op == "set":
            parent[key] = _value(rest[0])
        elif op == "del":
            del parent[key]
        elif op == "dup":
            parent.append(copy.deepcopy(parent[key]))
        else:
            raise AssertionError(f"unknown op {op}")
    return doc


def body_of(case: dict[str, Any]) -> bytes:
    """The HTTP body of a case: a corpus file as it is, or the mutated base payload."""
    if "body" in case:
        return (PAYLOADS / case["body"]).read_bytes()
    payload = mutate(base_payload(), case["ops"])
    has_special = any(
        isinstance(op[-1], dict) and "$float" in op[-1] for op in case["ops"] if op[0] == "set"
    )
    # json.dumps writes NaN/Infinity tokens, which Python's (and many servers') JSON accepts.
    return json.dumps(payload, allow_nan=has_special).encode()


async def table_counts(db: Database) -> dict[str, int]:
    found: dict[str, int] = {}
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            found[table.name] = int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return found


async def issue_types(db: Database) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(text("SELECT issue_type FROM data_quality_logs"))
        return sorted(str(r[0]) for r in rows)

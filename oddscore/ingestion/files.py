"""Recorded provider responses on disk: find them, read them, feed them to the pipeline.

The layout is the one of ``the_odds_api_snapshots``: ``odds/<season>/*.json[.gz]`` holds
historical odds responses (``{"timestamp", "data": [events with bookmakers]}``) and
``events/<season>/*.json[.gz]`` historical events responses (no odds; they upsert events
only). A folder without ``odds/`` or ``events/`` is searched recursively. Files are read and
ingested one at a time, each in its own transaction, so memory stays flat however many
seasons there are and an interrupted import resumes by running it again.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from oddscore.clock import parse_timestamp
from oddscore.exceptions import MalformedResponseError
from oddscore.ingestion.pipeline import IngestOptions, IngestResult, ingest_events, ingest_odds

__all__ = ["ArchiveFile", "ImportSummary", "import_snapshots", "list_archive", "read_payload"]

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
FileKind = Literal["odds", "events"]

try:  # orjson (a Prefect dependency) parses ~3x faster; plain json is the fallback.
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover
    _loads = json.loads


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    path: Path
    kind: FileKind | None  # None: decided from the content
    day: date | None


@dataclass(slots=True)
class ImportSummary:
    """Totals of an import; ``failures`` name the files that could not be read."""

    files: int = 0
    odds_files: int = 0
    events_files: int = 0
    result: IngestResult = field(default_factory=IngestResult)
    failures: list[tuple[str, str]] = field(default_factory=list)


def _day_of(path: Path) -> date | None:
    match = _DATE.search(path.name)
    return date.fromisoformat(match.group(1)) if match else None


def _json_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name.endswith((".json", ".json.gz"))
    )


def list_archive(
    directory: Path,
    *,
    seasons: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[ArchiveFile]:
    """The files to import, events files first, each kind in date order.

    ``seasons`` selects ``<kind>/<season>`` folders; ``start``/``end`` (inclusive) filter on
    the date in the file name.
    """
    if not directory.is_dir():
        raise FileNotFoundError(2, "No such directory", str(directory))
    found: list[ArchiveFile] = []
    kinds: list[tuple[FileKind | None, Path]] = [
        (kind, directory / kind) for kind in ("events", "odds") if (directory / kind).is_dir()
    ]
    if not kinds:
        kinds = [(None, directory)]
    for kind, folder in kinds:
        for path in _json_files(folder):
            if seasons and kind is not None and path.relative_to(folder).parts[0] not in seasons:
                continue
            day = _day_of(path)
            if day is not None and ((start and day < start) or (end and day > end)):
                continue
            found.append(ArchiveFile(path, kind, day))
    order = {"events": 0, None: 1, "odds": 2}
    found.sort(key=lambda f: (order[f.kind], f.day or date.min, f.path.name))
    return found


def read_payload(path: Path) -> Any:
    """The JSON of a file, gunzipped when it is gzip (whatever its name says)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return _loads(data)
    except ValueError as exc:
        raise MalformedResponseError(f"{path.name} is not valid JSON: {exc}") from exc


def _kind_of(items: Sequence[Any]) -> FileKind:
    return "odds" if any(isinstance(i, dict) and "bookmakers" in i for i in items) else "events"


async def import_file(
    db: Any, entry: ArchiveFile, options: IngestOptions
) -> tuple[FileKind, IngestResult]:
    """Ingest one recorded historical response through the pipeline."""
    payload = read_payload(entry.path)
    if not isinstance(payload, dict) or "timestamp" not in payload or "data" not in payload:
        raise MalformedResponseError(
            f"{entry.path.name} is not a historical response ({{timestamp, data}}); "
            "a bare /odds list carries no snapshot time"
        )
    snapshot_time = parse_timestamp(payload["timestamp"])
    items = payload["data"] or []
    if isinstance(items, dict):
        items = [items]
    kind = entry.kind or _kind_of(items)
    if kind == "events":
        return kind, await ingest_events(db, items, seen_at=snapshot_time, options=options)
    result = await ingest_odds(
        db, items, snapshot_time=snapshot_time, source="import", options=options
    )
    return kind, result


async def import_snapshots(
    db: Any,
    directory: Path,
    *,
    options: IngestOptions | None = None,
    seasons: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    on_file: Callable[[ArchiveFile, IngestResult | None], None] | None = None,
) -> ImportSummary:
    """Import every recorded response under ``directory``; unreadable files are listed, not fatal.

    Database errors stop the import (a file's transaction is all or nothing, so running the
    command again resumes where it stopped).
    """
    options = options or IngestOptions.from_settings(expect_bookmakers=False)
    summary = ImportSummary()
    for entry in list_archive(directory, seasons=seasons, start=start, end=end):
        summary.files += 1
        try:
            kind, result = await import_file(db, entry, options)
        except MalformedResponseError as exc:
            summary.failures.append((str(entry.path), str(exc)))
            if on_file is not None:
                on_file(entry, None)
            continue
        if kind == "odds":
            summary.odds_files += 1
        else:
            summary.events_files += 1
        summary.result += result
        if on_file is not None:
            on_file(entry, result)
    return summary

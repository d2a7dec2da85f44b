"""Recorded provider responses on disk: find them, read them, feed them to the pipeline.

The layout is the one of ``the_odds_api_snapshots``: ``odds/<season>/*.json[.gz]`` holds
historical odds responses (``{"timestamp", "data": [events with bookmakers]}``) and
``events/<season>/*.json[.gz]`` historical events responses (no odds; they upsert events
only). A folder without ``odds/`` or ``events/`` is searched recursively. Files are read and
parsed one at a time and written in bounded groups, one transaction per group, so memory stays
flat however many seasons there are and an interrupted import resumes by running it again.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import parse_timestamp
from oddscore.collector import no_full_collections
from oddscore.exceptions import MalformedResponseError
from oddscore.ingestion import store
from oddscore.ingestion.pending import PendingRows
from oddscore.ingestion.pipeline import (
    IngestOptions,
    IngestResult,
    ParsedEvent,
    parse_event_infos,
    parse_events,
    write_events_payload,
    write_odds_payload,
)
from oddscore.provider.models import EventInfo

__all__ = [
    "ArchiveFile",
    "ImportSummary",
    "LoadedFile",
    "import_snapshots",
    "list_archive",
    "load_file",
    "read_payload",
]

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
FileKind = Literal["odds", "events"]

# orjson parses the archive ~3x faster than json.
_loads: Callable[[bytes], Any] = orjson.loads


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
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:  # "odds_2024-13-45.json": a name, not a date; the file keeps its stamp
        return None


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
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt
            raise MalformedResponseError(f"{path.name} is not a valid gzip file: {exc}") from exc
    try:
        return _loads(data)
    except ValueError as exc:
        raise MalformedResponseError(f"{path.name} is not valid JSON: {exc}") from exc


def _kind_of(items: Sequence[Any]) -> FileKind:
    return "odds" if any(isinstance(i, dict) and "bookmakers" in i for i in items) else "events"


@dataclass(slots=True)
class LoadedFile:
    """One file read and parsed, ready to be written."""

    entry: ArchiveFile
    kind: FileKind
    snapshot_time: datetime
    odds: list[ParsedEvent]
    events: list[EventInfo]

    @property
    def rows(self) -> int:
        return sum(len(item.quotes) for item in self.odds) + len(self.events)


def load_file(entry: ArchiveFile, options: IngestOptions) -> LoadedFile:
    """Read and parse one recorded historical response (no database)."""
    payload = read_payload(entry.path)
    if not isinstance(payload, dict) or "timestamp" not in payload or "data" not in payload:
        raise MalformedResponseError(
            f"{entry.path.name} is not a historical response ({{timestamp, data}}); "
            "a bare /odds list carries no snapshot time"
        )
    try:
        snapshot_time = parse_timestamp(payload["timestamp"])
    except ValueError as exc:
        raise MalformedResponseError(f"{entry.path.name}: bad timestamp ({exc})") from exc
    items = payload["data"] or []
    if isinstance(items, dict):
        items = [items]
    kind = entry.kind or _kind_of(items)
    try:
        if kind == "events":
            return LoadedFile(entry, kind, snapshot_time, [], parse_event_infos(items))
        return LoadedFile(entry, kind, snapshot_time, parse_events(items, options.odds_format), [])
    except MalformedResponseError as exc:
        raise MalformedResponseError(f"{entry.path.name}: {exc}") from exc


def _load(
    entries: Sequence[ArchiveFile], index: int, options: IngestOptions
) -> LoadedFile | MalformedResponseError | None:
    if index >= len(entries):
        return None
    try:
        return load_file(entries[index], options)
    except MalformedResponseError as exc:
        return exc


async def _write_group(
    conn: AsyncConnection, group: Sequence[LoadedFile], options: IngestOptions, now: datetime
) -> list[IngestResult]:
    results = []
    pending = PendingRows()  # one COPY for the group's odds rows, not one per file
    for item in group:
        if item.kind == "events":
            result = await write_events_payload(
                conn,
                item.events,
                seen_at=item.snapshot_time,
                response=None,
                options=options,
                now=now,
                pending=pending,
            )
        else:
            result = await write_odds_payload(
                conn,
                item.odds,
                snapshot_time=item.snapshot_time,
                source="import",
                request_id=None,
                response=None,
                options=options,
                now=now,
                pending=pending,
            )
        results.append(result)
    await pending.flush(conn)
    return results


async def import_snapshots(
    db: Any,
    directory: Path,
    *,
    options: IngestOptions | None = None,
    seasons: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    on_file: Callable[[ArchiveFile, IngestResult | None], None] | None = None,
    batch_rows: int = 20_000,
    batch_files: int = 32,
) -> ImportSummary:
    """Import every recorded response under ``directory``; unreadable files are listed, not fatal.

    Files are parsed one at a time and written in groups (up to ``batch_files`` files or
    ``batch_rows`` odds rows per transaction): a group commits as a whole, so memory stays
    bounded and a commit is paid per group rather than per file. Database errors stop the
    import; running it again resumes (what was committed is skipped as already stored).
    """
    options = options or IngestOptions.from_settings(expect_bookmakers=False)
    summary = ImportSummary()
    group: list[LoadedFile] = []

    async def flush() -> None:
        if not group:
            return
        work = partial(_write_group, group=list(group), options=options, now=options.clock.now())
        results = await store.transaction(db, work)
        for item, result in zip(group, results, strict=True):
            if item.kind == "odds":
                summary.odds_files += 1
            else:
                summary.events_files += 1
            summary.result += result
            if on_file is not None:
                on_file(item.entry, result)
        group.clear()

    entries = list_archive(directory, seasons=seasons, start=start, end=end)
    if not entries:
        return summary
    with no_full_collections():
        # The next file is read and parsed in a thread while this one's statements wait on the
        # database: parsing is CPU, writing is mostly waiting.
        pending = asyncio.ensure_future(asyncio.to_thread(_load, entries, 0, options))
        for index, entry in enumerate(entries):
            summary.files += 1
            loaded = await pending
            if index + 1 < len(entries):
                pending = asyncio.ensure_future(
                    asyncio.to_thread(_load, entries, index + 1, options)
                )
            if loaded is None:
                continue
            if isinstance(loaded, MalformedResponseError):
                summary.failures.append((str(entry.path), str(loaded)))
                if on_file is not None:
                    on_file(entry, None)
                continue
            group.append(loaded)
            if len(group) >= batch_files or sum(item.rows for item in group) >= batch_rows:
                await flush()
        await flush()
    return summary

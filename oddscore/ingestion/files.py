"""Recorded provider responses on disk: find them, read them, feed them to the pipeline.

The layout is the one of ``the_odds_api_snapshots``: ``odds/<season>/*.json[.gz]`` holds
historical odds responses (``{"timestamp", "data": [events with bookmakers]}``) and
``events/<season>/*.json[.gz]`` historical events responses (no odds; they upsert events
only). A folder without ``odds/`` or ``events/`` is searched recursively. Files are read and
parsed one at a time and written in bounded groups, one transaction per group, so memory stays
flat however many seasons there are and an interrupted import resumes by running it again.

A file that is not what its name claims is listed with its reason and the others are stored:
a directory or device named ``*.json.gz``, a symlink loop, a file that cannot be read (I/O
error, permissions), a truncated gzip, and anything larger than the size limit
(``IMPORT_MAX_FILE_MB``, checked on the bytes read and on the bytes a gzip unpacks to, so
neither ``/dev/zero`` nor a gzip bomb is ever read whole). An event of a file that does not
fit the schema is refused with a ``malformed_event`` finding; the file's other events are
stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import parse_timestamp
from oddscore.collector import no_collections, no_full_collections
from oddscore.exceptions import MalformedResponseError, StorageError, UnreadableFileError
from oddscore.ingestion import store
from oddscore.ingestion.pending import PendingRows
from oddscore.ingestion.pipeline import (
    IngestOptions,
    IngestResult,
    ParsedEvent,
    check_ahead,
    parse_event_infos,
    parse_events,
    write_events_payload,
    write_odds_payload,
)
from oddscore.ingestion.screening import printable, refusal_of, storable_id
from oddscore.ingestion.validation import Action, Finding
from oddscore.provider.models import EventInfo
from oddscore.reading import DEFAULT_MAX_BYTES, read_bounded
from oddscore.storage.engine import database_error_line
from oddscore.storage.models import Severity

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
    problem: str | None = None  # known when listing: a folder that cannot be read


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


def _is_json_name(name: str) -> bool:
    return name.endswith((".json", ".json.gz"))


def _json_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every entry named ``*.json[.gz]`` whatever it is (a directory or a device so named is
    refused when read, not skipped unseen), and the folders that could not be listed."""
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(str(exc.filename)), f"cannot list the folder ({exc.strerror})"))

    for root, dirs, files in os.walk(folder, onerror=failed):
        found.extend(Path(root, name) for name in [*dirs, *files] if _is_json_name(name))
        dirs[:] = [name for name in dirs if not _is_json_name(name)]  # refused, not entered
    return sorted(found), unreadable


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
        paths, unreadable = _json_files(folder)
        found.extend(ArchiveFile(path, kind, None, problem) for path, problem in unreadable)
        for path in paths:
            if seasons and kind is not None and path.relative_to(folder).parts[0] not in seasons:
                continue
            day = _day_of(path)
            if day is not None and ((start and day < start) or (end and day > end)):
                continue
            found.append(ArchiveFile(path, kind, day))
    order = {"events": 0, None: 1, "odds": 2}
    found.sort(key=lambda f: (order[f.kind], f.day or date.min, f.path.name))
    return found


def read_payload(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """The JSON of a file, gunzipped when it is gzip (whatever its name says); files and
    their unpacked content larger than ``max_bytes`` are refused unread."""
    return _read_document(path, max_bytes)[0]


def _read_document(path: Path, max_bytes: int) -> tuple[Any, bool]:
    """The JSON of a file, and whether its texts are known to be storable: orjson read it
    (so no lone surrogate) and it spells no NUL (``\\u0000``)."""
    data = read_bounded(
        path, max_bytes, gunzip=True, limit_setting="IMPORT_MAX_FILE_MB", label=path.name
    )
    try:
        return _loads(data), b"\\u0000" not in data
    except ValueError:
        pass
    # orjson refuses some valid JSON (integers beyond 64 bits, lone surrogate escapes): the
    # standard parser reads it, and the records whose values cannot be stored are refused
    # one by one later, not the whole file.
    try:
        return json.loads(data), False
    except (ValueError, RecursionError) as exc:
        problem = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise MalformedResponseError(f"{path.name} is not valid JSON: {problem}") from exc


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
    refused: list[Finding] = field(default_factory=list)  # its events that do not parse
    texts_storable: bool = False  # no NUL nor lone surrogate anywhere in the file

    @property
    def rows(self) -> int:
        return sum(len(item.quotes) for item in self.odds) + len(self.events)


def _malformed(name: str, index: int, item: Any, problem: str) -> Finding:
    event_id = storable_id(item.get("id")) if isinstance(item, Mapping) else None
    # The problem may quote the event's own text: a NUL in it could not be stored either.
    problem = printable(problem if len(problem) <= 300 else f"{problem[:297]}...")
    return Finding(
        "malformed_event",
        Severity.ERROR,
        Action.DROP,
        f"{name}: event {index} not stored: {problem}",
        event_id=event_id,
        context={"file": name[:200], "index": index},
    )


def load_file(
    entry: ArchiveFile, options: IngestOptions, max_bytes: int = DEFAULT_MAX_BYTES
) -> LoadedFile:
    """Read and parse one recorded historical response (no database).

    The file as a whole must be a ``{timestamp, data}`` envelope with a readable timestamp
    (else ``MalformedResponseError``); each event of ``data`` that does not fit is refused
    with a ``malformed_event`` finding, and the others are kept.
    """
    if entry.problem is not None:
        raise MalformedResponseError(f"{entry.path.name}: {entry.problem}")
    # A JSON document holds no reference cycles, and parsing one builds ~100k containers:
    # with the collector on, its young passes walked them all (~0.1 s of a season's parse).
    with no_collections():
        return _load_file(entry, options, max_bytes)


def _load_file(entry: ArchiveFile, options: IngestOptions, max_bytes: int) -> LoadedFile:
    name = entry.path.name
    payload, texts_storable = _read_document(entry.path, max_bytes)
    if not isinstance(payload, dict) or "timestamp" not in payload or "data" not in payload:
        raise MalformedResponseError(
            f"{name} is not a historical response ({{timestamp, data}}); "
            "a bare /odds list carries no snapshot time"
        )
    try:
        snapshot_time = parse_timestamp(payload["timestamp"])
    except ValueError as exc:
        raise MalformedResponseError(f"{name}: bad timestamp ({exc})") from exc
    items = payload["data"] or []
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise MalformedResponseError(
            f"{name}: data is not a list of events (a {type(items).__name__})"
        )
    kind = entry.kind or _kind_of(items)
    refused: list[Finding] = []

    def on_bad(index: int, item: Any, problem: str) -> None:
        refused.append(_malformed(name, index, item, problem))

    if kind == "events":
        infos = parse_event_infos(items, on_bad)
        return LoadedFile(entry, kind, snapshot_time, [], infos, refused, texts_storable)
    odds = parse_events(items, options.odds_format, on_bad)
    check_ahead(odds, snapshot_time, options, texts_storable=texts_storable)
    return LoadedFile(entry, kind, snapshot_time, odds, [], refused, texts_storable)


def _load(
    entries: Sequence[ArchiveFile], index: int, options: IngestOptions, max_bytes: int
) -> LoadedFile | str:
    """The file parsed, or why it cannot be (one line)."""
    try:
        return load_file(entries[index], options, max_bytes)
    except (MalformedResponseError, UnreadableFileError) as exc:
        return str(exc)
    except OSError as exc:  # unreadable: permissions, I/O error, a symlink loop
        return f"{entries[index].path.name}: cannot read it ({exc.strerror or exc})"


Loaded = LoadedFile | str | BaseException


class _Backlog:
    """Rows parsed ahead that the importer has not taken yet; the reader waits while
    ``limit`` of them wait."""

    def __init__(self, limit: int) -> None:
        self.rows = 0
        self.limit = limit
        self._room = asyncio.Event()
        self._room.set()

    def add(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.limit:
            self._room.clear()

    def take(self, rows: int) -> None:
        self.rows -= rows
        if self.rows < self.limit:
            self._room.set()

    async def room(self) -> None:
        await self._room.wait()


def _rows(loaded: Loaded) -> int:
    return loaded.rows if isinstance(loaded, LoadedFile) else 0


async def _read_ahead(
    entries: Sequence[ArchiveFile],
    options: IngestOptions,
    max_bytes: int,
    ready: asyncio.Queue[Loaded],
    backlog: _Backlog,
) -> None:
    """Read and parse the files in order, one at a time in a thread, into ``ready``: at most
    its size in files, and no further while the backlog's limit of rows waits there (a
    group's worth ahead, however large the files). The bound is on the rows not taken yet,
    not on a batch taken whole: a batch whose last file fell into the next group kept the
    reader idle through a whole write and then made the importer wait on every file of the
    next group (half the parsing of a season did not overlap the writes). An unexpected
    error is handed over, not lost: the importer raises it where it would have read the
    file."""
    for index in range(len(entries)):
        await backlog.room()
        try:
            loaded: Loaded = await asyncio.to_thread(_load, entries, index, options, max_bytes)
        except Exception as exc:
            await ready.put(exc)
            return
        backlog.add(_rows(loaded))
        await ready.put(loaded)


async def _write_group(
    conn: AsyncConnection, group: Sequence[LoadedFile], options: IngestOptions, now: datetime
) -> list[IngestResult]:
    results = []
    pending = PendingRows()  # one write per table for the group, not one per file
    # The stored state the group's plans read, read once (the screened-out events excepted:
    # an id no column can hold is never looked up).
    infos = [
        info
        for item in group
        for info in (item.events if item.kind == "events" else [p.info for p in item.odds])
        if refusal_of(info) is None
    ]
    times = [item.snapshot_time for item in group if item.kind == "odds"]
    await pending.known.prepare(conn, infos, times)
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
                refused=item.refused,
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
                refused=item.refused,
                texts_storable=item.texts_storable,
            )
        results.append(result)
    await pending.flush(conn)
    return results


def _stopped(
    summary: ImportSummary, group: Sequence[LoadedFile], total: int, exc: StorageError
) -> str:
    """What a database failure left: the groups committed before it stay stored."""
    cause = exc.__cause__
    reason = database_error_line(cause) if cause is not None else str(exc)
    first, last = group[0].entry.path.name, group[-1].entry.path.name
    failed = f"{len(group)} file(s) {first}..{last}" if len(group) > 1 else f"file {first}"
    unread = total - summary.files
    stored = summary.odds_files + summary.events_files
    if not stored:
        return (
            f"import stopped, nothing stored: the database refused the {failed} ({reason}); "
            f"{unread} more file(s) not read"
        )
    done = summary.result
    return (
        f"import stopped by a database error ({reason}). Stored before it: {stored} file(s): "
        f"{done.snapshots_inserted} snapshots, {done.odds_rows} odds rows, "
        f"{done.events_inserted} new events. Not stored: the {failed}, and {unread} more "
        "file(s) not read. Run the same import again to resume (stored files add nothing)."
    )


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
    max_file_bytes: int = DEFAULT_MAX_BYTES,
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
        try:
            results = await store.transaction(db, work)
        except StorageError as exc:
            raise StorageError(_stopped(summary, group, len(entries), exc)) from exc
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
    # The next files are read and parsed in a thread while a group's statements wait on the
    # database: parsing is CPU, writing is mostly waiting, and a group's writes take long
    # enough to parse most of the next group. Up to a group's files or rows wait parsed, so
    # memory stays bounded by about two groups.
    ready: asyncio.Queue[Loaded] = asyncio.Queue(maxsize=max(1, batch_files))
    backlog = _Backlog(batch_rows)
    with no_full_collections():
        reader = asyncio.create_task(_read_ahead(entries, options, max_file_bytes, ready, backlog))
        try:
            for entry in entries:
                summary.files += 1
                loaded = await ready.get()
                backlog.take(_rows(loaded))
                if isinstance(loaded, BaseException):
                    raise loaded
                if isinstance(loaded, str):
                    summary.failures.append((str(entry.path), loaded))
                    if on_file is not None:
                        on_file(entry, None)
                    continue
                group.append(loaded)
                if len(group) >= batch_files or sum(item.rows for item in group) >= batch_rows:
                    await flush()
            await flush()
        finally:
            reader.cancel()
            with suppress(asyncio.CancelledError):
                await reader
    return summary

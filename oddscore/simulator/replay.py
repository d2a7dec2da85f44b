"""Replay: recorded historical responses served as the historical endpoints would.

The folder is laid out like ``shared/data/real_nba_odds/the_odds_api_snapshots``::

    odds/<season>/*.json[.gz]      historical /odds responses (envelope + data)
    events/<season>/*.json[.gz]    historical /events responses

A request with ``date`` gets the latest recorded snapshot at or before it. ``previous`` and
``next`` timestamps come from the index of recorded snapshots (not from the file, whose
neighbours were never recorded), so walking ``next_timestamp`` visits every file in turn.
The index is built on first use from the file names and the ``timestamp`` at the head of
each file (a few hundred bytes read per file); whole files are parsed only when served.
"""

from __future__ import annotations

import bisect
import gzip
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from oddscore.clock import parse_timestamp
from oddscore.exceptions import ConfigurationError

__all__ = ["RecordedSnapshot", "ReplayArchive", "SnapshotKind"]

SnapshotKind = Literal["odds", "events"]
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"([^"]+)"')
_HEAD_BYTES = 512
_LOADED_FILES = 8  # parsed snapshots kept in memory


@dataclass(frozen=True, slots=True)
class RecordedSnapshot:
    """Where one recorded snapshot is, and its neighbours in the archive."""

    timestamp: datetime
    path: Path
    previous_timestamp: datetime | None
    next_timestamp: datetime | None


def _open(path: Path) -> Any:
    return gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")


def _read_json(path: Path) -> Any:
    with _open(path) as handle:
        return json.loads(handle.read())


def _head_timestamp(path: Path) -> datetime:
    with _open(path) as handle:
        head = handle.read(_HEAD_BYTES)
    match = _TIMESTAMP.search(head)
    if match is not None:
        return parse_timestamp(match.group(1).decode())
    body = _read_json(path)  # "timestamp" was not first: read it the slow way
    if not isinstance(body, dict) or "timestamp" not in body:
        raise ConfigurationError(f"replay file {path} is not a historical response")
    return parse_timestamp(body["timestamp"])


class ReplayArchive:
    """Recorded historical snapshots under ``root``, indexed lazily.

    Example::

        archive = ReplayArchive(Path("shared/data/real_nba_odds/the_odds_api_snapshots"))
        found = archive.snapshot_at("odds", parse_timestamp("2023-11-01T18:00:00Z"))
        body = archive.load(found.path)   # the recorded envelope
    """

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise ConfigurationError(f"replay folder {root} does not exist or is not a folder")
        self.root = root
        self._indexes: dict[str, tuple[list[datetime], list[Path]]] = {}
        self._loaded: OrderedDict[Path, Any] = OrderedDict()

    def index(self, kind: SnapshotKind) -> tuple[list[datetime], list[Path]]:
        """Sorted snapshot timestamps of one kind, and their files (built on first use)."""
        found = self._indexes.get(kind)
        if found is None:
            folder = self.root / kind
            files = (
                sorted(p for p in folder.rglob("*") if p.name.endswith((".json", ".json.gz")))
                if folder.is_dir()
                else []
            )
            # One file per timestamp: a later duplicate (same snapshot, two names) wins.
            by_time = {_head_timestamp(path): path for path in files}
            times = sorted(by_time)
            found = (times, [by_time[t] for t in times])
            self._indexes[kind] = found
        return found

    def first_timestamp(self, kind: SnapshotKind) -> datetime | None:
        times, _ = self.index(kind)
        return times[0] if times else None

    def snapshot_at(self, kind: SnapshotKind, moment: datetime) -> RecordedSnapshot | None:
        """The latest recorded snapshot at or before ``moment``; None before the first."""
        times, paths = self.index(kind)
        position = bisect.bisect_right(times, moment) - 1
        if position < 0:
            return None
        return RecordedSnapshot(
            timestamp=times[position],
            path=paths[position],
            previous_timestamp=times[position - 1] if position > 0 else None,
            next_timestamp=times[position + 1] if position + 1 < len(times) else None,
        )

    def load(self, path: Path) -> Any:
        """The parsed body of a recorded file (the last few are kept in memory)."""
        if path in self._loaded:
            self._loaded.move_to_end(path)
            return self._loaded[path]
        body = _read_json(path)
        self._loaded[path] = body
        if len(self._loaded) > _LOADED_FILES:
            self._loaded.popitem(last=False)
        return body

    def events(self, snapshot: RecordedSnapshot) -> list[dict[str, Any]]:
        """The ``data`` list of a recorded snapshot (a bare list is accepted too)."""
        body = self.load(snapshot.path)
        data = body.get("data", []) if isinstance(body, dict) else body
        return (
            [event for event in data if isinstance(event, dict)] if isinstance(data, list) else []
        )

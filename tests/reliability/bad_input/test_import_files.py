"""Bad files in an archive (``odds import snapshots``): each listed with its reason, not fatal.

One archive in the provider's layout (``odds/<season>/...``) holds a good file next to the bad
ones; the import stores the good ones and names every bad file and why, on both backends.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oddscore.clock import FrozenClock
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import PAYLOADS, base_payload, table_counts

LATER = datetime(2024, 3, 1, tzinfo=UTC)


def _envelope(timestamp: Any = "2024-01-09T12:10:00Z") -> bytes:
    return json.dumps({"timestamp": timestamp, "data": base_payload()}).encode()


def _truncated_gzip() -> bytes:
    packed = gzip.compress(_envelope())
    return packed[: len(packed) // 2]


# file name -> (its bytes, the reason the import must give; None: imported)
FILES: dict[str, tuple[Callable[[], bytes], str | None]] = {
    "odds_2024-01-09.json": (_envelope, None),
    # A name that is no date: the file is still imported, by the time it carries.
    "odds_2024-13-45.json": (lambda: _envelope("2024-01-09T18:10:00Z"), None),
    "odds_2024-01-10.json": (lambda: (PAYLOADS / "not_json.txt").read_bytes(), "not valid JSON"),
    "odds_2024-01-11.json": (
        lambda: (PAYLOADS / "truncated.json").read_bytes(),
        "not valid JSON",
    ),
    "odds_2024-01-12.json.gz": (_truncated_gzip, "is not a valid gzip file"),
    "odds_2024-01-13.json": (
        lambda: (PAYLOADS / "base_event.json").read_bytes(),
        "is not a historical response ({timestamp, data})",
    ),
    "odds_2024-01-14.json": (
        lambda: _envelope("2024-01-14T12:10:00"),
        "bad timestamp (naive datetime",
    ),
    "odds_2024-01-15.json": (lambda: _envelope(["yesterday"]), "bad timestamp (not a timestamp"),
    "odds_2024-01-16.json": (
        lambda: json.dumps({"timestamp": "2024-01-16T12:10:00Z", "data": "nothing"}).encode(),
        "event 0 is not an object",
    ),
}


async def test_bad_archive_files_are_listed_and_the_good_ones_stored(
    db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "archive" / "odds" / "2023-2024"
    folder.mkdir(parents=True)
    for name, (make, _) in FILES.items():
        (folder / name).write_bytes(make())
    summary = await import_snapshots(
        db, tmp_path / "archive", options=IngestOptions(clock=FrozenClock(LATER))
    )
    failures = {Path(path).name: reason for path, reason in summary.failures}
    expected = {name: reason for name, (_, reason) in FILES.items() if reason is not None}
    assert set(failures) == set(expected)
    for name, reason in expected.items():
        assert name in failures[name] and reason in failures[name], failures[name]
        assert "\n" not in failures[name]
    assert (summary.files, summary.odds_files) == (len(FILES), 2)
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (1, 2, 24)

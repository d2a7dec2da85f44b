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

import pytest

from oddscore.clock import FrozenClock
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import PAYLOADS, base_payload, issue_types, table_counts

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
        "data is not a list of events (a str)",
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


# Entries that are not what their names claim, made in the folder by each function, and the
# exact reason the import must give. Read with a 1 MB limit.
LIMIT = 1024 * 1024


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.json").write_bytes(_envelope())  # never reached: the folder is refused


def _symlink_loop(path: Path) -> None:
    path.symlink_to(path.name)


def _endless(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _io_error(path: Path) -> None:
    # A regular file to stat() whose read fails with EIO: the kernel's /proc/<pid>/mem at
    # offset 0. Permission errors take the same path (and cannot be made as root).
    path.symlink_to("/proc/self/mem")


def _too_big(path: Path) -> None:
    path.write_bytes(_envelope()[:-1] + b" " * LIMIT + b"}")


def _gzip_bomb(path: Path) -> None:
    path.write_bytes(gzip.compress(_envelope()[:-1] + b" " * (8 * LIMIT) + b"}"))


def _one_bad_event(path: Path) -> None:
    good = base_payload()[0]
    bad = {**good, "id": "bad0" * 8, "home_team": None}
    later = {**good, "bookmakers": good["bookmakers"][:1]}
    path.write_bytes(
        json.dumps({"timestamp": "2024-01-09T13:10:00Z", "data": [bad, later]}).encode()
    )


LIMIT_TEXT = "the size limit of 1 MB (IMPORT_MAX_FILE_MB)"
HOSTILE: dict[str, tuple[Callable[[Path], None], str]] = {
    "odds_2024-01-17.json.gz": (_directory, "odds_2024-01-17.json.gz is a directory, not a file"),
    "odds_2024-01-18.json": (
        _symlink_loop,
        "odds_2024-01-18.json: cannot read it (Too many levels of symbolic links)",
    ),
    "odds_2024-01-19.json": (
        _endless,
        "odds_2024-01-19.json is not a regular file (a device or pipe)",
    ),
    "odds_2024-01-20.json": (
        _io_error,
        "odds_2024-01-20.json: cannot read it (Input/output error)",
    ),
    "odds_2024-01-21.json": (_too_big, f"odds_2024-01-21.json is larger than {LIMIT_TEXT}"),
    "odds_2024-01-22.json.gz": (
        _gzip_bomb,
        f"odds_2024-01-22.json.gz unpacks to more than {LIMIT_TEXT}",
    ),
}
BAD_EVENT = (
    "odds_2024-01-23.json: event 0 not stored: payload does not fit the odds schema: event 0: "
    "home_team: Input should be a valid string"
)


def _hostile_archive(root: Path) -> Path:
    folder = root / "archive" / "odds" / "2023-2024"
    folder.mkdir(parents=True)
    (folder / "odds_2024-01-09.json").write_bytes(_envelope())
    for name, (make, _) in HOSTILE.items():
        make(folder / name)
    _one_bad_event(folder / "odds_2024-01-23.json")
    return root / "archive"


async def test_files_that_are_not_what_they_claim_are_listed_and_the_rest_stored(
    db: Database, tmp_path: Path
) -> None:
    archive = _hostile_archive(tmp_path)
    before = await table_counts(db)
    summary = await import_snapshots(
        db, archive, options=IngestOptions(clock=FrozenClock(LATER)), max_file_bytes=LIMIT
    )
    assert {Path(path).name: reason for path, reason in summary.failures} == {
        name: reason for name, (_, reason) in HOSTILE.items()
    }
    # The good file, and the good event of the file with a bad one, are stored.
    assert (summary.files, summary.odds_files) == (len(HOSTILE) + 2, 2)
    assert summary.result.refusal_reasons == [BAD_EVENT]
    after = await table_counts(db)
    assert (before["events"], before["odds_snapshots"], before["odds"]) == (0, 0, 0)
    assert (after["events"], after["odds_snapshots"], after["odds"]) == (1, 2, 18)
    assert await issue_types(db) == ["malformed_event"]


def test_the_import_command_lists_each_failed_file_and_exits_1(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from oddscore.cli.app import app
    from oddscore.config import get_settings

    archive = _hostile_archive(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(
        app, ["import", "snapshots", str(archive), "--max-file-mb", "1"], terminal_width=400
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name, (_, reason) in HOSTILE.items():
        assert f"skipped {archive / 'odds' / '2023-2024' / name}: {reason}" in result.output
    assert f"refused {BAD_EVENT}" in result.output
    assert "6 of 8 files not imported (listed above); the other 2 were stored." in result.output


async def test_a_nul_in_a_file_refuses_only_its_event(db: Database, tmp_path: Path) -> None:
    """A NUL spelled in the raw JSON of one event (its book's title, stored only in the raw
    snapshot): that event is refused on both backends, the other stored."""
    from tests.reliability.bad_input.helpers import TWIN_ID, mutate

    data = mutate(
        base_payload(), [["twin", "0"], ["set", "1.bookmakers.0.title", "Draft\x00Kings"]]
    )
    folder = tmp_path / "archive" / "odds" / "2023-2024"
    folder.mkdir(parents=True)
    envelope = {"timestamp": "2024-01-09T12:10:00Z", "data": data}
    (folder / "odds_2024-01-09.json").write_text(json.dumps(envelope))
    summary = await import_snapshots(
        db, tmp_path / "archive", options=IngestOptions(clock=FrozenClock(LATER))
    )
    assert summary.failures == []
    assert summary.result.refusal_reasons == [
        f"event {TWIN_ID} not stored: bookmakers.0.title 'Draft\\x00Kings' holds a NUL character"
    ]
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (1, 1, 12)
    assert await issue_types(db) == ["unstorable_value"]


async def test_a_file_stamped_year_9999_stores_only_findings(db: Database, tmp_path: Path) -> None:
    """Its snapshot time is in the future (``future_snapshot``: nothing of it may be used as a
    price seen then), and the event that does not parse keeps its own finding."""
    good = base_payload()[0]
    folder = tmp_path / "archive" / "odds" / "2023-2024"
    folder.mkdir(parents=True)
    envelope = {"timestamp": "9999-12-31T23:59:59Z", "data": [good, {**good, "id": None}]}
    (folder / "odds_2024-01-09.json").write_text(json.dumps(envelope))
    before = await table_counts(db)
    summary = await import_snapshots(
        db, tmp_path / "archive", options=IngestOptions(clock=FrozenClock(LATER))
    )
    assert (summary.failures, summary.odds_files, summary.result.findings) == ([], 1, 2)
    after = await table_counts(db)
    assert after == {**before, "data_quality_logs": 2}
    assert await issue_types(db) == ["future_snapshot", "malformed_event"]

"""What a user reads when the database refuses a write: what was stored, what was not, why.

An import of three files (one game each) meets a trigger that refuses the second file's
snapshot. The groups committed before it stay stored and the message says so with their
counts; the driver's one-line reason is shown, never the SQL statement or a traceback (those
go to the debug log). On both backends, through the library and the ``odds`` command.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from oddscore.clock import FrozenClock
from oddscore.config import get_settings
from oddscore.exceptions import StorageError
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import SNAPSHOT, base_payload, body_of, table_counts

LATER = datetime(2024, 3, 1, tzinfo=UTC)
REFUSED_ID = "2" * 32
NAMES = ("odds_2024-01-09.json", "odds_2024-01-10.json", "odds_2024-01-11.json")


def _archive(root: Path) -> Path:
    folder = root / "archive" / "odds" / "2023-2024"
    folder.mkdir(parents=True)
    for number, name in enumerate(NAMES, start=1):
        # Other days: three games, not one game under three ids.
        tip = f"2024-01-1{number}T00:10:00Z"
        event = {**base_payload()[0], "id": str(number) * 32, "commence_time": tip}
        envelope = {"timestamp": "2024-01-09T12:10:00Z", "data": [event]}
        (folder / name).write_text(json.dumps(envelope))
    return root / "archive"


async def _refuse_second_game(db: Database) -> None:
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION bad_input_refuse() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.event_id = '{REFUSED_ID}' THEN "
                    "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    "CREATE TRIGGER bad_input_refuse BEFORE INSERT ON odds_snapshots "
                    "FOR EACH ROW EXECUTE FUNCTION bad_input_refuse()"
                )
            )
        else:
            await conn.execute(
                text(
                    "CREATE TRIGGER bad_input_refuse BEFORE INSERT ON odds_snapshots "
                    f"WHEN NEW.event_id = '{REFUSED_ID}' "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                )
            )


async def _allow(db: Database) -> None:
    async with db.engine.begin() as conn:
        on = " ON odds_snapshots" if db.dialect == "postgresql" else ""
        await conn.execute(text(f"DROP TRIGGER IF EXISTS bad_input_refuse{on}"))


@pytest.fixture(autouse=True)
async def _no_trigger_left(db_url: str) -> AsyncIterator[None]:
    yield
    async with Database.from_url(db_url, null_pool=True) as db:
        await _allow(db)


def _options() -> IngestOptions:
    return IngestOptions(clock=FrozenClock(LATER))


async def test_a_refused_write_says_what_earlier_groups_stored(
    db: Database, tmp_path: Path
) -> None:
    archive = _archive(tmp_path)
    await _refuse_second_game(db)
    with pytest.raises(StorageError) as caught:
        await import_snapshots(db, archive, options=_options(), batch_files=1)
    assert str(caught.value) == (
        "import stopped by a database error (injected failure). Stored before it: 1 file(s): "
        "1 snapshots, 12 odds rows, 1 new events. Not stored: the file odds_2024-01-10.json, "
        "and 1 more file(s) not read. Run the same import again to resume (stored files add "
        "nothing)."
    )
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (1, 1, 12)

    await _allow(db)
    again = await import_snapshots(db, archive, options=_options(), batch_files=1)
    assert (again.result.snapshots_inserted, again.result.snapshots_skipped) == (2, 1)
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (3, 3, 36)


async def test_a_refused_payload_names_the_driver_reason_without_sql(db: Database) -> None:
    payload = [{**base_payload()[0], "id": REFUSED_ID}]
    await _refuse_second_game(db)
    before = await table_counts(db)
    with pytest.raises(StorageError) as caught:
        await ingest_odds(db, payload, snapshot_time=SNAPSHOT, source="import", options=_options())
    assert str(caught.value) == "ingestion failed, nothing stored: injected failure"
    assert await table_counts(db) == before


def test_the_import_command_prints_one_line_without_sql(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from oddscore.cli.app import app

    async def arm() -> None:
        async with Database.from_url(db_url, null_pool=True) as db:
            await _refuse_second_game(db)

    async def counts() -> dict[str, int]:
        async with Database.from_url(db_url, null_pool=True) as db:
            return await table_counts(db)

    asyncio.run(arm())
    archive = _archive(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["import", "snapshots", str(archive)], terminal_width=400)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert lines == [
        "error: import stopped, nothing stored: the database refused the 3 file(s) "
        "odds_2024-01-09.json..odds_2024-01-11.json (injected failure); 0 more file(s) not read"
    ], result.output
    assert "[SQL" not in result.output and "INSERT INTO" not in result.output
    assert "Traceback" not in result.output
    stored = asyncio.run(counts())
    assert (stored["events"], stored["odds_snapshots"], stored["odds"]) == (0, 0, 0)


def _provider(body: bytes) -> Any:
    """A provider whose /odds answers ``body`` (with quota headers), over real HTTP."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def odds(request: Any) -> Response:
        headers = {"x-requests-remaining": "100", "x-requests-used": "3", "x-requests-last": "3"}
        return Response(body, media_type="application/json", headers=headers)

    return Starlette(routes=[Route("/v4/sports/{sport}/odds", odds)])


@pytest.mark.parametrize(
    ("ops", "refused", "stored_games", "tail"),
    [
        ([["twin", "0"], ["set", "1.commence_time", "9999-12-31T00:10:00Z"]], 1, 1, None),
        (
            [["set", "0.home_team", "Denver\u0000Nuggets"]],
            1,
            0,
            "Nothing stored: the 1 listed games were refused (listed above: values the database "
            "cannot hold or times out of range).",
        ),
    ],
    ids=["one-of-two-refused", "all-refused"],
)
def test_fetch_current_lists_the_refused_games_and_what_was_stored(
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    ops: list[list[Any]],
    refused: int,
    stored_games: int,
    tail: str | None,
) -> None:
    import asyncio

    from oddscore.cli.app import app
    from tests.servers import serve_in_thread

    async def counts() -> dict[str, int]:
        async with Database.from_url(db_url, null_pool=True) as db:
            return await table_counts(db)

    # The CLI's clock just after the snapshot: the base game is upcoming, not in play.
    monkeypatch.setattr("oddscore.clock.utcnow", lambda: SNAPSHOT)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", "bad-input-cli-key")
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "0")
    before = asyncio.run(counts())
    with serve_in_thread(_provider(body_of({"ops": ops}))) as url:
        monkeypatch.setenv("ODDS_API_BASE_URL", url)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["fetch", "current"], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    refusals = [line for line in result.output.splitlines() if line.startswith("refused ")]
    assert len(refusals) == refused, result.output
    assert "not stored:" in refusals[0]
    after = asyncio.run(counts())
    assert after["events"] - before["events"] == stored_games
    assert after["odds"] - before["odds"] == 12 * stored_games
    assert after["data_quality_logs"] - before["data_quality_logs"] >= refused
    if tail is not None:
        assert tail in " ".join(result.output.split()), result.output
    else:
        assert "Nothing stored" not in result.output and "No odds stored" not in result.output

"""Regression fixture: the real 2023-24 archive imports to exactly the frozen digest.

``fixtures/ingest_2023_24.json`` holds counts and hashes of every table an import writes
(``tests/ingestion/ingest_digest.py``), taken from the pipeline before set-based ingestion
(issue #19). Any change to parsing, validation, event resolution or the writes that alters a
stored value, a validation note or a finding changes a hash. The same digest is expected on
both backends. Regenerate only for an intended change of stored data:
``ODDS_WRITE_INGEST_FIXTURE=1 uv run pytest tests/ingestion/test_ingest_fixture.py``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from oddscore.clock import FrozenClock
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.storage import Database
from tests.conftest import real_data
from tests.ingestion.ingest_digest import digest

FIXTURE = Path(__file__).parent / "fixtures" / "ingest_2023_24.json"
# After the season, so that no snapshot counts as from the future.
NOW = datetime(2024, 7, 1, tzinfo=UTC)

pytestmark = pytest.mark.slow


def _options() -> IngestOptions:
    return IngestOptions(expected_markets=("h2h", "spreads", "totals"), clock=FrozenClock(NOW))


async def test_real_season_imports_to_the_frozen_digest(db_url: str) -> None:
    archive = real_data("the_odds_api_snapshots")
    db = Database.from_url(db_url)
    try:
        summary = await import_snapshots(db, archive, options=_options(), seasons=["2023-2024"])
        async with db.engine.connect() as conn:
            found = await digest(conn)
    finally:
        await db.dispose()
    assert not summary.failures
    if os.environ.get("ODDS_WRITE_INGEST_FIXTURE") == "1":
        FIXTURE.write_bytes(orjson.dumps(found, option=orjson.OPT_INDENT_2) + b"\n")
    expected = orjson.loads(FIXTURE.read_bytes())
    for table in expected:
        assert found[table] == expected[table], table
    assert found == expected


async def test_reimporting_the_season_adds_nothing(db_url: str) -> None:
    """Idempotency on the real archive: a second import of one month changes no digest."""
    archive = real_data("the_odds_api_snapshots")
    db = Database.from_url(db_url)
    month = {"start": datetime(2024, 1, 1).date(), "end": datetime(2024, 1, 31).date()}
    try:
        first = await import_snapshots(
            db, archive, options=_options(), seasons=["2023-2024"], **month
        )
        async with db.engine.connect() as conn:
            before = await digest(conn)
        again = await import_snapshots(
            db, archive, options=_options(), seasons=["2023-2024"], **month
        )
        async with db.engine.connect() as conn:
            after = await digest(conn)
    finally:
        await db.dispose()
    assert first.result.snapshots_inserted > 100
    assert first.result.odds_rows > 5_000
    assert again.result.snapshots_inserted == 0
    assert again.result.odds_rows == 0
    assert after == before

"""Bad result CSV rows (``odds results import``): a clear error naming the line, nothing stored.

Runs each ``results`` case of ``cases.json`` against one stored game, on both backends.
"""

from __future__ import annotations

import builtins
import re
from typing import Any

import pytest
from sqlalchemy import text

import oddscore.exceptions as errors
from oddscore.clock import FrozenClock
from oddscore.ingestion.results import import_results
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import (
    NOW,
    RESULTS,
    manifest,
    store_base_payload,
    table_counts,
)

CASES = manifest()["results"]


async def _scores(db: Database) -> list[tuple[Any, ...]]:
    async with db.session() as session:
        rows = await session.execute(text("SELECT home_score, away_score, status FROM events"))
        return [tuple(r) for r in rows]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
async def test_bad_results_file(db: Database, case: dict[str, Any]) -> None:
    await store_base_payload(db)
    before = await table_counts(db)
    scores = await _scores(db)
    expect = case["expect"]
    path = RESULTS / case["file"]
    if "error" in expect:
        error_class = getattr(errors, expect["error"], None) or getattr(builtins, expect["error"])
        with pytest.raises(error_class) as caught:
            await import_results(db, path, clock=FrozenClock(NOW))
        message = str(caught.value)
        assert re.search(re.escape(expect["match"]), message), message
        assert "\n" not in message and "Traceback" not in message
        assert await _scores(db) == scores  # nothing stored
        assert await table_counts(db) == before
        return
    report = await import_results(db, path, clock=FrozenClock(NOW))
    assert (report.updated, len(report.skipped), report.unmatched) == (
        expect["updated"],
        expect["skipped"],
        expect["unmatched"],
    )
    if expect["updated"]:
        assert await _scores(db) == [(114, 106, "final")]
    else:
        assert await _scores(db) == scores

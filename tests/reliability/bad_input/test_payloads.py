"""Every bad provider payload of ``cases.json`` ends as stored-and-logged or as a clear error.

Each case runs through both ways a payload enters: the live path (the real client over an
``httpx.MockTransport``, then ``ingest_response``) and the import/backfill path
(``ingest_odds`` on the raw JSON), on SQLite and PostgreSQL. Strict mode runs first on the
empty database and must write nothing but its findings (and, live, the fetch log); log mode
then stores the payload as the manifest says.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

import oddscore.exceptions as errors
from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions, IngestResult, ingest_odds, ingest_response
from oddscore.provider.client import OddsApiClient
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import (
    BOOKS,
    MARKETS,
    NOW,
    SNAPSHOT,
    base_payload,
    body_of,
    issue_types,
    manifest,
    mutate,
    table_counts,
)

CASES = manifest()["payloads"]
KEY = "bad-input-test-key"


def _options(strict: bool) -> IngestOptions:
    return IngestOptions(
        clock=FrozenClock(NOW),
        strict=strict,
        expected_bookmakers=BOOKS,
        expected_markets=MARKETS,
    )


def _client(body: bytes) -> OddsApiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = {"x-requests-remaining": "100", "x-requests-used": "3", "x-requests-last": "3"}
        return httpx.Response(200, content=body, headers=headers)

    return OddsApiClient(
        KEY,
        base_url="http://provider",
        transport=httpx.MockTransport(answer),
        clock=FrozenClock(SNAPSHOT),
        max_retries=0,
    )


async def _live(db: Database, case: dict[str, Any], strict: bool) -> IngestResult:
    async with _client(body_of(case)) as client:
        response = await client.odds("basketball_nba", markets=MARKETS, bookmakers=BOOKS)
    return await ingest_response(db, response, options=_options(strict))


async def _import(db: Database, case: dict[str, Any], strict: bool) -> IngestResult:
    return await ingest_odds(
        db,
        mutate(base_payload(), case["ops"]),
        snapshot_time=SNAPSHOT,
        source="import",
        options=_options(strict),
    )


PATHS = {"live": _live, "import": _import}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for path in PATHS:
            if path == "import" and "body" in case:
                continue  # a body that is not JSON never reaches the import path as a list
            params.append(pytest.param(case, path, id=f"{case['class']}-{case['id']}-{path}"))
    return params


async def _descriptions(db: Database) -> list[str]:
    async with db.session() as session:
        rows = await session.execute(text("SELECT description FROM data_quality_logs"))
        return [str(r[0]) for r in rows]


async def _odds_rows(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT count(*), coalesce(sum(CASE WHEN is_valid THEN 0 ELSE 1 END), 0) "
                    "FROM odds"
                )
            )
        ).one()
    return int(row[0]), int(row[1])


@pytest.mark.parametrize(("case", "path"), _params())
async def test_bad_payload(db: Database, case: dict[str, Any], path: str) -> None:
    expect = case["expect"]
    run = PATHS[path]
    empty = await table_counts(db)

    if "error" in expect:
        error_class = getattr(errors, expect["error"])
        for strict in (True, False):
            with pytest.raises(error_class) as caught:
                await run(db, case, strict)
            message = str(caught.value)
            assert re.search(expect["match"], message), message
            assert "Traceback" not in message and "\n" not in message and len(message) < 2000
            assert await table_counts(db) == empty  # nothing of it is written
        return

    # Strict first: a rejected payload leaves only its findings (and the live fetch log).
    strict = await run(db, case, True)
    after_strict = await table_counts(db)
    logged = {"data_quality_logs"} | ({"fetch_logs"} if path == "live" else set())
    if expect["strict"] == "reject":
        assert strict.rejected == 1, strict
        with pytest.raises(errors.DataQualityError, match="strict mode"):
            strict.raise_if_rejected()
        assert {k: v for k, v in after_strict.items() if k not in logged} == {
            k: v for k, v in empty.items() if k not in logged
        }
        assert after_strict["data_quality_logs"] >= 1
        assert set(expect["findings"]) <= set(await issue_types(db))
    else:
        assert strict.rejected == 0, strict.rejection_reasons
        assert after_strict["odds"] == expect["odds_rows"]
        return  # stored by strict mode already: the log-mode outcome is the same

    result = await run(db, case, False)
    assert result.rejected == 0
    counts = await table_counts(db)
    assert counts["events"] == expect.get("events", 1)
    assert counts["odds_snapshots"] == expect.get("snapshots", 1)
    assert (result.odds_rows, result.odds_flagged) == (expect["odds_rows"], expect["invalid_rows"])
    assert await _odds_rows(db) == (expect["odds_rows"], expect["invalid_rows"])
    assert set(expect["findings"]) <= set(await issue_types(db))
    assert result.records_refused == expect.get("refused", 0), result.refusal_reasons
    if "reason" in expect:
        # The refused record's finding says which record, which field and why, in one line.
        (reason,) = result.refusal_reasons
        assert re.search(expect["reason"], reason) and "\n" not in reason, reason
        assert reason in await _descriptions(db)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if "error" not in c["expect"] and c["expect"]["strict"] == "store"],
    ids=lambda c: c["id"],
)
async def test_what_strict_mode_keeps_is_stored_as_in_log_mode(
    db: Database, case: dict[str, Any]
) -> None:
    """Cases strict mode does not reject: every expectation holds after the strict run."""
    expect = case["expect"]
    result = await _import(db, case, True)
    assert (result.rejected, result.odds_rows, result.odds_flagged) == (
        0,
        expect["odds_rows"],
        expect["invalid_rows"],
    )
    assert set(expect["findings"]) <= set(await issue_types(db))
    if "commence_time" in expect:
        async with db.session() as session:
            stored = (await session.execute(text("SELECT commence_time FROM events"))).scalar_one()
        if isinstance(stored, str):  # SQLite returns text through raw SQL
            stored = datetime.fromisoformat(stored)
        expected = datetime.fromisoformat(expect["commence_time"])
        assert stored.replace(tzinfo=None) == expected.replace(tzinfo=None)

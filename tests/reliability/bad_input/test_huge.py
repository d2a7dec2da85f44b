"""Huge payloads are stored whole, in one transaction, with memory bounded by the body size.

* 5,000 events (2 books, 60,000 rows) through the import path, strict mode included;
* a ~20 MB ``/odds`` body (4,000 events x 8 books, 192,000 rows) through the real client
  and ``ingest_response``.

Both on SQLite and PostgreSQL. Memory: the growth of the process's peak resident set
(``ru_maxrss``) while handling the payload, as a multiple of the JSON body (``tracemalloc``
would triple the run time); no timing is asserted (``benchmarks/`` does that).
"""

from __future__ import annotations

import copy
import json
import resource
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds, ingest_response
from oddscore.ingestion.teams import NBA_TEAMS
from oddscore.provider.client import OddsApiClient
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import NOW, SNAPSHOT, base_payload, table_counts

TEAMS = sorted(NBA_TEAMS)
PAIRS = [(home, away) for home in TEAMS for away in TEAMS if home != away]
FIRST_TIP = datetime(2024, 1, 10, 0, 10, tzinfo=UTC)
# Peak memory growth while parsing, validating and storing, per byte of JSON body. Python
# allocations peak at ~22x the body (measured with tracemalloc: dicts of the parsed JSON,
# quotes, rows); a regression holding another copy of the payload would cross this.
MAX_PEAK_PER_BODY_BYTE = 32


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def huge_payload(events: int, books: int) -> list[dict[str, Any]]:
    """``events`` distinct games (each pair of teams once a day), each with ``books`` books."""
    base = base_payload()[0]
    payload = []
    for index in range(events):
        day, (home, away) = index // len(PAIRS), PAIRS[index % len(PAIRS)]
        event = {k: v for k, v in base.items() if k != "bookmakers"}
        event.update(
            id=f"{index:032x}",
            home_team=home,
            away_team=away,
            commence_time=(FIRST_TIP + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        event["bookmakers"] = []
        for number in range(books):
            book = copy.deepcopy(base["bookmakers"][number % 2])
            book["key"] = f"book{number}"
            for market in book["markets"]:
                for outcome in market["outcomes"]:
                    names = {"Denver Nuggets": home, "Los Angeles Lakers": away}
                    outcome["name"] = names.get(outcome["name"], outcome["name"])
            event["bookmakers"].append(book)
        payload.append(event)
    return payload


def _options(strict: bool = False, now: datetime = NOW) -> IngestOptions:
    return IngestOptions(clock=FrozenClock(now), strict=strict)


async def test_five_thousand_events_are_stored_whole(db: Database) -> None:
    payload = huge_payload(5_000, books=2)
    body = len(json.dumps(payload))
    before = _peak_rss()
    strict = await ingest_odds(
        db, payload, snapshot_time=SNAPSHOT, source="import", options=_options(True)
    )
    grown = _peak_rss() - before
    assert strict.rejected == 0  # nothing invalid in it: strict mode stores it all
    assert (strict.events_inserted, strict.snapshots_inserted, strict.odds_rows) == (
        5_000,
        5_000,
        60_000,
    )
    again = await ingest_odds(
        db, payload, snapshot_time=SNAPSHOT, source="import", options=_options()
    )
    assert (again.snapshots_inserted, again.snapshots_skipped, again.odds_rows) == (0, 5_000, 0)
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (5_000, 5_000, 60_000)
    assert grown < MAX_PEAK_PER_BODY_BYTE * body, (grown, body)


async def test_a_twenty_megabyte_odds_body_is_stored(db: Database) -> None:
    body = json.dumps(huge_payload(4_000, books=8)).encode()
    assert len(body) > 20_000_000

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"x-requests-last": "3"})

    before = _peak_rss()
    async with OddsApiClient(
        "bad-input-test-key",
        base_url="http://provider",
        transport=httpx.MockTransport(answer),
        clock=FrozenClock(SNAPSHOT),
        max_retries=0,
    ) as client:
        response = await client.odds("basketball_nba", markets="h2h,spreads,totals", regions="us")
    result = await ingest_response(db, response, options=_options())
    grown = _peak_rss() - before
    assert (result.events_inserted, result.odds_rows, result.odds_flagged) == (4_000, 192_000, 0)
    counts = await table_counts(db)
    assert (counts["odds_snapshots"], counts["odds"], counts["fetch_logs"]) == (4_000, 192_000, 1)
    assert grown < MAX_PEAK_PER_BODY_BYTE * len(body), (grown, len(body))

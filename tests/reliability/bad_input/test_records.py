"""One bad record among good ones: refused with its finding, the others stored (both backends).

The payload cases of ``cases.json`` spoil one game of two in a fresh database; these cover the
two other ways a record arrives: a live fetch that moves a stored game's tip-off to year 9999,
and an ``/events`` payload (events only, no odds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions, ingest_events, ingest_response
from oddscore.provider.client import OddsApiClient
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import (
    SNAPSHOT,
    base_payload,
    body_of,
    issue_types,
    store_base_payload,
    table_counts,
)


async def _commence_times(db: Database) -> list[datetime]:
    async with db.session() as session:
        rows = await session.execute(text("SELECT commence_time FROM events ORDER BY id"))
        values = [r[0] for r in rows]
    return [datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]


async def test_a_live_tip_off_moved_to_year_9999_is_refused(db: Database) -> None:
    await store_base_payload(db)
    before = await table_counts(db)
    stored = await _commence_times(db)
    later = SNAPSHOT + timedelta(hours=1)
    body = body_of({"ops": [["set", "0.commence_time", "9999-12-31T00:10:00Z"]]})

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"x-requests-last": "3"})

    async with OddsApiClient(
        "bad-input-test-key",
        base_url="http://provider",
        transport=httpx.MockTransport(answer),
        clock=FrozenClock(later),
        max_retries=0,
    ) as client:
        response = await client.odds("basketball_nba", markets="h2h,spreads,totals", regions="us")
    result = await ingest_response(
        db, response, options=IngestOptions(clock=FrozenClock(later + timedelta(minutes=1)))
    )

    assert (result.records_refused, result.odds_rows, result.snapshots_inserted) == (1, 0, 0)
    assert result.refusal_reasons == [
        "event 0badc0de0badc0de0badc0de0badc0de not stored: commence_time "
        "9999-12-31T00:10:00+00:00 is outside 1970-01-01..2099-12-31"
    ]
    after = await table_counts(db)
    assert after == {
        **before,
        "data_quality_logs": before["data_quality_logs"] + 1,
        "fetch_logs": before["fetch_logs"] + 1,
    }
    assert await _commence_times(db) == stored  # the stored tip-off is not moved
    assert "time_out_of_range" in await issue_types(db)


async def test_an_events_payload_stores_its_good_events_and_refuses_the_others(
    db: Database,
) -> None:
    good = {k: v for k, v in base_payload()[0].items() if k != "bookmakers"}
    far = {**good, "id": "f" * 32, "commence_time": "9999-01-01T00:00:00Z"}
    nul = {**good, "id": "e" * 32, "home_team": "Denver\x00Nuggets"}
    long_id = {**good, "id": "d" * 65}
    before = await table_counts(db)
    result = await ingest_events(
        db,
        [far, good, nul, long_id],
        seen_at=SNAPSHOT,
        options=IngestOptions(clock=FrozenClock(datetime(2024, 3, 1, tzinfo=UTC))),
    )
    assert (result.events_inserted, result.records_refused, result.findings) == (1, 3, 3)
    assert result.refusal_reasons == [
        f"event {'f' * 32} not stored: commence_time 9999-01-01T00:00:00+00:00 is outside "
        "1970-01-01..2099-12-31",
        f"event {'e' * 32} not stored: home_team 'Denver\\x00Nuggets' holds a NUL character",
        f"event '{'d' * 56}... not stored: id is 65 characters (limit 64)",
    ]
    after = await table_counts(db)
    assert after == {
        **before,
        "events": before["events"] + 1,
        "data_quality_logs": before["data_quality_logs"] + 3,
    }
    assert await issue_types(db) == ["time_out_of_range", "unstorable_value", "unstorable_value"]


async def test_a_snapshot_stamped_year_1_stores_only_its_finding(db: Database) -> None:
    from oddscore.ingestion.pipeline import ingest_odds

    before = await table_counts(db)
    result = await ingest_odds(
        db,
        base_payload(),
        snapshot_time=datetime(1, 1, 1, 1, tzinfo=UTC),
        source="import",
        options=IngestOptions(clock=FrozenClock(SNAPSHOT)),
    )
    assert (result.snapshots_inserted, result.odds_rows, result.findings) == (0, 0, 1)
    after = await table_counts(db)
    assert after == {**before, "data_quality_logs": before["data_quality_logs"] + 1}
    assert await issue_types(db) == ["time_out_of_range"]


async def test_a_scores_payload_stores_its_good_games_and_refuses_the_others(
    db: Database,
) -> None:
    from oddscore.ingestion.scores import ingest_scores
    from oddscore.provider.models import ScoreEvent

    header = {k: v for k, v in base_payload()[0].items() if k != "bookmakers"}

    def game(event_id: str, home: str | None = None, **changes: object) -> ScoreEvent:
        scores = [
            {"name": "Denver Nuggets", "score": home or "114"},
            {"name": "Los Angeles Lakers", "score": "106"},
        ]
        values = {**header, "id": event_id, "completed": True, "scores": scores, **changes}
        return ScoreEvent.model_validate(values)

    before = await table_counts(db)
    result = await ingest_scores(
        db,
        [
            game("a" * 32),
            game("b" * 32, commence_time="9999-01-01T00:00:00Z"),
            game("c" * 32, home_team="Denver\x00Nuggets"),
            game("d" * 32, home="1e400"),
            game("e" * 32, home="-5"),
        ],
        fetched_at=SNAPSHOT + timedelta(days=1),
        clock=FrozenClock(SNAPSHOT + timedelta(days=1)),
    )
    assert (result.events, result.events_inserted, result.finals) == (5, 1, 1)
    assert result.refusal_reasons == [
        f"event {'b' * 32} not stored: commence_time 9999-01-01T00:00:00+00:00 is outside "
        "1970-01-01..2099-12-31",
        f"event {'c' * 32} not stored: home_team 'Denver\\x00Nuggets' holds a NUL character",
        f"event {'d' * 32} not stored: score '1e400' is not a whole number in 0..10000",
        f"event {'e' * 32} not stored: score '-5' is not a whole number in 0..10000",
    ]
    after = await table_counts(db)
    assert after == {
        **before,
        "events": before["events"] + 1,
        "data_quality_logs": before["data_quality_logs"] + 4,
    }
    async with db.session() as session:
        scores = (await session.execute(text("SELECT home_score, away_score FROM events"))).one()
    assert tuple(scores) == (114, 106)

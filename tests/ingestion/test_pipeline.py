"""The pipeline on both backends: exact rows, idempotency, atomicity, strict mode, merges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from oddscore.clock import FrozenClock
from oddscore.exceptions import DataQualityError, StorageError
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds, ingest_response
from oddscore.provider.models import EventOdds
from oddscore.provider.response import ApiResponse, Quota
from oddscore.storage import (
    Database,
    DataQualityLog,
    Event,
    EventAlias,
    FetchLog,
    Odds,
    OddsSnapshot,
)
from tests.ingestion.conftest import (
    AWAY,
    HOME,
    NOW,
    TAKEN,
    TIP,
    book,
    event,
    iso,
    rows_in,
    violated_odds_index,
)

OPTIONS = IngestOptions(clock=FrozenClock(NOW), expected_markets=("h2h", "spreads", "totals"))
STRICT = IngestOptions(clock=FrozenClock(NOW), strict=True)


async def counts(db: Database) -> dict[str, int]:
    found = {}
    async with db.session() as session:
        for model in (Event, EventAlias, OddsSnapshot, Odds, DataQualityLog, FetchLog):
            found[model.__tablename__] = (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
    return found


async def ingest(db: Database, payload, taken=TAKEN, options=OPTIONS, **kwargs):
    return await ingest_odds(
        db, payload, snapshot_time=taken, source="import", options=options, **kwargs
    )


async def test_payload_becomes_events_one_raw_snapshot_each_and_exact_rows(db: Database) -> None:
    payload = [
        event(1),
        event(
            2,
            home="Miami Heat",
            away="Boston Celtics",
            books=[book("draftkings", home="Miami Heat", away="Boston Celtics")],
        ),
    ]
    result = await ingest(db, payload, request_id="req-1")
    assert (result.events_inserted, result.snapshots_inserted, result.odds_rows) == (2, 2, 18)
    assert await counts(db) == {
        "events": 2,
        "event_aliases": 0,
        "odds_snapshots": 2,
        "odds": rows_in(payload),
        "data_quality_logs": 0,
        "fetch_logs": 0,
    }
    async with db.session() as session:
        snap = (
            await session.execute(select(OddsSnapshot).where(OddsSnapshot.event_id == f"{1:032x}"))
        ).scalar_one()
        rows = (await session.execute(select(Odds).where(Odds.snapshot_id == snap.id))).scalars()
        rows = list(rows)
    assert snap.raw_data == payload[0]
    assert (snap.bookmaker_count, snap.fetch_tier, snap.hours_until_commence) == (2, "sharp", 12.0)
    assert (snap.source, snap.api_request_id, snap.snapshot_time) == ("import", "req-1", TAKEN)
    assert len(rows) == 12
    assert {(r.bookmaker_key, r.market_key, r.outcome_name, r.price, r.point) for r in rows} >= {
        ("draftkings", "h2h", HOME, -150, None),
        ("fanduel", "spreads", AWAY, -110, 3.5),
        ("draftkings", "totals", "Under", -110, 228.5),
    }
    assert all(r.odds_timestamp == TAKEN and r.is_valid for r in rows)
    assert rows[0].last_update == TAKEN - timedelta(minutes=5)


async def test_the_same_snapshot_twice_adds_nothing(db: Database) -> None:
    payload = [event(1), event(2)]
    payload[1]["bookmakers"][0]["markets"][0]["outcomes"][0]["price"] = 50  # one finding
    await ingest(db, payload)
    before = await counts(db)
    async with db.session() as session:
        stamps = (await session.execute(select(Event.updated_at))).scalars().all()
    again = await ingest(db, payload)
    assert await counts(db) == before
    assert (again.snapshots_inserted, again.snapshots_skipped, again.odds_rows) == (0, 2, 0)
    assert (again.findings, again.events_inserted, again.events_updated) == (0, 0, 0)
    async with db.session() as session:
        assert (await session.execute(select(Event.updated_at))).scalars().all() == stamps


async def test_event_follows_the_newest_payload_and_a_final_game_stays_final(
    db: Database,
) -> None:
    later = TAKEN + timedelta(hours=6)
    moved = TIP + timedelta(minutes=30)
    await ingest(db, [event(1, commence=moved)], taken=later)
    await ingest(db, [event(1)], taken=TAKEN)  # an older file replayed late
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
        assert stored.commence_time == moved and stored.last_seen_at == later
        await session.execute(update(Event).values(status="final", home_score=110, away_score=100))
    newest = later + timedelta(hours=1)
    await ingest(db, [event(1, commence=TIP)], taken=newest)
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
    assert (stored.status, stored.home_score, stored.commence_time) == ("final", 110, TIP)
    assert await counts(db) == {**await counts(db), "odds_snapshots": 3}


async def test_log_mode_flags_rows_and_strict_mode_rejects_the_payload(db: Database) -> None:
    payload = [event(1, books=[book(h2h=(50, 130))]), event(2)]
    result = await ingest(db, payload, options=STRICT)
    assert result.rejected == 1 and result.findings == 1
    with pytest.raises(DataQualityError, match="strict mode"):
        result.raise_if_rejected()
    found = await counts(db)
    assert (found["events"], found["odds_snapshots"], found["odds"]) == (0, 0, 0)
    assert found["data_quality_logs"] == 1

    result = await ingest(db, payload)
    assert (result.rejected, result.odds_rows, result.odds_flagged) == (0, 18, 1)
    async with db.session() as session:
        flagged = (await session.execute(select(Odds).where(Odds.is_valid.is_(False)))).scalars()
        flagged = list(flagged)
        log = (
            (
                await session.execute(
                    select(DataQualityLog).where(DataQualityLog.issue_type == "price_out_of_range")
                )
            )
            .scalars()
            .all()
        )
    assert [(r.price, r.validation_notes) for r in flagged] == [(50, "price_out_of_range")]
    assert log[-1].severity == "error" and log[-1].raw_data["action"] == "flag"
    assert log[-1].event_id == f"{1:032x}" and log[-1].bookmaker_key == "draftkings"


async def test_in_play_snapshot_keeps_raw_json_but_no_odds(db: Database) -> None:
    result = await ingest(db, [event(1)], taken=TIP + timedelta(hours=1))
    assert (result.snapshots_inserted, result.odds_rows, result.odds_excluded) == (1, 0, 12)
    async with db.session() as session:
        snap = (await session.execute(select(OddsSnapshot))).scalar_one()
        issue = (await session.execute(select(DataQualityLog.issue_type))).scalar_one()
    assert (snap.fetch_tier, snap.hours_until_commence, issue) == (None, -1.0, "in_play")


async def test_a_database_error_mid_batch_leaves_nothing(db: Database) -> None:
    # A real constraint, violated by the third event's odds rows after the first two events,
    # their snapshots and rows were written in the same transaction.
    async with violated_odds_index(db, "bookmaker_key", "bookmaker_key = 'boom'"):
        payload = [event(1), event(2, books=[book("boom")]), event(3, books=[book("boom")])]
        with pytest.raises(StorageError, match="nothing stored"):
            await ingest(db, payload)
        assert set((await counts(db)).values()) == {0}
    await ingest(db, [event(1)])
    assert (await counts(db))["odds"] == 12


async def test_two_ids_for_one_game_become_one_event(db: Database) -> None:
    # The 2023-24 tournament pattern: a placeholder id in October, a game-day id later.
    early = TAKEN - timedelta(days=30)
    placeholder = event(
        event_id="a" * 32, commence=TIP - timedelta(minutes=70), books=[book(updated=early)]
    )
    game_day = event(event_id="b" * 32, commence=TIP)
    await ingest(db, [placeholder], taken=early)
    result = await ingest(db, [game_day], taken=TAKEN)
    assert result.events_merged == 1
    expected = {
        "events": 1,
        "event_aliases": 1,
        "odds_snapshots": 2,
        "odds": 18,
        "data_quality_logs": 0,
        "fetch_logs": 0,
    }
    assert await counts(db) == expected
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
        owners = set((await session.execute(select(Odds.event_id))).scalars())
    assert (stored.id, stored.commence_time, owners) == ("b" * 32, TIP, {"b" * 32})
    # Replaying both (any order) adds nothing.
    await ingest(db, [placeholder], taken=early)
    await ingest(db, [game_day], taken=TAKEN)
    assert await counts(db) == expected


async def test_an_older_second_id_joins_the_newer_one(db: Database) -> None:
    game_day = event(event_id="b" * 32, commence=TIP)
    placeholder = event(event_id="a" * 32, commence=TIP - timedelta(minutes=70))
    await ingest(db, [game_day], taken=TAKEN)
    result = await ingest(db, [placeholder], taken=TAKEN - timedelta(days=30))
    assert result.events_merged == 1 and result.snapshots_inserted == 1
    async with db.session() as session:
        stored = (await session.execute(select(Event))).scalar_one()
        alias = (await session.execute(select(EventAlias))).scalar_one()
    assert (stored.id, stored.commence_time) == ("b" * 32, TIP)
    assert (alias.alias_id, alias.event_id) == ("a" * 32, "b" * 32)
    assert (await counts(db))["odds_snapshots"] == 2


async def test_baseball_doubleheaders_are_not_merged(db: Database) -> None:
    first = event(event_id="c" * 32, home="New York Yankees", away="Boston Red Sox", books=[])
    second = {**first, "id": "d" * 32, "commence_time": iso(TIP + timedelta(hours=4))}
    for raw in (first, second):
        raw["sport_key"] = "baseball_mlb"
    await ingest(db, [first])
    await ingest(db, [second], taken=TAKEN + timedelta(hours=1))
    assert (await counts(db))["events"] == 2


async def test_renamed_book_titles_keep_one_key(db: Database) -> None:
    await ingest(db, [event(1, books=[book("williamhill_us", title="William Hill (US)")])])
    later = TAKEN + timedelta(hours=3)
    await ingest(db, [event(1, books=[book("williamhill_us", title="Caesars")])], taken=later)
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Odds.bookmaker_key, Odds.bookmaker_title, func.count())
                .group_by(Odds.bookmaker_key, Odds.bookmaker_title)
                .order_by(Odds.bookmaker_title)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("williamhill_us", "Caesars", 6),
        ("williamhill_us", "William Hill (US)", 6),
    ]


async def test_line_jump_against_the_stored_previous_snapshot(db: Database) -> None:
    await ingest(db, [event(1, books=[book(spread=(-3.5, -110, -110))])])
    later = TAKEN + timedelta(hours=3)
    moved = book(spread=(-9.5, -110, -110), updated=later)
    result = await ingest(db, [event(1, books=[moved])], taken=later)
    assert result.findings == 1 and result.odds_flagged == 0
    async with db.session() as session:
        finding = (await session.execute(select(DataQualityLog))).scalar_one()
        notes = (
            (
                await session.execute(
                    select(Odds.validation_notes).where(Odds.odds_timestamp == later).distinct()
                )
            )
            .scalars()
            .all()
        )
    assert (finding.issue_type, finding.market_key, finding.severity) == (
        "line_jump",
        "spreads",
        "warning",
    )
    assert sorted(notes, key=str) == [None, "line_jump"] or sorted(notes, key=str) == [
        "line_jump",
        None,
    ]


def _response(payload, request_id="r-1") -> ApiResponse[list[EventOdds]]:
    return ApiResponse(
        data=[EventOdds.model_validate(e) for e in payload],
        raw=payload,
        quota=Quota(remaining=19_000, used=1_000, last=3),
        request_id=request_id,
        endpoint="/v4/sports/basketball_nba/odds",
        params={"markets": "h2h,spreads,totals", "bookmakers": "draftkings,fanduel"},
        status_code=200,
        fetched_at=TAKEN,
        elapsed_ms=123.4,
    )


async def test_api_response_records_the_fetch_log_once(db: Database) -> None:
    payload = [event(1), event(2)]
    result = await ingest_response(db, _response(payload), options=OPTIONS)
    assert (result.snapshots_inserted, result.odds_rows) == (2, 24)
    await ingest_response(db, _response(payload), options=OPTIONS)
    found = await counts(db)
    assert (found["fetch_logs"], found["odds_snapshots"], found["odds"]) == (1, 2, 24)
    async with db.session() as session:
        log = (await session.execute(select(FetchLog))).scalar_one()
        snap_request = (await session.execute(select(OddsSnapshot.api_request_id))).scalars()
        snap_request = set(snap_request)
        raw = (await session.execute(select(OddsSnapshot.raw_data))).scalars().all()
    assert (log.api_quota_remaining, log.api_quota_used, log.api_quota_last) == (19_000, 1_000, 3)
    assert (log.sport_key, log.events_count, log.bookmakers_count) == ("basketball_nba", 2, 2)
    assert (log.response_time_ms, log.fetch_tier, snap_request) == (123, "sharp", {"r-1"})
    assert sorted(raw, key=lambda r: r["id"]) == payload


async def test_snapshot_from_the_future_is_not_stored(db: Database) -> None:
    clock = FrozenClock(datetime(2024, 1, 1, tzinfo=UTC))
    result = await ingest(db, [event(1)], options=IngestOptions(clock=clock))
    assert (result.snapshots_inserted, result.findings) == (0, 1)
    found = await counts(db)
    assert (found["events"], found["odds"], found["data_quality_logs"]) == (0, 0, 1)

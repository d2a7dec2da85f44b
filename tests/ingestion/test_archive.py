"""The real archive: counts, idempotency and every quirk of SOURCES.md, on both backends."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from oddscore.ingestion.files import import_snapshots, list_archive
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.storage import Database, DataQualityLog, Event, EventAlias, Odds, OddsSnapshot
from tests.ingestion.conftest import archive_dir
from tests.ingestion.test_pipeline import counts

OPTIONS = IngestOptions(expected_markets=("h2h", "spreads", "totals"))
MONTH = {"seasons": ["2023-2024"], "start": date(2023, 10, 24), "end": date(2023, 11, 30)}


def expected_from_files(**selection) -> dict[str, int]:
    """The counts computed straight from the JSON, independently of the pipeline."""
    eastern = ZoneInfo("America/New_York")
    ids: set[str] = set()
    games: set[tuple[str, str, date]] = set()
    snapshots: set[tuple[str, str]] = set()
    rows = 0
    for entry in list_archive(archive_dir(), **selection):
        if entry.kind != "odds":
            continue
        payload = json.loads(gzip.decompress(entry.path.read_bytes()))
        for event in payload["data"]:
            ids.add(event["id"])
            tip = datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00"))
            games.add((event["home_team"], event["away_team"], tip.astimezone(eastern).date()))
            snapshots.add((event["id"], payload["timestamp"]))
            rows += sum(len(m["outcomes"]) for b in event["bookmakers"] for m in b["markets"])
    return {"ids": len(ids), "games": len(games), "snapshots": len(snapshots), "rows": rows}


async def odds_only_counts(db: Database) -> tuple[int, int]:
    async with db.session() as session:
        with_odds = (
            await session.execute(select(func.count(func.distinct(OddsSnapshot.event_id))))
        ).scalar_one()
    return with_odds, (await counts(db))["odds"]


async def test_a_month_of_2023_24_twice_gives_the_same_exact_counts(db: Database) -> None:
    expected = expected_from_files(**MONTH)
    first = await import_snapshots(db, archive_dir(), options=OPTIONS, **MONTH)
    after_first = await counts(db)
    second = await import_snapshots(db, archive_dir(), options=OPTIONS, **MONTH)
    assert await counts(db) == after_first
    assert (second.result.snapshots_inserted, second.result.odds_rows) == (0, 0)
    assert first.failures == [] and first.odds_files == 38 and first.events_files == 38
    # The 32 tournament games listed twice collapse to one event each (SOURCES.md quirk 1).
    assert expected["ids"] - expected["games"] == 32
    assert after_first["event_aliases"] == 32
    assert after_first["odds_snapshots"] == expected["snapshots"]
    assert after_first["odds"] == expected["rows"]  # nothing in this month is excluded
    with_odds, _ = await odds_only_counts(db)
    assert with_odds == expected["games"]
    # Merges ran inside groups whose odds rows are written at the group's end: none may be
    # left under a merged-away id or a dropped snapshot (the odds table has no foreign keys).
    async with db.session() as session:
        orphans = (
            await session.execute(
                select(func.count())
                .select_from(Odds)
                .where(
                    ~Odds.event_id.in_(select(Event.id))
                    | ~Odds.snapshot_id.in_(select(OddsSnapshot.id))
                    | ~select(OddsSnapshot.id)
                    .where(
                        OddsSnapshot.id == Odds.snapshot_id,
                        OddsSnapshot.event_id == Odds.event_id,
                    )
                    .exists()
                )
            )
        ).scalar_one()
    assert orphans == 0
    async with db.session() as session:
        # The game-day id won, with its real tip-off time (the placeholder said 23:00Z).
        game = (
            await session.execute(
                select(Event).where(Event.id == "46b898bc745d2ab75648ebb037f43bb2")
            )
        ).scalar_one()
        alias = await session.get(EventAlias, "93341c08b7240aa58d1fd2361e6473ce")
        moved = (
            await session.execute(
                select(func.count())
                .select_from(OddsSnapshot)
                .where(OddsSnapshot.event_id == game.id)
            )
        ).scalar_one()
    assert (game.home_team, game.away_team) == ("Chicago Bulls", "Brooklyn Nets")
    assert game.commence_time.isoformat() == "2023-11-04T00:10:00+00:00"
    assert alias is not None and alias.event_id == game.id
    assert moved == 3  # two October snapshots of the placeholder + the game-day one


async def test_in_play_quotes_and_betfair_lay_prices_of_2021_22(db: Database) -> None:
    # 02-17: five games with Betfair lay prices; 02-18 and 02-19: the same in-play snapshot.
    selection = {"seasons": ["2021-2022"], "start": date(2022, 2, 17), "end": date(2022, 2, 19)}
    payloads = [
        json.loads(gzip.decompress(e.path.read_bytes()))
        for e in list_archive(archive_dir(), **selection)
        if e.kind == "odds"
    ]
    in_play = "916fbf90ab9f00dea26c08b8344caf0d"
    stored_rows = 0
    lay_rows = 0
    seen: set[tuple[str, str]] = set()
    for payload in payloads:
        for event in payload["data"]:
            if (event["id"], payload["timestamp"]) in seen:
                continue
            seen.add((event["id"], payload["timestamp"]))
            for book in event["bookmakers"]:
                for market in book["markets"]:
                    n = len(market["outcomes"])
                    if payload["timestamp"] >= event["commence_time"]:
                        continue  # in play
                    if market["key"] == "h2h_lay":
                        lay_rows += n
                    else:
                        stored_rows += n
    summary = await import_snapshots(db, archive_dir(), options=OPTIONS, **selection)
    assert summary.failures == [] and summary.result.snapshots_skipped == 1
    assert lay_rows == 10  # Betfair lay prices on all five games of 02-17
    async with db.session() as session:
        rows = (await session.execute(select(func.count()).select_from(Odds))).scalar_one()
        markets = set((await session.execute(select(Odds.market_key).distinct())).scalars())
        live_rows = (
            await session.execute(
                select(func.count())
                .select_from(Odds)
                .join(Event, Event.id == Odds.event_id)
                .where(Odds.odds_timestamp >= Event.commence_time)
            )
        ).scalar_one()
        snap = (
            (
                await session.execute(
                    select(OddsSnapshot).where(
                        OddsSnapshot.event_id == in_play, OddsSnapshot.fetch_tier.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        issues = Counter((await session.execute(select(DataQualityLog.issue_type))).scalars().all())
    assert rows == stored_rows
    assert markets == {"h2h", "spreads", "totals"}  # no h2h_lay among back odds
    assert live_rows == 0  # in-play prices never stored as pre-game odds
    assert len(snap) == 1 and snap[0].fetch_tier is None and snap[0].hours_until_commence < 0
    assert snap[0].raw_data["id"] == in_play  # the raw JSON is kept
    assert issues["in_play"] == 1 and issues["unknown_market"] == 5

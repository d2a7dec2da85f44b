"""Cross-check with the real pipeline: rows ingested from a recorded API response read back
through the query layer exactly as the response quoted them (both backends, so the stored
timestamp formats of the bulk writers and of the queries agree)."""

from __future__ import annotations

import json
from datetime import timedelta

from oddscore.clock import FrozenClock, parse_timestamp
from oddscore.queries.asof import odds_as_of, odds_before_tip
from oddscore.queries.best import best_prices
from oddscore.storage import Database
from tests.conftest import real_data


def _load() -> dict:
    path = real_data(
        "the_odds_api_snapshots", "samples_uncompressed", "odds_2023-10-24_featured.json"
    )
    return json.loads(path.read_text())


async def test_real_snapshot_reads_back_exactly(db: Database) -> None:
    from oddscore.ingestion.pipeline import IngestOptions, ingest_odds

    recorded = _load()
    taken = parse_timestamp(recorded["timestamp"])
    options = IngestOptions(clock=FrozenClock(taken + timedelta(minutes=1)))
    await ingest_odds(db, recorded["data"], snapshot_time=taken, source="import", options=options)

    first = recorded["data"][0]
    expected = {
        (b["key"], m["key"], o["name"]): (o["price"], o.get("point"))
        for b in first["bookmakers"]
        for m in b["markets"]
        for o in m["outcomes"]
    }
    async with db.session() as session:
        board = await odds_as_of(session, first["id"], taken)
        before = await odds_as_of(session, first["id"], taken - timedelta(seconds=1))
        season = await odds_before_tip(
            session,
            parse_timestamp(first["commence_time"]),
            parse_timestamp(first["commence_time"]) + timedelta(days=2),
            lead=timedelta(hours=1),
            bookmakers=sorted({b["key"] for b in first["bookmakers"]}),
            markets=["h2h", "spreads", "totals"],
        )
    assert {(q.bookmaker_key, q.market_key, q.outcome_name): (q.price, q.point) for q in board} == (
        expected
    )
    assert before == []  # observed at 11:55:43, so not visible a second earlier
    assert all(q.odds_timestamp == taken for q in board)
    # Events tipping within a day of the snapshot are on the season load; later ones are stale.
    tips = {q.event_id for q in season}
    assert first["id"] in tips
    assert all(q.as_of - q.odds_timestamp <= timedelta(hours=24) for q in season)
    h2h = [b for b in best_prices(board) if b.market_key == "h2h"]
    assert {b.outcome_name for b in h2h} == {first["home_team"], first["away_team"]}

"""Per-sport tier offsets in storage: snapshots are labelled with their sport's tiers, and the
gap backfill finds and plans each sport's gaps at its own tier edges (both backends).

``mlb_tiers`` (tests/conftest.py): MLB's sharp tier is 6-18 h, pregame 1-6 h, closing the
last hour; the NBA keeps sharp 12-24 h, pregame 3-12 h, closing 0-3 h.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from oddscore.backfill.gap_fill import default_settings, plan_gaps
from oddscore.backfill.gaps import Gap
from oddscore.backfill.planner import default_slots
from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.scheduling.tiers import FetchTier, tiers_for
from oddscore.storage import Database, OddsSnapshot
from tests.ingestion.conftest import book, event

TIP = datetime(2024, 6, 10, 23, 5, tzinfo=UTC)
NOW = TIP + timedelta(days=3)
OPTIONS = IngestOptions(clock=FrozenClock(NOW), expected_markets=("h2h", "spreads", "totals"))
WINDOW = timedelta(minutes=10)
LEAD = timedelta(minutes=5)
# Captures of both games: 100 h, 30 h and 2 h before the start, and a closing capture.
TAKEN = (timedelta(hours=100), timedelta(hours=30), timedelta(hours=2), LEAD)


def _games() -> list[dict[str, Any]]:
    mlb_teams = {"home": "New York Yankees", "away": "Boston Red Sox"}
    mlb = event(
        1,
        books=[book(spread=(-1.5, 120, -140), total=(8.5, -110, -110), **mlb_teams)],
        **mlb_teams,
        commence=TIP,
    )
    mlb["sport_key"], mlb["sport_title"] = "baseball_mlb", "MLB"
    nba = event(2, books=[book()], commence=TIP)
    return [mlb, nba]


async def _store(db: Database) -> None:
    games = _games()
    for lead in TAKEN:
        at = TIP - lead
        stamped = [
            {**g, "bookmakers": [{**b, "last_update": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
                                 for b in g["bookmakers"]]}
            for g in games
        ]  # fmt: skip
        await ingest_odds(db, stamped, snapshot_time=at, source="import", options=OPTIONS)


async def _labels(db: Database) -> dict[str, list[str | None]]:
    async with db.session() as session:
        rows = await session.execute(
            select(OddsSnapshot.event_id, OddsSnapshot.fetch_tier).order_by(
                OddsSnapshot.event_id, OddsSnapshot.snapshot_time
            )
        )
        labels: dict[str, list[str | None]] = {}
        for event_id, tier in rows:
            labels.setdefault(event_id, []).append(tier)
        return labels


async def test_snapshots_are_labelled_with_their_sports_tiers(
    db: Database, mlb_tiers: dict[str, float]
) -> None:
    await _store(db)
    labels = await _labels(db)
    assert labels == {
        f"{1:032x}": ["opening", "early", "pregame", "closing"],  # MLB: 2 h is pregame
        f"{2:032x}": ["opening", "early", "closing", "closing"],  # NBA: 2 h is closing
    }


async def test_the_gap_backfill_plans_each_sports_gaps_at_its_tier_edges(
    db: Database, mlb_tiers: dict[str, float]
) -> None:
    await _store(db)
    mlb_id, nba_id = f"{1:032x}", f"{2:032x}"
    found = {}
    for sport in ("baseball_mlb", "basketball_nba"):
        settings = default_settings(
            sport,
            date(2024, 6, 9),
            date(2024, 6, 12),
            markets=["h2h", "spreads", "totals"],
            bookmakers=["draftkings"],
            regions=[],
            closing_lead=LEAD,
        )
        found[sport] = await plan_gaps(db, settings, closing_window=WINDOW, now=NOW)
    # MLB's 2 h capture fills its pregame tier; only sharp (6-18 h) is missing, asked for at
    # that tier's nearest-tip edge, 6 h before the start.
    mlb = found["baseball_mlb"]
    assert mlb.gaps == [Gap(mlb_id, FetchTier.SHARP)]
    assert [(c.time, [(t.event_id, t.tier) for t in c.targets]) for c in mlb.plan.calls] == [
        (TIP - timedelta(hours=mlb_tiers["pregame"]), [(mlb_id, FetchTier.SHARP)])
    ]
    # The NBA game lacks sharp (12-24 h) and pregame (3-12 h), at 12 h and 3 h before.
    nba = found["basketball_nba"]
    assert nba.gaps == [Gap(nba_id, FetchTier.PREGAME), Gap(nba_id, FetchTier.SHARP)]
    assert sorted((c.time, c.targets[0].tier) for c in nba.plan.calls) == [
        (TIP - timedelta(hours=12), FetchTier.SHARP),
        (TIP - timedelta(hours=3), FetchTier.PREGAME),
    ]
    assert mlb.plan.costs.grouped == mlb.plan.costs.per_call
    assert nba.plan.costs.grouped == 2 * nba.plan.costs.per_call


def test_backfill_plan_slots_follow_the_sports_tier_edges(mlb_tiers: dict[str, float]) -> None:
    standard = {slot.name: slot.lead for slot in default_slots(LEAD)}
    assert standard == {
        "72h": timedelta(hours=72),
        "24h": timedelta(hours=24),
        "12h": timedelta(hours=12),
        "3h": timedelta(hours=3),
        "30m": timedelta(minutes=30),
        "close": LEAD,
    }
    mlb = tiers_for("baseball_mlb")
    slots = default_slots(LEAD, mlb)
    assert [(s.name, s.tier_in(mlb)) for s in slots] == [
        ("48h", FetchTier.OPENING),
        ("18h", FetchTier.EARLY),
        ("6h", FetchTier.SHARP),
        ("1h", FetchTier.PREGAME),
        ("30m", FetchTier.CLOSING),
        ("close", FetchTier.CLOSING),
    ]

"""soccer_epl and baseball_mlb end to end on both backends, against the simulator.

One scenario per sport: recorded history (written from the simulator's own historical
answers) is imported, results come from /scores, fetch current stores the live board, the
stored data is validated (three-way overround band; a missing outcome is flagged), the as-of
and best-line queries answer from it, and flat and basic EV backtests grade every bet on the
stored scores (a draw wins a draw bet and loses the teams' bets). The clock is frozen.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from oddscore.analytics.odds import american_to_decimal, decimal_to_american
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import run_backtest
from oddscore.backtest.results import BacktestResult
from oddscore.clock import FrozenClock, parse_timestamp
from oddscore.config import Settings
from oddscore.ingestion.fetch import fetch_current, fetch_scores
from oddscore.ingestion.files import import_snapshots
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.provider.client import OddsApiClient
from oddscore.queries.asof import odds_as_of
from oddscore.queries.best import best_prices_as_of
from oddscore.simulator import create_app, simulator_of
from oddscore.storage import Database, DataQualityLog, Event, Odds
from tests.simulator.conftest import Api
from tests.simulator.recording import record_history

KEY = "sports-e2e-key"
# A Friday noon: the EPL's weekend round and three MLB dates fall in the next three days.
T0 = datetime(2025, 1, 17, 12, 0, tzinfo=UTC)
END = T0 + timedelta(days=3, hours=12)
BOOKS = "pinnacle,draftkings,fanduel"
SEED = {"soccer_epl": 3, "baseball_mlb": 5}


@dataclass
class Stack:
    sport: str
    clock: FrozenClock
    app: Starlette
    api: Api
    client: OddsApiClient
    db: Database
    recorded: list[dict[str, Any]]


@pytest.fixture(params=["soccer_epl", "baseball_mlb"])
async def stack(
    request: pytest.FixtureRequest, db: Database, tmp_path: Path
) -> AsyncIterator[Stack]:
    sport: str = request.param
    clock = FrozenClock(END)
    app = create_app(api_key=KEY, seed=SEED[sport], clock=clock, requests_per_second_limit=None)
    transport = httpx.ASGITransport(app=app)
    client = OddsApiClient(
        KEY, base_url="http://simulator", transport=transport, clock=clock, max_retries=0
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as http:
        api = Api(http, KEY)
        # History every six hours from the evening before the window to its end.
        moments = [T0 - timedelta(hours=18) + timedelta(hours=6 * i) for i in range(15)]
        recorded = await record_history(api, sport, moments, tmp_path, bookmakers=BOOKS)
        options = IngestOptions(clock=clock, odds_format="american")
        summary = await import_snapshots(db, tmp_path, options=options)
        assert summary.odds_files == len(moments) and summary.result.odds_rows > 0
        # A second import of the same files (a rerun after a crash) adds nothing.
        again = await import_snapshots(db, tmp_path, options=options)
        assert again.result.snapshots_inserted == 0 and again.result.odds_rows == 0
        assert again.result.snapshots_skipped == summary.result.snapshots_inserted
        # Results: /scores reaches three days back, so ask twice across the window.
        for at in (T0 + timedelta(days=2), END):
            clock.set(at)
            await fetch_scores(db, client, sport=sport, days=3, slot=at)
        yield Stack(sport, clock, app, api, client, db, recorded)
    await client.aclose()


async def _events(db: Database, sport: str) -> list[Event]:
    async with db.session() as session:
        rows = await session.execute(select(Event).where(Event.sport_key == sport))
        return list(rows.scalars())


async def _findings(db: Database, issue: str) -> list[DataQualityLog]:
    async with db.session() as session:
        rows = await session.execute(
            select(DataQualityLog).where(DataQualityLog.issue_type == issue)
        )
        return list(rows.scalars())


def _config(sport: str) -> BacktestConfig:
    return BacktestConfig(start=T0, end=T0 + timedelta(days=3), sport_key=sport)


def _check_grades(result: BacktestResult, finals: dict[str, Event]) -> None:
    """Every bet's result is what the stored final score says of its outcome."""
    assert result.bets, f"{result.strategy} placed no bet"
    for bet in result.bets:
        event = finals[bet.event_id]
        assert event.home_score is not None and event.away_score is not None
        if bet.market == "h2h":
            winner = (
                "Draw"
                if event.home_score == event.away_score
                else event.home_team
                if event.home_score > event.away_score
                else event.away_team
            )
            assert bet.result == ("win" if bet.outcome == winner else "loss"), bet


async def test_collect_validate_query_and_backtest_end_to_end(stack: Stack) -> None:
    sport, db = stack.sport, stack.db
    three_way = sport == "soccer_epl"

    # Fetch current: the live board of the games still to come, one paid /odds call.
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    outcome = await fetch_current(db, stack.client, sport=sport, settings=settings, slot=END)
    assert outcome.stored is not None and outcome.stored.snapshots_inserted > 0
    assert outcome.credits_paid == 3  # three markets, the default books in one region
    assert simulator_of(stack.app).ledger.used > 0

    events = await _events(db, sport)
    finals = {e.id: e for e in events if e.home_score is not None}
    window = [e for e in events if T0 <= e.commence_time < T0 + timedelta(days=3)]
    assert window and all(e.id in finals for e in window), "every game of the window is scored"
    if three_way:
        drawn = [e for e in window if e.home_score == e.away_score]
        assert drawn, "the seed's window holds at least one draw"
    else:
        assert all(e.home_score != e.away_score for e in finals.values())
        pairs = [(e.home_team, e.away_team, e.commence_time.date()) for e in events]
        assert any(pairs.count(p) == 2 for p in pairs), "a doubleheader is stored"

    # Validation on the way in: every simulated three-way set sits in the three-way band,
    # and every moneyline has all its outcomes.
    assert await _findings(db, "overround_out_of_band") == []
    assert await _findings(db, "missing_side") == []
    async with db.session() as session:
        h2h = (
            await session.execute(
                select(Odds.event_id, Odds.bookmaker_key, Odds.odds_timestamp, Odds.price)
                .join(Event, Event.id == Odds.event_id)
                .where(Event.sport_key == sport, Odds.market_key == "h2h")
            )
        ).all()
    sets: dict[tuple[str, str, datetime], list[int]] = {}
    for event_id, book, taken, price in h2h:
        sets.setdefault((event_id, book, taken), []).append(price)
    assert sets and {len(p) for p in sets.values()} == {3 if three_way else 2}
    for prices in sets.values():
        assert 1.0 < sum(1.0 / american_to_decimal(p) for p in prices) < 1.08

    # A book quoting the moneyline without one outcome (the draw in soccer) is flagged, and
    # a book whose complete moneyline sums below the band (every price 15% too long) too.
    last, original = next(
        (snapshot, event)
        for snapshot in reversed(stack.recorded)
        for event in snapshot["data"]
        if len(event["bookmakers"]) >= 2
    )
    # Its copy is a game of a later week, so the backtests below do not see it.
    broken = copy.deepcopy(original)
    broken["id"] = "0" * 32
    later = parse_timestamp(broken["commence_time"]) + timedelta(days=7)
    broken["commence_time"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    book, generous = broken["bookmakers"][:2]
    market = next(m for m in book["markets"] if m["key"] == "h2h")
    dropped = "Draw" if three_way else broken["away_team"]
    market["outcomes"] = [o for o in market["outcomes"] if o["name"] != dropped]
    long_set = next(m for m in generous["markets"] if m["key"] == "h2h")
    for outcome in long_set["outcomes"]:
        decimal = american_to_decimal(outcome["price"]) * 1.15
        outcome["price"] = round(decimal_to_american(decimal))
    taken = parse_timestamp(last["timestamp"]) + timedelta(minutes=1)
    await ingest_odds(db, [broken], snapshot_time=taken, options=IngestOptions(clock=stack.clock))
    flagged = await _findings(db, "missing_side")
    assert [(f.event_id, f.bookmaker_key, f.market_key) for f in flagged] == [
        (broken["id"], book["key"], "h2h")
    ]
    out_of_band = await _findings(db, "overround_out_of_band")
    assert [(f.event_id, f.bookmaker_key, f.market_key) for f in out_of_band] == [
        (broken["id"], generous["key"], "h2h")
    ]

    # As-of: the board at a recorded moment is that snapshot's prices; best lines are the
    # highest price per outcome across its books.
    snapshot = stack.recorded[len(stack.recorded) // 2]
    at = parse_timestamp(snapshot["timestamp"])
    shown = next(e for e in snapshot["data"] if len(e["bookmakers"]) == 3)
    expected = {
        (b["key"], m["key"], o["name"], o.get("point")): o["price"]
        for b in shown["bookmakers"]
        for m in b["markets"]
        for o in m["outcomes"]
    }
    async with db.session() as session:
        quotes = await odds_as_of(session, shown["id"], at)
        best = await best_prices_as_of(session, shown["id"], at, markets=["h2h"])
    assert {
        (q.bookmaker_key, q.market_key, q.outcome_name, q.point): q.price for q in quotes
    } == expected
    names = {shown["home_team"], shown["away_team"], *(["Draw"] if three_way else [])}
    assert {b.outcome_name for b in best} == names
    for line in best:
        offered = [
            price
            for (_, market_key, name, _), price in expected.items()
            if market_key == "h2h" and name == line.outcome_name
        ]
        assert american_to_decimal(line.price) == max(american_to_decimal(p) for p in offered)

    # Backtests on the stored scores: flat on the draw (soccer) or the home side, flat on the
    # home side, and basic EV on the moneyline; each bet graded by the final score.
    config = _config(sport)
    home = await run_backtest(db, "flat", config, {"book": "pinnacle", "outcome": "home"})
    _check_grades(home, finals)
    assert len(home.bets) == len(window)
    if three_way:
        draw = await run_backtest(db, "flat", config, {"book": "pinnacle", "outcome": "draw"})
        _check_grades(draw, finals)
        drawn_ids = {e.id for e in window if e.home_score == e.away_score}
        assert {b.event_id for b in draw.bets if b.result == "win"} == drawn_ids
        assert all(b.result == "loss" for b in home.bets if b.event_id in drawn_ids)
        away = await run_backtest(db, "flat", config, {"book": "pinnacle", "outcome": "away"})
        assert all(b.result == "loss" for b in away.bets if b.event_id in drawn_ids)
    value = await run_backtest(
        db, "basic_ev", config, {"markets": ["h2h"], "min_ev": 0.0, "max_bets_per_event": 1}
    )
    _check_grades(value, finals)

"""Acceptance on the real 2023-24 archive and the real Kaggle scores (skips without them).

The archive is imported through ingestion (snapshots, then the results CSV); the flat
100-unit DraftKings home moneyline backtest must then make exactly the profit computed here
independently, straight from the raw files, without the database or the engine.
"""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import run_backtest
from oddscore.clock import parse_timestamp
from oddscore.storage import Database
from tests.backtest.reference import assert_loader_matches_query_layer
from tests.conftest import real_data

ingestion_results = pytest.importorskip("oddscore.ingestion.results")
ingestion_files = pytest.importorskip("oddscore.ingestion.files")

FIRST, LAST = date(2023, 11, 1), date(2023, 11, 30)  # includes in-season-tournament games
START = datetime(2023, 11, 2, tzinfo=UTC)
END = datetime(2023, 12, 1, tzinfo=UTC)
DECISION = timedelta(hours=1)
STALENESS = timedelta(hours=24)
EASTERN = ZoneInfo("America/New_York")
CODES = {
    "Atlanta Hawks": "atl", "Boston Celtics": "bos", "Brooklyn Nets": "bkn",
    "Charlotte Hornets": "cha", "Chicago Bulls": "chi", "Cleveland Cavaliers": "cle",
    "Dallas Mavericks": "dal", "Denver Nuggets": "den", "Detroit Pistons": "det",
    "Golden State Warriors": "gs", "Houston Rockets": "hou", "Indiana Pacers": "ind",
    "Los Angeles Clippers": "lac", "Los Angeles Lakers": "lal", "Memphis Grizzlies": "mem",
    "Miami Heat": "mia", "Milwaukee Bucks": "mil", "Minnesota Timberwolves": "min",
    "New Orleans Pelicans": "no", "New York Knicks": "ny", "Oklahoma City Thunder": "okc",
    "Orlando Magic": "orl", "Philadelphia 76ers": "phi", "Phoenix Suns": "phx",
    "Portland Trail Blazers": "por", "Sacramento Kings": "sac", "San Antonio Spurs": "sa",
    "Toronto Raptors": "tor", "Utah Jazz": "utah", "Washington Wizards": "wsh",
}  # fmt: skip


def _odds_files() -> list[Path]:
    folder = real_data("the_odds_api_snapshots", "odds", "2023-2024")
    files = []
    for path in sorted(folder.iterdir()):
        day = date.fromisoformat(path.name.split("_")[1])
        if FIRST <= day <= LAST:
            files.append(path)
    return files


def independent_profit() -> tuple[float, int]:
    """Flat 100 on DraftKings home h2h, from the raw files and the Kaggle CSV only."""
    scores = {}
    with real_data("kaggle_nba_2008_2025", "nba_2008-2025.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["season"] == "2024":
                key = (row["date"], row["home"], row["away"])
                scores[key] = (int(row["score_home"]), int(row["score_away"]))
    latest: dict[str, tuple[datetime, datetime, str, int | None]] = {}
    for path in _odds_files():
        payload = json.loads(gzip.decompress(path.read_bytes()))
        taken = parse_timestamp(payload["timestamp"])
        for event in payload["data"]:
            commence = parse_timestamp(event["commence_time"])
            if not (START <= commence < END):
                continue
            if not (commence - DECISION - STALENESS <= taken <= commence - DECISION):
                continue
            price = None
            for book in event["bookmakers"]:
                if book["key"] != "draftkings":
                    continue
                for market in book["markets"]:
                    if market["key"] == "h2h":
                        price = next(
                            o["price"]
                            for o in market["outcomes"]
                            if o["name"] == event["home_team"]
                        )
            if event["id"] not in latest or taken >= latest[event["id"]][0]:
                latest[event["id"]] = (taken, commence, event["home_team"], price)
                latest[event["id"] + "/away"] = (taken, commence, event["away_team"], None)
    profit, bets = 0.0, 0
    for event_id, (_, commence, home, price) in latest.items():
        if event_id.endswith("/away") or price is None:
            continue
        away = latest[event_id + "/away"][2]
        bets += 1
        day = commence.astimezone(EASTERN).date().isoformat()
        result = scores.get((day, CODES[home], CODES[away]))
        if result is None:
            continue  # no score: the bet is void
        decimal = 1 + price / 100 if price > 0 else 1 + 100 / -price
        profit += 100 * (decimal - 1) if result[0] > result[1] else -100.0
    return profit, bets


async def test_flat_draftkings_home_matches_an_independent_computation(db: Database) -> None:
    archive = real_data("the_odds_api_snapshots")
    kaggle = real_data("kaggle_nba_2008_2025", "nba_2008-2025.csv")
    await ingestion_files.import_snapshots(
        db, archive, seasons=["2023-2024"], start=FIRST, end=LAST
    )
    await ingestion_results.import_results(db, kaggle)
    config = BacktestConfig(
        start=START,
        end=END,
        decision_hours=1.0,
        max_staleness_hours=24.0,
        stake=100.0,
    )
    result = await run_backtest(db, "flat", config, {"book": "draftkings", "outcome": "home"})
    expected_profit, expected_bets = independent_profit()
    assert expected_bets > 150
    assert result.summary.total_bets == expected_bets
    assert result.summary.profit == pytest.approx(expected_profit, abs=1e-6)
    assert all(b.quote_time <= b.decision_time for b in result.bets)
    # The loader's fast as-of selection is the query layer's rule on real data too.
    assert await assert_loader_matches_query_layer(db, START, END, 1.0, 24.0) > 10_000

"""Full-season backtests of the real 2023-24 archive reproduce the frozen fixture exactly.

The fixture (``season_regression.json``) was computed by the engine before it was made
faster; bets, stakes, profits, equity curves and every metric must come out the same on both
backends (skips without the real archive).
"""

from __future__ import annotations

import json

import pytest

from oddscore.backtest.sweep import run_sweep
from oddscore.storage import Database
from tests.backtest.season_regression import CASES, FIXTURE, START, config_for, digest, run_cases
from tests.conftest import real_data

ingestion_results = pytest.importorskip("oddscore.ingestion.results")
ingestion_files = pytest.importorskip("oddscore.ingestion.files")
pytest.importorskip("xgboost")  # the ml case

pytestmark = pytest.mark.slow


async def test_full_season_backtests_match_the_frozen_results(db: Database, db_url: str) -> None:
    archive = real_data("the_odds_api_snapshots")
    kaggle = real_data("kaggle_nba_2008_2025", "nba_2008-2025.csv")
    await ingestion_files.import_snapshots(db, archive, seasons=["2023-2024"])
    await ingestion_results.import_results(db, kaggle)
    frozen = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert set(frozen) == set(CASES)
    assert START.year == 2023
    computed = await run_cases(db_url)
    for name in CASES:
        assert computed[name] == frozen[name], name
    assert sum(case["bets"] for case in frozen.values()) > 5_000
    # A sweep's runs share one load and one board per event, with the same results.
    for name in ("basic_ev_all_books", "basic_ev_kelly_slate"):
        strategy, params, _ = CASES[name]
        swept = await run_sweep(
            db, strategy, config_for(name), [{**params, "min_ev": 0.05}, params]
        )
        assert digest(swept[1]) == frozen[name], name
        assert digest(swept[0])["bets"] < frozen[name]["bets"]

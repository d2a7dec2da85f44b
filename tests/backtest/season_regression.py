"""The frozen outputs of full-season backtests of the real 2023-24 archive.

``tests/backtest/season_regression.json`` holds, per case, every summary metric and a digest of
every bet and of the equity curves (money to the cent, ratios to 1e-6), as computed by the
engine when the fixture was frozen. :func:`digest` makes the same record from a result, so a
faster engine must reproduce it exactly.

Refreeze (only when a change of results is intended and explained):
``uv run python -m tests.backtest.season_regression postgresql+asyncpg://...`` against a
database holding the season (see ``benchmarks/backtest.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.results import BacktestResult

FIXTURE = Path(__file__).with_name("season_regression.json")
START = datetime(2023, 10, 24, tzinfo=UTC)
END = datetime(2024, 6, 19, tzinfo=UTC)
SHARP = ["lowvig", "betonlineag"]
BASE: dict[str, Any] = {
    "start": START,
    "end": END,
    "decision_hours": 1.0,
    "max_staleness_hours": 24.0,
    "clv_books": SHARP,
}

# name -> (strategy, params, config overrides)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "flat": ("flat", {"book": "draftkings", "outcome": "home"}, {}),
    "flat_single_book": (
        "flat",
        {"book": "draftkings", "outcome": "home"},
        {"bookmakers": ["draftkings"], "markets": ["h2h"], "stake": 50.0},
    ),
    "flat_spread_favorite_haircut": (
        "flat",
        {"book": "fanduel", "market": "spreads", "outcome": "favorite"},
        {"haircut_minutes": 30.0},
    ),
    "basic_ev_single_book": (
        "basic_ev",
        {"sharp_books": ["lowvig"], "retail_books": ["draftkings"], "min_ev": 0.01},
        {"bookmakers": ["lowvig", "draftkings"]},
    ),
    "basic_ev_all_books": (
        "basic_ev",
        {"sharp_books": SHARP, "markets": ["h2h", "spreads", "totals"], "min_ev": 0.02},
        {},
    ),
    "basic_ev_kelly_slate": (
        "basic_ev",
        {"sharp_books": SHARP, "markets": ["h2h", "spreads", "totals"], "min_ev": 0.02},
        {"sizing": "kelly", "kelly_fraction": 0.25, "max_slate_pct": 0.2, "max_bet_pct": 0.05},
    ),
    "arbitrage": ("arbitrage", {}, {}),
    "arbitrage_unlimited": (
        "arbitrage",
        {"max_quote_age_minutes": None, "max_leg_gap_minutes": None},
        {"sizing": "percentage", "stake": 2.0},
    ),
    "middles": ("middles", {}, {}),
    "middles_unlimited": (
        "middles",
        {"max_quote_age_minutes": None, "max_leg_gap_minutes": None, "min_history": 50},
        {},
    ),
    "ml": ("ml", {"min_train_games": 150, "retrain_days": 30.0, "rounds": 50}, {}),
}


def config_for(name: str) -> BacktestConfig:
    return BacktestConfig(**{**BASE, **CASES[name][2]})


def _round(value: Any, places: int) -> Any:
    if isinstance(value, float):
        return round(value, places) + 0.0  # -0.0 and 0.0 are the same result
    if isinstance(value, dict):
        return {k: _round(v, places) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, places) for v in value]
    return value


def _hash(rows: list[Any]) -> str:
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def digest(result: BacktestResult) -> dict[str, Any]:
    """What the fixture compares: every metric, every bet and both equity curves."""
    bets = [
        [
            b.event_id, b.book, b.market, b.outcome, _round(b.point, 6), b.price,
            _round(b.decimal_odds, 6), _round(b.stake, 2), b.result, _round(b.profit, 2),
            b.quote_time.isoformat(), b.settled_at.isoformat(), b.tier, b.closing_price,
            _round(b.clv_price, 6), _round(b.clv, 6), _round(b.model_probability, 6),
        ]
        for b in result.bets
    ]  # fmt: skip
    curve = [[p.time.isoformat(), _round(p.bankroll, 2)] for p in result.equity_curve]
    daily = [[p.time.isoformat(), _round(p.bankroll, 2)] for p in result.daily_equity]
    return {
        "summary": _round(result.summary.model_dump(mode="json", by_alias=True), 6),
        "bets": len(bets),
        "stakes": _round(sum(b.stake for b in result.bets), 2),
        "profit": _round(sum(b.profit for b in result.bets), 2),
        "bets_sha256": _hash(bets),
        "equity_curve_sha256": _hash(curve),
        "daily_equity_sha256": _hash(daily),
    }


async def run_cases(url: str, names: list[str] | None = None) -> dict[str, Any]:
    from oddscore.backtest.engine import run_backtest
    from oddscore.storage.engine import Database

    out = {}
    async with Database.from_url(url) as db:
        for name in names or list(CASES):
            strategy, params, _ = CASES[name]
            out[name] = digest(await run_backtest(db, strategy, config_for(name), params))
    return out


if __name__ == "__main__":
    os.environ["ODDS_ENV_FILE"] = ""  # the fixture is the code's defaults, not a .env's
    frozen = asyncio.run(run_cases(sys.argv[1], sys.argv[2:] or None))
    FIXTURE.write_text(json.dumps(frozen, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps({k: [v["bets"], v["profit"]] for k, v in frozen.items()}))

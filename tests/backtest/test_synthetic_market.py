"""Acceptance on the simulator's synthetic market, where the truth is known.

Quotes are taken from ``SyntheticMarket`` at three moments per game (opening-ish, just before
the decision time, near the close) and stored as the provider's American prices; final scores
are the market's hidden results. The strategies never see the truth; the test does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import run_backtest
from oddscore.backtest.results import BacktestResult
from oddscore.simulator import SyntheticMarket
from oddscore.simulator.pricing import american_from_implied
from oddscore.storage import Database, Event, Odds, OddsSnapshot

BOOKS = ("pinnacle", "draftkings", "fanduel", "betmgm")
START = datetime(2025, 1, 6, tzinfo=UTC)
DAYS = 60
# Minutes before scheduled tip-off at which the board is captured.
CAPTURES = (180, 65, 10)


async def _store_market(db: Database, market: SyntheticMarket) -> dict[str, float]:
    games = market.games_between(START, START + timedelta(days=DAYS))
    books = [b for b in market.books if b.key in BOOKS]
    truth: dict[str, float] = {}
    events, snapshots, odds = [], [], []
    snapshot_id = 0
    for game in games:
        t = game.truth
        truth[game.id] = t.home_win_prob
        events.append(
            {
                "id": game.id,
                "sport_key": "basketball_nba",
                "commence_time": game.commence_time,
                "home_team": game.home_team,
                "away_team": game.away_team,
                "status": "final",
                "home_score": t.home_score,
                "away_score": t.away_score,
                "completed_at": game.end_time,
                "result_source": "simulator",
            }
        )
        for minutes in CAPTURES:
            at = game.commence_time - timedelta(minutes=minutes)
            snapshot_id += 1
            snapshots.append(
                {"id": snapshot_id, "event_id": game.id, "snapshot_time": at, "raw_data": {}}
            )
            for quote in market.quotes(game, at, books):
                for name, implied in zip((game.home_team, game.away_team), quote.h2h, strict=True):
                    odds.append(
                        {
                            "snapshot_id": snapshot_id,
                            "event_id": game.id,
                            "bookmaker_key": quote.book.key,
                            "market_key": "h2h",
                            "outcome_name": name,
                            "price": american_from_implied(implied),
                            "odds_timestamp": at,
                            "last_update": quote.last_update,
                        }
                    )
    async with db.session() as session:
        await session.execute(insert(Event), events)
        await session.execute(insert(OddsSnapshot), snapshots)
        await session.execute(insert(Odds), odds)
    return truth


def _true_probability(bet_outcome: str, home_team: str, p_home: float) -> float:
    return p_home if bet_outcome == home_team else 1.0 - p_home


def _expected_profit(result: BacktestResult, truth: dict[str, float]) -> float:
    return sum(
        b.stake
        * (_true_probability(b.outcome, b.home_team, truth[b.event_id]) * b.decimal_odds - 1)
        for b in result.bets
    )


@pytest.fixture
async def synthetic(db: Database) -> tuple[Database, dict[str, float]]:
    truth = await _store_market(db, SyntheticMarket(seed=11))
    return db, truth


async def test_basic_ev_against_devigged_pinnacle_has_an_edge(
    synthetic: tuple[Database, dict[str, float]],
) -> None:
    db, truth = synthetic
    config = BacktestConfig(
        start=START, end=START + timedelta(days=DAYS), clv_books=["pinnacle"], decision_hours=1.0
    )
    result = await run_backtest(
        db, "basic_ev", config, {"sharp_books": ["pinnacle"], "min_ev": 0.02}
    )
    s = result.summary
    assert s.total_bets >= 50
    assert all(b.book != "pinnacle" for b in result.bets)
    assert all(b.quote_time <= b.decision_time for b in result.bets)
    # Beats the de-vigged Pinnacle close on average, and is +EV against the hidden truth.
    assert s.clv_mean is not None and s.clv_mean > 0
    assert s.clv_beat_close_share is not None and s.clv_beat_close_share > 0.5
    assert _expected_profit(result, truth) > 0


async def test_flat_home_yield_is_minus_the_margin(
    synthetic: tuple[Database, dict[str, float]],
) -> None:
    db, truth = synthetic
    config = BacktestConfig(start=START, end=START + timedelta(days=DAYS))
    result = await run_backtest(db, "flat", config, {"book": "draftkings", "outcome": "home"})
    s = result.summary
    n = s.total_bets
    assert n >= 300
    hold = 1 - 1 / 1.045  # DraftKings' h2h margin in the simulator
    expected_yield = _expected_profit(result, truth) / s.turnover
    assert expected_yield == pytest.approx(-hold, abs=0.012)
    # The realized yield is within three standard errors of its expectation.
    returns = [b.profit / b.stake for b in result.bets]
    mean = sum(returns) / n
    se = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1) / n)
    assert s.yield_ is not None and abs(s.yield_ - expected_yield) < 3 * se

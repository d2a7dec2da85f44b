"""The ML example: walk-forward only on finished games, XGBoost JSON models, no look-ahead."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("xgboost")

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import simulate
from oddscore.backtest.ml import fit_model, load_model, samples_from_data, save_model, walk_forward
from oddscore.backtest.strategies import create_strategy
from oddscore.exceptions import BacktestError
from tests.backtest.synthetic import START, synthetic_market


def test_walk_forward_trains_only_on_finished_games(tmp_path: Path) -> None:
    data, _ = synthetic_market(480)
    samples = samples_from_data(data, decision_hours=1.0)
    assert len(samples) == 480
    folds = walk_forward(samples, min_train=100, rounds=20)
    assert len(folds) >= 2
    assert [f.train_games for f in folds] == sorted(f.train_games for f in folds)
    for fold in folds:
        first_test = min(
            s.decision_time for s in samples if s.decision_time.strftime("%Y-%m") == fold.test_month
        )
        assert fold.train_games == sum(1 for s in samples if s.ended_at <= first_test)
    model = fit_model(samples, rounds=20)
    path = tmp_path / "model.json"
    save_model(model, path, decision_hours=1.0)
    document = json.loads(path.read_text())  # XGBoost's JSON, not a pickle
    assert "learner" in document
    loaded, until = load_model(path)
    assert until == max(s.ended_at for s in samples)
    with pytest.raises(BacktestError):
        save_model(model, tmp_path / "model.pkl", decision_hours=1.0)


def test_ml_strategy_refuses_a_model_that_saw_the_period(tmp_path: Path) -> None:
    data, _ = synthetic_market(240)
    path = tmp_path / "model.json"
    save_model(fit_model(samples_from_data(data, 1.0), rounds=10), path, decision_hours=1.0)
    config = BacktestConfig(start=START - timedelta(days=1), end=START + timedelta(days=60))
    strategy = create_strategy("ml", {"model_path": str(path), "min_ev": 0.0})
    with pytest.raises(BacktestError, match="look-ahead"):
        simulate(strategy, data, config)


def test_ml_strategy_learns_walk_forward() -> None:
    data, _ = synthetic_market(300)
    config = BacktestConfig(start=START - timedelta(days=1), end=START + timedelta(days=60))
    strategy = create_strategy("ml", {"min_train_games": 60, "rounds": 10, "min_ev": 0.0})
    result = simulate(strategy, data, config)
    assert result.bets
    ends = sorted(e.completed_at for e in data.events if e.completed_at is not None)
    sixtieth_end = ends[59]
    # No bet before sixty games had finished: the model cannot exist earlier.
    assert min(b.decision_time for b in result.bets) >= sixtieth_end
    assert all(b.model_probability is not None for b in result.bets)


def test_ml_strategy_leaves_three_way_moneylines_alone() -> None:
    data, _ = synthetic_market(300)
    config = BacktestConfig(start=START - timedelta(days=1), end=START + timedelta(days=60))
    params = {"min_train_games": 60, "rounds": 10, "min_ev": 0.0}
    assert simulate(create_strategy("ml", params), data, config).bets
    for quotes in data.decision.values():
        first = quotes[0]
        quotes.append(first._replace(outcome="Draw", price=250, decimal=3.5))
    assert simulate(create_strategy("ml", params), data, config).bets == []

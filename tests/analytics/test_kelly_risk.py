"""Kelly risk diagnostics against penaltyblog (one bet) and Monte Carlo (issue #23, tools)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from penaltyblog.betting.kelly import kelly_criterion

from oddscore.analytics.kelly import simultaneous_kelly
from oddscore.analytics.kelly_risk import drawdown_probability, kelly_comparison, stake_risk

SLATE = ([0.53, 0.55, 0.52, 0.6], [2.0, 1.95, 2.1, 1.8])


@pytest.mark.parametrize(
    ("p", "d", "fraction"), [(0.55, 2.0, 1.0), (0.4, 3.0, 0.5), (0.7, 1.6, 0.25)]
)
def test_one_bet_matches_penaltyblog(p: float, d: float, fraction: float) -> None:
    oracle = kelly_criterion(d, p, fraction=fraction)
    assert oracle.risk_metrics is not None
    (risk,) = kelly_comparison([p], [d], fractions=(fraction,))
    assert risk.total_stake == pytest.approx(float(oracle.stake), abs=1e-12)
    assert risk.growth == pytest.approx(oracle.risk_metrics.kelly_growth_rate, abs=1e-12)
    assert risk.volatility == pytest.approx(oracle.risk_metrics.log_return_volatility, abs=1e-12)


def _simulate_slates(stakes: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    wins = rng.random((count, len(stakes))) < np.array(SLATE[0])
    returns = np.where(wins, np.array(SLATE[1]) - 1.0, -1.0)
    return np.log1p(returns @ stakes)


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.25])
def test_growth_and_volatility_match_monte_carlo(fraction: float) -> None:
    stakes = np.array(simultaneous_kelly(*SLATE, fraction=fraction))
    risk = stake_risk(*SLATE, stakes=list(stakes), fraction=fraction)
    log_w = _simulate_slates(stakes, np.random.default_rng(7), 400_000)
    se_mean = log_w.std(ddof=1) / math.sqrt(len(log_w))
    assert abs(risk.growth - log_w.mean()) < 4 * se_mean
    # The standard error of a sample sd is about sd / sqrt(2 n).
    assert abs(risk.volatility - log_w.std(ddof=1)) < 4 * log_w.std() / math.sqrt(2 * len(log_w))


@pytest.mark.parametrize("fraction", [0.5, 0.25])
def test_drawdown_probability_matches_monte_carlo(fraction: float) -> None:
    stakes = np.array(simultaneous_kelly(*SLATE, fraction=fraction))
    risk = stake_risk(*SLATE, stakes=list(stakes), drawdown=0.3, fraction=fraction)
    rng = np.random.default_rng(11)
    paths, horizon = 4_000, 3_000  # a horizon of many times sigma^2 / G^2: "ever", nearly
    assert horizon > 20 * risk.volatility**2 / risk.growth**2
    level = np.zeros(paths)
    hit = np.zeros(paths, dtype=bool)
    for _ in range(horizon // 500):
        steps = _simulate_slates(stakes, rng, paths * 500).reshape(paths, 500)
        path = level[:, None] + np.cumsum(steps, axis=1)
        hit |= (path <= math.log(0.7)).any(axis=1)
        level = path[:, -1]
    estimate = hit.mean()
    se = math.sqrt(max(estimate * (1 - estimate), 1e-4) / paths)
    assert abs(risk.drawdown_probability - estimate) < 3 * se


def test_full_and_fractional_kelly_side_by_side() -> None:
    full, half, quarter = kelly_comparison(*SLATE, fractions=(1.0, 0.5, 0.25))
    # Full Kelly grows fastest but risks the most; a fraction trades growth for safety.
    assert full.growth > half.growth > quarter.growth > 0
    assert full.volatility > half.volatility > quarter.volatility
    assert full.drawdown_probability > half.drawdown_probability > quarter.drawdown_probability
    assert half.total_stake == pytest.approx(full.total_stake / 2)
    # Brownian limit: full Kelly halves with probability close to 1/2.
    assert 0.4 < full.drawdown_probability < 0.5
    assert drawdown_probability(-0.01, 0.1, 0.5) == 1.0
    with pytest.raises(ValueError, match="drawdown"):
        drawdown_probability(0.01, 0.1, 1.5)
    with pytest.raises(ValueError, match="below the bankroll"):
        stake_risk([0.5, 0.5], [2.0, 2.0], [0.6, 0.5])

"""Hedge calculator: properties, and a brute-force search for the best guaranteed profit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddscore.analytics.hedge import equal_hedge, lock_profit_hedge
from oddscore.exceptions import AnalyticsError

stakes = st.floats(1.0, 10_000.0)
prices = st.floats(1.05, 15.0)


def _profits(stake: float, d1: float, d2: float, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return stake * (d1 - 1) - h, h * (d2 - 1) - stake


@given(stakes, prices, prices)
def test_the_equal_hedge_locks_the_same_profit_whatever_the_outcome(
    stake: float, d1: float, d2: float
) -> None:
    h = equal_hedge(stake, d1, d2)
    assert h.profit_if_open_wins == pytest.approx(h.profit_if_hedge_wins, rel=1e-12, abs=1e-9)
    # Its payout is the same in both outcomes: S d1 - S - H = H d2 - S - H.
    assert stake * d1 == pytest.approx(h.stake * d2)


@given(stakes, prices, prices)
def test_no_hedge_guarantees_more_than_the_equal_hedge(stake: float, d1: float, d2: float) -> None:
    # Brute force over hedge stakes from 0 to twice the equal hedge.
    best = equal_hedge(stake, d1, d2)
    grid = np.linspace(0.0, 2.0 * best.stake, 20_001)
    win, lose = _profits(stake, d1, d2, grid)
    worst = np.minimum(win, lose)
    step = grid[1] - grid[0]
    assert worst.max() <= best.guaranteed + 1e-9 * stake
    assert worst.max() >= best.guaranteed - step * max(d2, 1.0)


@given(stakes, prices, prices, st.floats(0.0, 1.0))
def test_a_lock_guarantees_the_profit_with_the_least_hedge(
    stake: float, d1: float, d2: float, share: float
) -> None:
    most = equal_hedge(stake, d1, d2).guaranteed
    target = most - share * stake  # anything up to the most; below 0 it caps a loss
    h = lock_profit_hedge(stake, d1, d2, target)
    assert h.guaranteed >= target - 1e-9 * stake
    if h.stake > 0:
        smaller = h.stake * (1 - 1e-6)
        win, lose = _profits(stake, d1, d2, np.array([smaller]))
        assert min(win[0], lose[0]) < target


def test_known_hedges_and_what_cannot_be_locked() -> None:
    # 100 on +200 (3.0); the other side now -110 (1.909): hedge 157.14, +42.86 either way.
    h = equal_hedge(100, 3.0, 1 + 100 / 110)
    assert h.stake == pytest.approx(157.142857, rel=1e-6)
    assert h.guaranteed == pytest.approx(42.857143, rel=1e-6)
    lock = lock_profit_hedge(100, 3.0, 1 + 100 / 110, 20.0)
    assert lock.stake == pytest.approx(120 / (100 / 110))
    assert lock.profit_if_hedge_wins == pytest.approx(20.0)
    assert lock.profit_if_open_wins == pytest.approx(200 - 132.0)
    with pytest.raises(AnalyticsError, match="at most 42.86"):
        lock_profit_hedge(100, 3.0, 1 + 100 / 110, 50.0)
    with pytest.raises(ValueError, match="stake"):
        equal_hedge(0, 2.0, 2.0)
    with pytest.raises(ValueError, match="decimal"):
        equal_hedge(100, 1.0, 2.0)

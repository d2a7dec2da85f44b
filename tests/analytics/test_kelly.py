"""Simultaneous Kelly for one slate against independent oracles (issue #23, error 1).

Oracles: the closed form for two identical bets; for identical bets of any number the
one-dimensional optimum over the binomial number of wins (the optimum of a symmetric concave
problem is symmetric); for small mixed slates brute force: every win/lose combination
enumerated in plain Python and maximized by coordinate-wise golden-section search.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from penaltyblog.betting.kelly import multiple_kelly_criterion
from scipy.optimize import OptimizeResult, minimize_scalar
from scipy.stats import binom

from oddscore.analytics import kelly
from oddscore.analytics.kelly import EXACT_LIMIT, exclusive_kelly, simultaneous_kelly
from oddscore.exceptions import AnalyticsError

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def _growth(stakes: list[float], probabilities: list[float], decimals: list[float]) -> float:
    total = 0.0
    for wins in itertools.product((True, False), repeat=len(stakes)):
        weight, wealth = 1.0, 1.0
        for won, s, p, d in zip(wins, stakes, probabilities, decimals, strict=True):
            weight *= p if won else 1.0 - p
            wealth += s * (d - 1.0) if won else -s
        total += weight * math.log(wealth)
    return total


def _brute_force(probabilities: list[float], decimals: list[float]) -> list[float]:
    """Coordinate ascent with golden-section search: slow, simple and independent of SLSQP."""
    n = len(probabilities)
    stakes = [0.0] * n
    for _ in range(200):
        before = list(stakes)
        for i in range(n):
            room = 1.0 - (sum(stakes) - stakes[i]) - 1e-12

            def at(x: float, i: int = i) -> float:
                trial = list(stakes)
                trial[i] = x
                return _growth(trial, probabilities, decimals)

            low, high = 0.0, room
            while high - low > 1e-13:
                a = high - GOLDEN * (high - low)
                b = low + GOLDEN * (high - low)
                if at(a) < at(b):
                    low = a
                else:
                    high = b
            stakes[i] = (low + high) / 2.0
        if max(abs(x - y) for x, y in zip(stakes, before, strict=True)) < 1e-12:
            break
    return stakes


def _symmetric_optimum(n: int, p: float, d: float) -> float:
    """Per-bet full-Kelly stake of n identical independent bets (one-dimensional, exact)."""

    def negative(s: float) -> float:
        return -sum(
            binom.pmf(k, n, p) * math.log(1.0 + s * (k * (d - 1.0) - (n - k))) for k in range(n + 1)
        )

    found = minimize_scalar(
        negative, bounds=(0.0, (1.0 - 1e-15) / n), method="bounded", options={"xatol": 1e-14}
    )
    return float(found.x)


def test_two_identical_bets_match_the_closed_form() -> None:
    # p^2 log(1 + 2s) + q^2 log(1 - 2s) is maximal at s = (p^2 - q^2) / (2 (p^2 + q^2)).
    p = 0.55
    expected = (p * p - (1 - p) ** 2) / (2 * (p * p + (1 - p) ** 2))
    assert simultaneous_kelly([p, p], [2.0, 2.0], fraction=1.0) == pytest.approx(
        [expected, expected], abs=1e-9
    )


@pytest.mark.parametrize(
    ("probabilities", "decimals"),
    [
        ([0.55, 0.30, 0.62], [2.0, 3.9, 1.75]),
        ([0.52, 0.51, 0.35, 0.7], [2.05, 2.1, 3.2, 1.5]),
        ([0.9, 0.85], [1.3, 1.4]),  # large edges: the stakes sum close to the bankroll
    ],
)
def test_small_slates_match_brute_force_to_1e6(
    probabilities: list[float], decimals: list[float]
) -> None:
    stakes = simultaneous_kelly(probabilities, decimals, fraction=1.0)
    assert stakes == pytest.approx(_brute_force(probabilities, decimals), abs=1e-6)


def test_thirteen_bets_stay_below_the_bankroll() -> None:
    # Before #23: 13 bets of single-bet Kelly 0.1 each staked 0.1 each, 1.3 bankrolls at full
    # Kelly and 0.325 at quarter Kelly; the joint optimum is 0.0767803 each (0.998 in all).
    n, p, d = 13, 0.55, 2.0
    assert n > 12
    optimum = _symmetric_optimum(n, p, d)
    full = simultaneous_kelly([p] * n, [d] * n, fraction=1.0)
    assert full == pytest.approx([optimum] * n, abs=1e-6)
    assert sum(full) < 1.0
    quarter = simultaneous_kelly([p] * n, [d] * n, fraction=0.25)
    assert quarter == pytest.approx([optimum / 4] * n, abs=1e-6)


@pytest.mark.parametrize(("n", "p"), [(EXACT_LIMIT + 4, 0.51), (EXACT_LIMIT + 4, 0.53)])
def test_sampled_slates_match_the_exact_optimum(n: int, p: float) -> None:
    # Past EXACT_LIMIT the growth is estimated from 2**15 Sobol combinations: the total stake
    # is within 0.5% of the exact optimum and no bet is sized more than 3% off it.
    optimum = _symmetric_optimum(n, p, 2.0)
    stakes = simultaneous_kelly([p] * n, [2.0] * n, fraction=1.0)
    assert sum(stakes) == pytest.approx(n * optimum, rel=5e-3)
    assert sum(stakes) < 1.0
    assert stakes == pytest.approx([optimum] * n, rel=3e-2)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0.05, 0.95), st.floats(1.05, 8.0)), min_size=2, max_size=EXACT_LIMIT + 6
    )
)
def test_total_stake_never_reaches_the_bankroll(bets: list[tuple[float, float]]) -> None:
    probabilities = [p for p, _ in bets]
    decimals = [d for _, d in bets]
    stakes = simultaneous_kelly(probabilities, decimals, fraction=1.0)
    assert all(s >= 0.0 for s in stakes)
    assert sum(stakes) < 1.0
    for s, p, d in zip(stakes, probabilities, decimals, strict=True):
        if p * d <= 1.0:
            assert s == 0.0


def test_a_failed_optimizer_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # The solver rarely fails on this concave problem; stand in one that gives up at no
    # stake at all, to check that a non-optimal answer is raised instead of being sized.
    def gives_up(*args: object, **kwargs: object) -> OptimizeResult:
        return OptimizeResult(x=np.zeros(2), success=False, message="gave up")

    monkeypatch.setattr(kelly, "minimize", gives_up)
    with pytest.raises(AnalyticsError, match="gave up"):
        simultaneous_kelly([0.55, 0.55], [2.0, 2.0])


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="probabilit"):
        simultaneous_kelly([1.2, 0.5], [2.0, 2.0])
    with pytest.raises(ValueError, match="decimal"):
        simultaneous_kelly([0.5, 0.5], [1.0, 2.0])


@pytest.mark.parametrize(
    ("probabilities", "decimals"),
    [
        ([0.45, 0.30, 0.25], [2.5, 3.2, 2.8]),
        ([0.5, 0.3, 0.2], [2.1, 3.6, 4.0]),
        ([0.5, 0.5], [1.9, 2.1]),
        ([0.36, 0.3, 0.34], [3.0, 3.4, 2.6]),
        ([0.2, 0.15, 0.1, 0.05], [6.0, 8.0, 9.5, 30.0]),  # some chance of no winner
    ],
)
def test_exclusive_kelly_matches_penaltyblog(
    probabilities: list[float], decimals: list[float]
) -> None:
    # Before #23 SLSQP's default tolerance left errors of ~1e-4 here (0.102262 for 0.102174)
    # and a failed solve was used as if it had converged. penaltyblog's own SLSQP is good
    # to ~5e-7 on these markets; the closed form is exact.
    oracle = multiple_kelly_criterion(decimals, probabilities, fraction=1.0, tolerance=1e-12)
    assert oracle.optimization_success
    stakes = exclusive_kelly(probabilities, decimals, fraction=1.0)
    assert stakes == pytest.approx(oracle.stakes, abs=2e-6)


def test_exclusive_kelly_closed_form_and_a_complete_arbitrage() -> None:
    # 2.5/3.2/2.8 at 45/30/25%: R = 0.25 / (1 - 0.4 - 0.3125); s = p - R/d.
    reserve = 0.25 / (1 - 0.4 - 0.3125)
    assert exclusive_kelly([0.45, 0.30, 0.25], [2.5, 3.2, 2.8], fraction=1.0) == pytest.approx(
        [0.45 - reserve / 2.5, 0.30 - reserve / 3.2, 0.0], abs=1e-15
    )
    # Both sides of a fair coin at 2.1: every chance covered, stake p on each (W = 1.05).
    assert exclusive_kelly([0.5, 0.5], [2.1, 2.1], fraction=1.0) == pytest.approx([0.5, 0.5])
    assert exclusive_kelly([0.4, 0.6], [2.0, 1.5]) == [0.0, 0.0]

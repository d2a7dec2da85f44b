"""Kelly staking (BETTING_MATH.md d5): stakes as fractions of the bankroll.

All functions return fractions of the *settled bankroll minus pending stakes*; the caller
multiplies. Negative-EV bets get 0, never a short position.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

__all__ = [
    "EXACT_LIMIT",
    "exclusive_kelly",
    "fractional_kelly",
    "kelly_fraction",
    "simultaneous_kelly",
]

# Exact enumeration of the 2**n win/lose combinations costs 2**n per evaluation; past this
# many bets the scaled-down heuristic is used instead.
EXACT_LIMIT = 12


def kelly_fraction(probability: float, decimal: float) -> float:
    """Full Kelly ``f* = (p d - 1)/(d - 1)``; negative means "do not bet"."""
    return (probability * decimal - 1.0) / (decimal - 1.0)


def fractional_kelly(
    probability: float, decimal: float, fraction: float = 0.25, cap: float | None = None
) -> float:
    """``fraction * f*``, floored at 0 and capped at ``cap`` (e.g. 0.05 = 5% of bankroll)."""
    f = max(0.0, kelly_fraction(probability, decimal)) * fraction
    return min(f, cap) if cap is not None else f


def _scale_to_cap(stakes: list[float], cap: float | None) -> list[float]:
    total = sum(stakes)
    if cap is not None and total > cap > 0:
        return [s * cap / total for s in stakes]
    return stakes


def simultaneous_kelly(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    fraction: float = 0.25,
    cap: float | None = None,
) -> list[float]:
    """Stakes for independent bets placed together (one slate of different games).

    Maximizes ``E[log(1 + sum s_i r_i)]`` over every win/lose combination (exact up to
    :data:`EXACT_LIMIT` bets), then scales by ``fraction``; the total is kept <= ``cap``.
    With more bets it falls back to individual fractional Kelly scaled down to the cap.
    """
    n = len(probabilities)
    if n != len(decimals):
        raise ValueError("probabilities and decimals differ in length")
    single = [max(0.0, kelly_fraction(p, d)) for p, d in zip(probabilities, decimals, strict=True)]
    active = [i for i, f in enumerate(single) if f > 0]
    result = [0.0] * n
    if not active:
        return result
    if len(active) > EXACT_LIMIT or len(active) == 1:
        return _scale_to_cap([f * fraction for f in single], cap)
    p = np.array([probabilities[i] for i in active])
    r_win = np.array([decimals[i] - 1.0 for i in active])
    combos = np.array(list(itertools.product((1, 0), repeat=len(active))), dtype=float)
    weights = np.prod(np.where(combos == 1, p, 1.0 - p), axis=1)
    returns = np.where(combos == 1, r_win, -1.0)

    def negative_growth(s: np.ndarray) -> float:
        wealth = 1.0 + returns @ s
        return -float(weights @ np.log(np.maximum(wealth, 1e-12)))

    start = np.array([single[i] for i in active]) / (2.0 * len(active))
    solution = minimize(
        negative_growth,
        start,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * len(active),
        constraints=[{"type": "ineq", "fun": lambda s: 0.999 - float(np.sum(s))}],
    )
    stakes = solution.x if solution.success else start
    for i, s in zip(active, stakes, strict=True):
        result[i] = max(0.0, float(s)) * fraction
    return _scale_to_cap(result, cap)


def exclusive_kelly(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    fraction: float = 0.25,
    cap: float | None = None,
) -> list[float]:
    """Stakes on mutually exclusive outcomes of one market (penaltyblog's simultaneous mode).

    Maximizes ``sum_i p_i log(1 - S + s_i d_i) + p_0 log(1 - S)`` with SLSQP, where ``S`` is
    the total stake and ``p_0`` the probability that no outcome bet on wins.
    """
    n = len(probabilities)
    p = np.asarray(probabilities, dtype=float)
    d = np.asarray(decimals, dtype=float)
    p0 = max(0.0, 1.0 - float(p.sum()))

    def negative_growth(s: np.ndarray) -> float:
        total = float(s.sum())
        wins = np.maximum(1.0 - total + s * d, 1e-12)
        value = float(p @ np.log(wins))
        if p0 > 0:
            value += p0 * math.log(max(1.0 - total, 1e-12))
        return -value

    start = np.array([max(0.0, kelly_fraction(pi, di)) for pi, di in zip(p, d, strict=True)])
    if not start.any():
        return [0.0] * n
    solution = minimize(
        negative_growth,
        start / 2.0,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "ineq", "fun": lambda s: 0.999 - float(np.sum(s))}],
    )
    stakes = [max(0.0, float(s)) * fraction for s in solution.x]
    return _scale_to_cap(stakes, cap)

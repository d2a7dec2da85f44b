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
from scipy.stats import qmc

from oddscore.exceptions import AnalyticsError

__all__ = [
    "EXACT_LIMIT",
    "SAMPLES",
    "exclusive_kelly",
    "fractional_kelly",
    "kelly_fraction",
    "simultaneous_kelly",
    "slate_scenarios",
]

# Exact enumeration of the 2**n win/lose combinations costs n * 2**n per evaluation
# (16 bets: one million products, milliseconds); past this many bets the expected log growth
# is estimated from SAMPLES combinations drawn with a fixed seed, plus the all-lose one.
EXACT_LIMIT = 16
SAMPLES = 2**15
# Largest marginal growth d G / d s_i accepted at the optimum (stakes then err by ~1e-8).
_KKT_TOLERANCE = 1e-7


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


def slate_scenarios(
    probabilities: Sequence[float], decimals: Sequence[float], *, seed: int = 20231024
) -> tuple[np.ndarray, np.ndarray]:
    """The win/lose combinations of independent bets: (weights, per-bet returns per unit).

    Exact (all ``2**n`` combinations) up to :data:`EXACT_LIMIT` bets; beyond, :data:`SAMPLES`
    combinations drawn with ``seed`` (weight ``(1 - P(all lose)) / SAMPLES`` each) plus the
    all-lose combination at its exact probability, so no stake plan can be sized as if the
    whole slate could not lose.
    """
    p = np.asarray(probabilities, dtype=float)
    win = np.asarray(decimals, dtype=float) - 1.0
    n = len(p)
    if n <= EXACT_LIMIT:
        combos = np.array(list(itertools.product((True, False), repeat=n)), dtype=bool)
        weights = np.prod(np.where(combos, p, 1.0 - p), axis=1)
    else:
        # Scrambled Sobol points cover the unit cube more evenly than independent draws: the
        # stakes of similar bets then differ less by sampling noise.
        drawn = qmc.Sobol(n, scramble=True, seed=seed).random(SAMPLES) < p
        all_lose = float(np.prod(1.0 - p))
        combos = np.vstack([drawn, np.zeros((1, n), dtype=bool)])
        weights = np.append(np.full(SAMPLES, (1.0 - all_lose) / SAMPLES), all_lose)
    return weights, np.where(combos, win, -1.0)


def _polish(weights: np.ndarray, returns: np.ndarray, stakes: np.ndarray) -> np.ndarray:
    """Newton steps on the stakes placed: L-BFGS-B gets close, these reach ~1e-12.

    Near a total stake of 1 the growth is steep in stake terms while the solver's own
    variables are flat; Newton on the stakes fixes that. A step that would leave a stake
    negative or the bankroll non-positive is halved until it does not.
    """
    for _ in range(30):
        placed = stakes > 1e-12
        if not placed.any():
            return stakes
        r = returns[:, placed]
        wealth = 1.0 + returns @ stakes
        gradient = r.T @ (weights / wealth)
        hessian = -(r.T * (weights / wealth**2)) @ r
        try:
            step = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            return stakes
        for _halving in range(60):
            trial = stakes.copy()
            trial[placed] += step
            if trial.min() >= 0.0 and trial.sum() < 1.0 and np.all(1.0 + returns @ trial > 0):
                break
            step /= 2.0
        else:
            return stakes
        stakes = trial
        if float(np.max(np.abs(step))) < 1e-15:
            break
    return stakes


def _maximize_growth(weights: np.ndarray, returns: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Stakes maximizing ``sum_w w log(1 + R s)`` over ``s >= 0`` with ``sum s < 1``.

    Solved in ``v >= 0`` with ``s = v / (1 + sum v)``: every such ``v`` is a stake plan that
    keeps part of the bankroll, so the solver (L-BFGS-B, which never leaves its bounds) cannot
    step to a plan that loses everything. The map is a smooth bijection, so its stationary
    point is the optimum of the concave problem; a tight tolerance brings stakes to ~1e-9
    (SLSQP's default left 1e-3 errors).
    """

    def negative_growth(v: np.ndarray) -> tuple[float, np.ndarray]:
        scale = 1.0 + float(v.sum())
        s = v / scale
        wealth = 1.0 + returns @ s
        if np.any(wealth <= 0.0):
            return math.inf, np.zeros_like(v)
        grad_s = -(returns.T @ (weights / wealth))
        # ds_j/dv_i = (delta_ij - s_j) / scale
        return -float(weights @ np.log(wealth)), (grad_s - float(grad_s @ s)) / scale

    n = len(start)
    solution = minimize(
        negative_growth,
        x0=start / (1.0 - float(start.sum())),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * n,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000, "maxcor": 30},
    )
    v = np.asarray(solution.x, dtype=float)
    stakes = _polish(weights, returns, v / (1.0 + float(v.sum())))
    # L-BFGS-B also stops "abnormally" when it sits on the optimum and cannot improve in
    # floating point, so convergence is judged by the optimality conditions themselves:
    # zero marginal growth for every stake placed, none to gain from a stake left at 0.
    violation = math.inf
    if np.all(np.isfinite(stakes)) and stakes.sum() < 1.0:
        wealth = 1.0 + returns @ stakes
        marginal = returns.T @ (weights / wealth)
        placed = stakes > 1e-12
        violation = float(
            max(
                np.max(np.abs(marginal[placed]), initial=0.0),
                np.max(marginal[~placed], initial=0.0),
            )
        )
    if violation > _KKT_TOLERANCE:
        raise AnalyticsError(
            f"Kelly optimizer failed for {n} bets: {solution.message} (marginal growth "
            f"{violation:.3g} left); no stakes were sized"
        )
    return stakes


def simultaneous_kelly(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    fraction: float = 0.25,
    cap: float | None = None,
) -> list[float]:
    """Stakes for independent bets placed together (one slate of different games).

    Maximizes ``E[log(1 + sum s_i r_i)]`` over the win/lose combinations (every one up to
    :data:`EXACT_LIMIT` positive-EV bets, a fixed-seed sample beyond, see
    :func:`slate_scenarios`), then scales by ``fraction``; the total is kept <= ``cap``. The
    full-Kelly total is always below 1: the all-lose combination is always weighed. Raises
    :class:`~oddscore.exceptions.AnalyticsError` if the optimizer fails.
    """
    n = len(probabilities)
    if n != len(decimals):
        raise ValueError("probabilities and decimals differ in length")
    if not all(0.0 <= p <= 1.0 for p in probabilities):
        raise ValueError(f"probabilities must lie in [0, 1], got {list(probabilities)}")
    if not all(1.0 < d < math.inf for d in decimals):
        raise ValueError(f"decimal odds must be finite and > 1, got {list(decimals)}")
    single = [max(0.0, kelly_fraction(p, d)) for p, d in zip(probabilities, decimals, strict=True)]
    active = [i for i, f in enumerate(single) if f > 0]
    result = [0.0] * n
    if not active:
        return result
    if len(active) == 1:
        result[active[0]] = single[active[0]] * fraction
        return _scale_to_cap(result, cap)
    weights, returns = slate_scenarios(
        [probabilities[i] for i in active], [decimals[i] for i in active]
    )
    # Start inside the feasible set: individual Kelly stakes shrunk so they sum below 1/2.
    start = np.array([single[i] for i in active])
    start *= min(1.0, 0.5 / float(start.sum()))
    stakes = _maximize_growth(weights, returns, start)
    for i, s in zip(active, stakes, strict=True):
        result[i] = float(s) * fraction
    return _scale_to_cap(result, cap)


def exclusive_kelly(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    fraction: float = 0.25,
    cap: float | None = None,
) -> list[float]:
    """Stakes on mutually exclusive outcomes of one market (penaltyblog's simultaneous mode).

    Maximizes ``sum_i p_i log(1 - S + s_i d_i) + p_0 log(1 - S)``, where ``S`` is the total
    stake and ``p_0`` the probability that no outcome bet on wins, in closed form (Smoczynski
    and Tomkins, 2010): take the outcomes by ``p d`` from the highest while ``p_k d_k`` beats
    the reserve rate ``R = (1 - sum p) / (1 - sum 1/d)`` of those already taken; each stakes
    ``p_i - R / d_i``. Exact, so no solver can fail; when the outcomes taken cover every
    chance (``R = 0``, an arbitrage on a complete market) the stakes are ``p_i`` and sum to 1.
    """
    n = len(probabilities)
    if n != len(decimals):
        raise ValueError("probabilities and decimals differ in length")
    if not all(0.0 <= p <= 1.0 for p in probabilities) or sum(probabilities) > 1.0 + 1e-9:
        raise ValueError(f"probabilities must lie in [0, 1] and sum to <= 1, got {probabilities}")
    if not all(1.0 < d < math.inf for d in decimals):
        raise ValueError(f"decimal odds must be finite and > 1, got {list(decimals)}")
    order = sorted(range(n), key=lambda i: -probabilities[i] * decimals[i])
    taken: list[int] = []
    reserve = 1.0
    for k in order:
        if not probabilities[k] * decimals[k] > reserve:
            break
        p_sum = sum(probabilities[i] for i in (*taken, k))
        inverse_sum = sum(1.0 / decimals[i] for i in (*taken, k))
        if inverse_sum >= 1.0:
            break  # the formula needs 1 - sum(1/d) > 0
        taken.append(k)
        reserve = max(0.0, (1.0 - p_sum) / (1.0 - inverse_sum))
    stakes = [0.0] * n
    for i in taken:
        stakes[i] = max(0.0, probabilities[i] - reserve / decimals[i]) * fraction
    return _scale_to_cap(stakes, cap)

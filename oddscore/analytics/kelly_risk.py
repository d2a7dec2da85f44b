"""Kelly risk diagnostics (BETTING_MATH.md d5): growth, its volatility, drawdown odds.

For a stake plan ``s`` (fractions of the bankroll) on a slate of independent bets with win
probabilities ``p`` and decimal prices ``d``, the bankroll after the slate is
``W = 1 + sum_i s_i r_i`` with ``r_i = d_i - 1`` on a win and ``-1`` on a loss:

* ``growth`` ``G = E[log W]``: the expected log growth per slate (what Kelly maximizes);
* ``volatility`` ``sigma = sd(log W)``: the spread of the log return per slate;
* ``drawdown_probability``: the chance that the bankroll *ever* falls to ``1 - drawdown`` of
  its starting value when the slate is repeated: ``exp(-(2 G / sigma^2) (b + 0.5826 sigma))``
  with ``b = -log(1 - drawdown)``, the first passage of a log-wealth random walk with drift
  ``G`` and variance ``sigma^2``. Without the ``0.5826 sigma`` term it is the Brownian
  answer ``(1 - drawdown) ** (2 G / sigma^2)`` (full Kelly: "the chance of ever halving is
  1/2"); the term is Siegmund's correction for a walk that jumps past the barrier instead of
  touching it (``0.5826 = -zeta(1/2) / sqrt(2 pi)``), which brings it within a Monte Carlo
  standard error of simulated slates. 1 when ``G <= 0``.

``G`` and ``sigma`` are exact (every win/lose combination) up to
:data:`~oddscore.analytics.kelly.EXACT_LIMIT` bets and estimated from the same fixed sample
as the stakes beyond. :func:`kelly_comparison` puts full Kelly and fractions of it side by
side for one slate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oddscore.analytics.kelly import simultaneous_kelly, slate_scenarios

__all__ = ["KellyRisk", "drawdown_probability", "kelly_comparison", "stake_risk"]

_SIEGMUND = 0.5826  # -zeta(1/2) / sqrt(2 pi): the mean overshoot of a jump, in sigmas


@dataclass(frozen=True, slots=True)
class KellyRisk:
    fraction: float | None  # the Kelly fraction the stakes are (None: a plan of its own)
    total_stake: float  # sum of the stakes, as a fraction of the bankroll
    growth: float  # E[log W] per slate
    volatility: float  # sd(log W) per slate
    drawdown: float  # the drawdown asked about, e.g. 0.5 = the bankroll halves
    drawdown_probability: float  # P(the bankroll ever falls to 1 - drawdown), repeated


def drawdown_probability(growth: float, volatility: float, drawdown: float) -> float:
    """P(ever falling to ``1 - drawdown``): see the module docstring; 1 without positive
    growth, 0 without risk."""
    if not 0.0 < drawdown < 1.0:
        raise ValueError(f"drawdown must be a fraction in (0, 1), got {drawdown}")
    if growth <= 0.0:
        return 1.0
    if volatility <= 0.0:
        return 0.0
    barrier = -math.log(1.0 - drawdown) + _SIEGMUND * volatility
    return min(1.0, math.exp(-2.0 * growth / volatility**2 * barrier))


def stake_risk(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    stakes: Sequence[float],
    drawdown: float = 0.5,
    fraction: float | None = None,
) -> KellyRisk:
    """The diagnostics of one slate staked ``stakes`` (fractions of the bankroll)."""
    if not len(probabilities) == len(decimals) == len(stakes):
        raise ValueError("probabilities, decimals and stakes differ in length")
    total = float(sum(stakes))
    if any(s < 0 for s in stakes) or total >= 1.0:
        raise ValueError(f"stakes must be >= 0 and sum below the bankroll, got total {total}")
    placed = [i for i, s in enumerate(stakes) if s > 0]
    if not placed:
        return KellyRisk(fraction, 0.0, 0.0, 0.0, drawdown, 0.0)
    weights, returns = slate_scenarios(
        [probabilities[i] for i in placed], [decimals[i] for i in placed]
    )
    log_wealth = np.log1p(returns @ np.array([stakes[i] for i in placed]))
    growth = float(weights @ log_wealth)
    variance = float(weights @ (log_wealth - growth) ** 2)
    volatility = math.sqrt(max(variance, 0.0))
    return KellyRisk(
        fraction,
        total,
        growth,
        volatility,
        drawdown,
        drawdown_probability(growth, volatility, drawdown),
    )


def kelly_comparison(
    probabilities: Sequence[float],
    decimals: Sequence[float],
    fractions: Sequence[float] = (1.0, 0.5, 0.25),
    drawdown: float = 0.5,
) -> list[KellyRisk]:
    """Full Kelly and fractions of it on one slate, side by side (one optimization)."""
    full = simultaneous_kelly(probabilities, decimals, fraction=1.0)
    return [
        stake_risk(probabilities, decimals, [f * s for s in full], drawdown, f) for f in fractions
    ]

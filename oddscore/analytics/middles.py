"""What a middle is worth: its probability and EV from the empirical NBA score distribution.

The final total (or a team's margin) of a game is modelled as the market's line plus a
residual drawn from past games: ``T = c + r`` with ``c`` the game's consensus line and ``r``
the final total minus the consensus closing total of each stored game (for spreads, the home
margin plus the home closing point). Scores are whole numbers, so each ``c + r`` falling
between two of them is split between the two in proportion (a half-point lands half on each
side); the masses at whole numbers are what make pushes on whole-number lines possible.

For a middle of legs at decimal prices ``d1``, ``d2`` staked in balance (``s_i`` in
proportion to ``1/d_i``, one unit in all), each leg wins, pushes (stake back) or loses at
each score, and ``ev`` is the expectation of the two legs' profit over the distribution.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from oddscore.analytics.arbitrage import ArbitrageRules, Middle, Quote

__all__ = ["MiddleValue", "ScoreDistribution", "consensus_line", "middle_value", "residuals_from"]


@dataclass(frozen=True, slots=True)
class ScoreDistribution:
    """Residuals (final minus consensus closing line) of past games, one per game."""

    residuals: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.residuals:
            raise ValueError("a score distribution needs at least one past game")
        if not all(math.isfinite(r) for r in self.residuals):
            raise ValueError("residuals must be finite numbers")

    def pmf(self, center: float) -> dict[int, float]:
        """P(final = k) for whole numbers k, for a game whose consensus line is ``center``."""
        mass: dict[int, float] = defaultdict(float)
        weight = 1.0 / len(self.residuals)
        for r in self.residuals:
            x = center + r
            low = math.floor(x)
            upper = x - low
            if upper < 1e-9:
                mass[low] += weight
            elif upper > 1 - 1e-9:
                mass[low + 1] += weight
            else:
                mass[low] += weight * (1.0 - upper)
                mass[low + 1] += weight * upper
        return dict(mass)


@dataclass(frozen=True, slots=True)
class MiddleValue:
    middle: Middle
    p_both: float  # both legs win
    p_push: float  # at least one leg pushes
    ev: float  # expected profit per unit staked in all, after commission
    stakes: tuple[float, float]  # the balanced stakes of one unit


def _leg(win: bool, push: bool, stake: float, decimal: float) -> float:
    if push:
        return 0.0
    return stake * (decimal - 1.0) if win else -stake


def middle_value(
    middle: Middle,
    market: str,
    distribution: ScoreDistribution,
    center: float,
    rules: ArbitrageRules | None = None,
) -> MiddleValue:
    """The middle's P(both win), P(a push) and EV, the score drawn around ``center``.

    ``center`` is the game's consensus line: the total for totals, the *low* leg's team
    margin for spreads (minus its consensus point: a -5.5 favourite has center 5.5).
    """
    rules = ArbitrageRules() if rules is None else rules
    d1, d2 = rules.effective(middle.low), rules.effective(middle.high)
    s1 = (1.0 / d1) / (1.0 / d1 + 1.0 / d2)
    s2 = 1.0 - s1
    low_point, high_point = middle.low.point, middle.high.point
    if low_point is None or high_point is None:
        raise ValueError("a middle's legs need points")
    outcome: Callable[[int], tuple[int, int]]
    if market == "totals":
        # Over L1 wins above L1; Under L2 wins below L2. Sign: +1 win, 0 push, -1 loss.
        def outcome(t: int) -> tuple[int, int]:
            return _sign(t - low_point), _sign(high_point - t)

    elif market == "spreads":
        # The low leg's team margin m: it wins when m + p_a > 0, the other when p_b - m > 0.
        def outcome(t: int) -> tuple[int, int]:
            return _sign(t + low_point), _sign(high_point - t)

    else:
        raise ValueError(f"middles exist only in spreads and totals, not {market!r}")
    p_both = p_push = ev = 0.0
    for t, p in distribution.pmf(center).items():
        a, b = outcome(t)
        if a > 0 and b > 0:
            p_both += p
        if a == 0 or b == 0:
            p_push += p
        ev += p * (_leg(a > 0, a == 0, s1, d1) + _leg(b > 0, b == 0, s2, d2))
    return MiddleValue(middle, p_both, p_push, ev, (s1, s2))


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def consensus_line(quotes: Iterable[Quote], outcome: str) -> float | None:
    """The median point the books quote for ``outcome`` (e.g. "Over", or a team)."""
    points = sorted(q.point for q in quotes if q.outcome == outcome and q.point is not None)
    if not points:
        return None
    mid = len(points) // 2
    return points[mid] if len(points) % 2 else (points[mid - 1] + points[mid]) / 2.0


def residuals_from(finals: Mapping[str, float], lines: Mapping[str, float]) -> ScoreDistribution:
    """Residuals of the games with both a final figure and a consensus closing line."""
    return ScoreDistribution(tuple(finals[g] - lines[g] for g in sorted(finals) if g in lines))

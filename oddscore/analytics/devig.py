"""Margin removal: fair probabilities from a bookmaker's complete outcome set.

One entry point, :func:`devig`, for every method of BETTING_MATH.md section d2. It returns a
:class:`DevigResult` with the fair probabilities, the method, the margin ``M = B - 1`` and the
method's fitted parameter:

================  ==========================================  =========================
method            fair probability                            ``parameter``
================  ==========================================  =========================
multiplicative    ``p = pi / B``                              ``B`` (booksum)
additive          ``p = pi - M/n`` (clipped, renormalized)    ``M/n`` (margin per side)
power             ``p = pi**k``, ``sum = 1``                  ``k``
shin              Shin's insider model                        ``z`` (insider share)
odds_ratio        ``odds(p) = odds(pi) / c``                  ``c``
logarithmic       ``logit(p) = logit(pi) - c``                ``c``
margin_weighted   ``d* = n d / (n - M d)``, ``p = 1/d*``      ``M``
worst_case        per outcome, the minimum over the above     ``sum(p)`` (< 1 on purpose)
================  ==========================================  =========================

Only a complete, compatible outcome set may be de-vigged: one book, one snapshot, one point.
Differential margin weighting is, in probability terms, algebraically the additive method
(``1/d* = pi - M/n``); it is kept under its own name because reports quote it by that name.
The worst case is deliberately not renormalized (that would collapse it into the
multiplicative method): each outcome is charged the least favourable method's view of it.
The odds-ratio and logarithmic methods give the same probabilities (``odds(p) = odds(pi)/c``
is ``logit(p) = logit(pi) - log c``); they differ only in how the parameter is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scipy.optimize import brentq

__all__ = ["DevigMethod", "DevigResult", "devig"]


class DevigMethod(StrEnum):
    MULTIPLICATIVE = "multiplicative"
    ADDITIVE = "additive"
    POWER = "power"
    SHIN = "shin"
    ODDS_RATIO = "odds_ratio"
    LOGARITHMIC = "logarithmic"
    MARGIN_WEIGHTED = "margin_weighted"
    WORST_CASE = "worst_case"


@dataclass(frozen=True, slots=True)
class DevigResult:
    probabilities: tuple[float, ...]
    method: DevigMethod
    parameter: float
    margin: float

    @property
    def fair_odds(self) -> tuple[float, ...]:
        """Decimal fair odds ``1/p`` (infinite for a zero probability)."""
        return tuple(1.0 / p if p > 0 else math.inf for p in self.probabilities)


def _solve(func: Callable[[float], float], low: float, high: float) -> float:
    """Root of a monotone ``func`` on [low, high]; brentq needs a sign change."""
    f_low, f_high = func(low), func(high)
    if f_low == 0:
        return low
    if f_high == 0:
        return high
    if f_low * f_high > 0:
        raise ValueError("de-vig did not converge: no root in the search interval")
    return float(brentq(func, low, high, xtol=1e-14, rtol=1e-12, maxiter=200))


def _normalize(values: Sequence[float]) -> tuple[float, ...]:
    total = sum(values)
    return tuple(v / total for v in values)


def _multiplicative(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    return tuple(p / b for p in pi), b


def _additive(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    n = len(pi)
    share = (b - 1.0) / n
    raw = [p - share for p in pi]
    if min(raw) < 0:
        # A longshot priced below its share of the margin: clip it to zero and renormalize.
        raw = [max(r, 0.0) for r in raw]
        return _normalize(raw), share
    return tuple(raw), share


def _power(pi: Sequence[float], _b: float) -> tuple[tuple[float, ...], float]:
    k = _solve(lambda k: sum(p**k for p in pi) - 1.0, 1e-3, 100.0)
    return tuple(p**k for p in pi), k


def _shin_probabilities(pi: Sequence[float], b: float, z: float) -> list[float]:
    return [(math.sqrt(z * z + 4.0 * (1.0 - z) * p * p / b) - z) / (2.0 * (1.0 - z)) for p in pi]


def _shin(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    z = _solve(lambda z: sum(_shin_probabilities(pi, b, z)) - 1.0, -0.5, 0.99)
    return tuple(_shin_probabilities(pi, b, z)), z


def _odds_ratio(pi: Sequence[float], _b: float) -> tuple[tuple[float, ...], float]:
    def probs(c: float) -> list[float]:
        return [p / (c + p - c * p) for p in pi]

    # Solve on log(c): c spans orders of magnitude for lopsided markets.
    log_c = _solve(lambda x: sum(probs(math.exp(x))) - 1.0, -10.0, 10.0)
    c = math.exp(log_c)
    return tuple(probs(c)), c


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _logarithmic(pi: Sequence[float], _b: float) -> tuple[tuple[float, ...], float]:
    logits = [_logit(p) for p in pi]

    def probs(c: float) -> list[float]:
        return [1.0 / (1.0 + math.exp(c - x)) for x in logits]

    c = _solve(lambda c: sum(probs(c)) - 1.0, -30.0, 30.0)
    return tuple(probs(c)), c


def _margin_weighted(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    n = len(pi)
    m = b - 1.0
    raw = [(n - m / p) / (n / p) for p in pi]  # 1/d* with d* = n d / (n - M d)
    if min(raw) < 0:
        raw = [max(r, 0.0) for r in raw]
        return _normalize(raw), m
    return tuple(raw), m


_FITTED: dict[DevigMethod, Callable[[Sequence[float], float], tuple[tuple[float, ...], float]]] = {
    DevigMethod.MULTIPLICATIVE: _multiplicative,
    DevigMethod.ADDITIVE: _additive,
    DevigMethod.POWER: _power,
    DevigMethod.SHIN: _shin,
    DevigMethod.ODDS_RATIO: _odds_ratio,
    DevigMethod.LOGARITHMIC: _logarithmic,
    DevigMethod.MARGIN_WEIGHTED: _margin_weighted,
}


def devig(
    decimal_odds: Sequence[float], method: DevigMethod | str = "multiplicative"
) -> DevigResult:
    """Fair probabilities of one complete market (decimal odds, one per outcome).

    >>> r = devig([1.909090909, 1.909090909], "shin")
    >>> [round(p, 6) for p in r.probabilities]
    [0.5, 0.5]
    """
    method = DevigMethod(method)
    if len(decimal_odds) < 2:
        raise ValueError("a market needs at least two outcomes")
    if any(not (d > 1.0) or math.isinf(d) for d in decimal_odds):
        raise ValueError(f"decimal odds must be finite and > 1, got {list(decimal_odds)}")
    pi = [1.0 / d for d in decimal_odds]
    b = sum(pi)
    m = b - 1.0
    if method is DevigMethod.WORST_CASE:
        fitted = [fit(pi, b)[0] for fit in _FITTED.values()]
        worst = tuple(min(col) for col in zip(*fitted, strict=True))
        return DevigResult(worst, method, sum(worst), m)
    probabilities, parameter = _FITTED[method](pi, b)
    return DevigResult(probabilities, method, parameter, m)

"""Margin removal: fair probabilities from a bookmaker's complete outcome set.

One entry point, :func:`devig`, for every method of BETTING_MATH.md section d2. It returns a
:class:`DevigResult` with the fair probabilities, the method, the margin ``M = B - 1`` and the
method's fitted parameter:

| method          | fair probability                        | ``parameter``               |
|-----------------|-----------------------------------------|-----------------------------|
| multiplicative  | ``p = pi / B``                          | ``B`` (booksum)             |
| additive        | ``p = pi - M/n``                        | ``M/n`` (margin per side)   |
| power           | ``p = pi**k``, ``sum = 1``              | ``k``                       |
| shin            | Shin's insider model                    | ``z`` (insider share)       |
| odds_ratio      | ``odds(p) = odds(pi) / c``              | ``c``                       |
| logarithmic     | ``logit(p) = logit(pi) - c``            | ``c``                       |
| margin_weighted | ``d* = n d / (n - M d)``, ``p = 1/d*``  | ``M``                       |
| worst_case      | per outcome, the minimum over the above | ``sum(p)`` (< 1 on purpose) |

Only a complete, compatible outcome set may be de-vigged: one book, one snapshot, one point.
The additive and margin-weighted methods are *undefined* for a market with a longshot priced
below its share of the margin (``pi <= M/n``): they would give it a probability of 0 or less,
hence infinite fair odds. :func:`devig` then raises :class:`DevigUndefinedError` naming the
outcome, instead of clipping to 0; the consensus leaves that book's set out and the worst
case takes the minimum over the methods defined for the market. Every probability returned
is therefore strictly between 0 and 1, and every fair price finite.
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

from oddscore.exceptions import AnalyticsError

__all__ = ["DevigMethod", "DevigResult", "DevigUndefinedError", "devig"]


class DevigUndefinedError(AnalyticsError, ValueError):
    """The method cannot de-vig this market: it would give an outcome a probability <= 0."""


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
        """Decimal fair odds ``1/p`` (finite: every probability is > 0)."""
        return tuple(1.0 / p for p in self.probabilities)


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


def _defined(raw: Sequence[float], pi: Sequence[float], method: DevigMethod) -> tuple[float, ...]:
    """``raw`` unless an outcome got a probability <= 0 (a longshot below its margin share)."""
    for index, p in enumerate(raw):
        if not p > 0.0:
            raise DevigUndefinedError(
                f"{method.value} de-vig is undefined for this market: outcome {index + 1} "
                f"(implied {pi[index]:.4f}) is priced below its share of the margin "
                f"{(sum(pi) - 1.0) / len(pi):.4f}; use another method (multiplicative, power, "
                "shin)"
            )
    return tuple(raw)


def _multiplicative(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    return tuple(p / b for p in pi), b


def _additive(pi: Sequence[float], b: float) -> tuple[tuple[float, ...], float]:
    n = len(pi)
    share = (b - 1.0) / n
    return _defined([p - share for p in pi], pi, DevigMethod.ADDITIVE), share


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
    return _defined(raw, pi, DevigMethod.MARGIN_WEIGHTED), m


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

    Raises :class:`DevigUndefinedError` when ``method`` cannot de-vig this market (see the
    module docstring) and ``ValueError`` for prices that are not finite and > 1. For example:

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
        fitted = []
        for fit in _FITTED.values():
            try:
                fitted.append(fit(pi, b)[0])
            except DevigUndefinedError:
                continue  # the minimum over the methods defined for this market
        worst = tuple(min(col) for col in zip(*fitted, strict=True))
        return DevigResult(worst, method, sum(worst), m)
    probabilities, parameter = _FITTED[method](pi, b)
    return DevigResult(probabilities, method, parameter, m)

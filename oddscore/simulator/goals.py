"""Low-scoring sports priced from counts: Poisson goals (soccer), over-dispersed runs (MLB).

Two teams' scores are independent counts (Poisson, or negative binomial where scores vary
more than a Poisson's, as baseball's runs do); everything a book quotes is read off the
distribution of the difference or of the sum. A line can land on a whole number (a push
refunds the stake) or on a quarter (half the stake on each neighbouring half line, the Asian
handicap way); the fair probability of such a bet is the one that makes its expected profit
zero, ``W / (W + L)`` with ``W`` and ``L`` the stake-weighted chances of winning and losing,
so the two sides of one line always sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

__all__ = [
    "Distribution",
    "difference",
    "count_draw",
    "line_probability",
    "nearest_even_line",
    "negative_binomial",
    "poisson",
    "total",
]

Distribution = Mapping[int, float]  # value -> probability
_MAX_COUNT = 30  # runs beyond this have a probability below 1e-9 at any rate used here


def poisson(rate: float, limit: int = _MAX_COUNT) -> list[float]:
    """P(0), P(1), ... P(limit) of a Poisson count (the tail beyond is dropped)."""
    probabilities = [math.exp(-rate)]
    for k in range(1, limit + 1):
        probabilities.append(probabilities[-1] * rate / k)
    return probabilities


def negative_binomial(rate: float, size: float, limit: int = _MAX_COUNT) -> list[float]:
    """P(0) ... P(limit) of a count with mean ``rate`` and variance ``rate + rate**2 / size``."""
    q = rate / (size + rate)
    probabilities = [(1.0 - q) ** size]
    for k in range(1, limit + 1):
        probabilities.append(probabilities[-1] * (k - 1 + size) / k * q)
    return probabilities


def count_draw(probabilities: list[float], u: float) -> int:
    """The count at quantile ``u`` (inverse CDF, so one uniform gives one count)."""
    cumulative = 0.0
    for k, p in enumerate(probabilities):
        cumulative += p
        if u < cumulative:
            return k
    return len(probabilities) - 1


def difference(home: list[float], away: list[float]) -> dict[int, float]:
    """Distribution of home minus away."""
    found: dict[int, float] = {}
    for h, ph in enumerate(home):
        for a, pa in enumerate(away):
            found[h - a] = found.get(h - a, 0.0) + ph * pa
    return found


def total(home: list[float], away: list[float]) -> dict[int, float]:
    """Distribution of home plus away."""
    found: dict[int, float] = {}
    for h, ph in enumerate(home):
        for a, pa in enumerate(away):
            found[h + a] = found.get(h + a, 0.0) + ph * pa
    return found


def _win_loss(distribution: Distribution, line: float) -> tuple[float, float]:
    """Chances that ``value + line`` is above and below zero (a tie is a push)."""
    win = sum(p for value, p in distribution.items() if value + line > 0)
    loss = sum(p for value, p in distribution.items() if value + line < 0)
    return win, loss


def line_probability(distribution: Distribution, line: float) -> float:
    """Fair probability of the bet that ``value + line > 0`` (pushes and quarters priced)."""
    quarters = round(line * 4)
    halves = [line] if quarters % 2 == 0 else [(quarters - 1) / 4, (quarters + 1) / 4]
    win = loss = 0.0
    for half in halves:
        w, lo = _win_loss(distribution, half)
        win += w
        loss += lo
    return win / (win + loss) if win + loss > 0 else 0.5


def nearest_even_line(distribution: Distribution, lines: Iterable[float]) -> float:
    """The line whose fair probability is closest to evens (ties: the first given)."""
    return min(lines, key=lambda line: abs(line_probability(distribution, line) - 0.5))

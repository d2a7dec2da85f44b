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

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Distribution",
    "difference_and_total",
    "count_draw",
    "line_probability",
    "nearest_even_line",
    "negative_binomial",
    "poisson",
]

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


@dataclass(frozen=True, slots=True)
class Distribution:
    """An integer-valued distribution: P(low), P(low + 1), ... and its running sums."""

    low: int
    probabilities: tuple[float, ...]
    cumulative: tuple[float, ...]  # P(value <= low + i)

    @classmethod
    def of(cls, low: int, probabilities: list[float]) -> Distribution:
        return cls(low, tuple(probabilities), tuple(itertools.accumulate(probabilities)))

    def at(self, value: int) -> float:
        index = value - self.low
        return self.probabilities[index] if 0 <= index < len(self.probabilities) else 0.0

    def at_most(self, value: int) -> float:
        index = min(value - self.low, len(self.cumulative) - 1)
        return self.cumulative[index] if index >= 0 else 0.0

    def below(self, x: float) -> float:
        """P(value < x)."""
        return self.at_most(math.ceil(x) - 1)

    def above(self, x: float) -> float:
        """P(value > x)."""
        return self.cumulative[-1] - self.at_most(math.floor(x))


def difference_and_total(home: list[float], away: list[float]) -> tuple[Distribution, Distribution]:
    """Distributions of home minus away and of home plus away (one pass over the pairs)."""
    size = len(home) + len(away) - 1
    diff, total = [0.0] * size, [0.0] * size
    shift = len(away) - 1
    for h, ph in enumerate(home):
        for a, pa in enumerate(away):
            p = ph * pa
            diff[h - a + shift] += p
            total[h + a] += p
    return Distribution.of(-shift, diff), Distribution.of(0, total)


def line_probability(distribution: Distribution, line: float) -> float:
    """Fair probability of the bet that ``value + line > 0`` (pushes and quarters priced)."""
    quarters = round(line * 4)
    halves = [line] if quarters % 2 == 0 else [(quarters - 1) / 4, (quarters + 1) / 4]
    # Each half wins when value > -half and loses when value < -half; a tie is a push.
    win = sum(distribution.above(-half) for half in halves)
    loss = sum(distribution.below(-half) for half in halves)
    return win / (win + loss) if win + loss > 0 else 0.5


def nearest_even_line(distribution: Distribution, lines: Iterable[float]) -> float:
    """The line whose fair probability is closest to evens (ties: the first given)."""
    return min(lines, key=lambda line: abs(line_probability(distribution, line) - 0.5))

"""Expected value and edge of a bet at decimal price ``d`` with fair probability ``p``."""

from __future__ import annotations

__all__ = ["edge", "expected_value"]


def expected_value(probability: float, decimal: float) -> float:
    """EV per unit staked: ``p d - 1`` (0.05 means +5% of the stake on average)."""
    return probability * decimal - 1.0


def edge(probability: float, decimal: float) -> float:
    """Edge in probability terms: ``p - 1/d``."""
    return probability - 1.0 / decimal

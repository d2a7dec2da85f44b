"""Odds formats and the bookmaker's margin.

Notation (shared/reference/BETTING_MATH.md): ``d`` decimal odds, ``A`` American odds,
``pi = 1/d`` the raw implied probability, ``B = sum(pi)`` the booksum and ``M = B - 1`` the
margin (overround). "Hold" is ``1 - 1/B``, the share of a balanced book the bookmaker keeps;
every report says which of the two it shows.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "american_to_decimal",
    "american_to_implied",
    "booksum",
    "decimal_to_american",
    "hold",
    "implied_probability",
    "margin",
]


def american_to_decimal(american: float) -> float:
    """``d = 1 + A/100`` for ``A > 0``; ``d = 1 + 100/|A|`` for ``A < 0``.

    >>> american_to_decimal(-110), american_to_decimal(150)
    (1.9090909090909092, 2.5)
    """
    if -100 < american < 100:
        raise ValueError(f"American odds must be <= -100 or >= +100, got {american}")
    if american > 0:
        return 1.0 + american / 100.0
    return 1.0 + 100.0 / -american


def decimal_to_american(decimal: float) -> float:
    """``A = 100(d - 1)`` for ``d >= 2``; ``A = -100/(d - 1)`` for ``d < 2``.

    >>> decimal_to_american(2.5), round(decimal_to_american(1.5), 6)
    (150.0, -200.0)
    """
    if decimal <= 1.0:
        raise ValueError(f"decimal odds must be > 1, got {decimal}")
    if decimal >= 2.0:
        return 100.0 * (decimal - 1.0)
    return -100.0 / (decimal - 1.0)


def implied_probability(decimal: float) -> float:
    """``pi = 1/d``: the break-even win probability of a price, margin included."""
    if decimal <= 1.0:
        raise ValueError(f"decimal odds must be > 1, got {decimal}")
    return 1.0 / decimal


def american_to_implied(american: float) -> float:
    """``|A|/(|A|+100)`` for favourites, ``100/(A+100)`` for underdogs."""
    if american < 0:
        return -american / (-american + 100.0)
    return 100.0 / (american + 100.0)


def booksum(decimals: Sequence[float]) -> float:
    """``B``: the sum of the implied probabilities of a complete outcome set."""
    if len(decimals) < 2:
        raise ValueError("a market needs at least two outcomes")
    return sum(implied_probability(d) for d in decimals)


def margin(decimals: Sequence[float]) -> float:
    """``M = B - 1``, the overround (0.0476 for -110/-110)."""
    return booksum(decimals) - 1.0


def hold(decimals: Sequence[float]) -> float:
    """``1 - 1/B``: the share of a balanced book the bookmaker keeps (0.0455 for -110/-110)."""
    return 1.0 - 1.0 / booksum(decimals)

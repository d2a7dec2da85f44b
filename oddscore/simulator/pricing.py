"""From probabilities to quoted prices, in the two formats the provider speaks.

A book holds a belief (a fair probability per outcome) and quotes it with its margin applied
proportionally, ``implied = p * (1 + margin)``, so the multiplicative de-vig of a quote gives
the book's belief back (up to price rounding).
"""

from __future__ import annotations

import math

__all__ = [
    "american_from_implied",
    "american_to_decimal",
    "decimal_from_implied",
    "normal_cdf",
    "price",
    "quote_two_way",
    "round_half",
]

_SQRT2 = math.sqrt(2.0)
# Keep quotes inside prices books actually post (about -2000 / +1600).
_MIN_P, _MAX_P = 0.05, 0.94


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / _SQRT2))


def round_half(value: float) -> float:
    """Round to the nearest half point, as books post spreads and totals."""
    return round(value * 2.0) / 2.0


def quote_two_way(p_first: float, margin: float) -> tuple[float, float]:
    """Implied probabilities (summing to ``1 + margin``) of a two-way market."""
    p = min(max(p_first, _MIN_P), _MAX_P)
    booksum = 1.0 + margin
    return p * booksum, (1.0 - p) * booksum


def american_from_implied(implied: float) -> int:
    """American odds of an implied probability: -150 for 0.6, +150 for 0.4, +100 at 0.5."""
    if implied > 0.5:
        return -round(100.0 * implied / (1.0 - implied))
    return round(100.0 * (1.0 - implied) / implied)


def decimal_from_implied(implied: float) -> float:
    return max(1.01, round(1.0 / implied, 2))


def price(implied: float, odds_format: str) -> int | float:
    if odds_format == "american":
        return american_from_implied(implied)
    return decimal_from_implied(implied)


def american_to_decimal(american: float) -> float:
    """Decimal odds of an American price, rounded to cents like the provider's."""
    if american > 0:
        return round(1.0 + american / 100.0, 2)
    return round(1.0 + 100.0 / abs(american), 2)

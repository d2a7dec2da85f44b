"""Closing line value (BETTING_MATH.md d6).

The closing price is the last quote strictly before commence for the same book, market,
outcome and point; choosing it is the caller's job (the backtest engine does it).
"""

from __future__ import annotations

__all__ = ["clv_probability", "novig_clv", "price_clv"]


def price_clv(bet_decimal: float, close_decimal: float) -> float:
    """``d_bet / d_close - 1``: positive means the bet beat the closing price."""
    return bet_decimal / close_decimal - 1.0


def novig_clv(bet_decimal: float, close_fair_probability: float) -> float:
    """``p_close d_bet - 1``: the bet's expected ROI if the de-vigged close is the truth."""
    return close_fair_probability * bet_decimal - 1.0


def clv_probability(bet_decimal: float, close_fair_probability: float) -> float:
    """``p_close - 1/d_bet``: the same in probability points."""
    return close_fair_probability - 1.0 / bet_decimal

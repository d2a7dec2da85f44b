"""Hedging an open bet: the stake on the other side that locks a profit or removes variance.

An open bet of stake ``S`` at decimal ``d1`` on outcome A; the other side (not A) now pays
``d2`` (after the hedge book's commission, if any). A hedge of stake ``H`` on it pays

* if A wins:      ``S (d1 - 1) - H``
* if A loses:     ``H (d2 - 1) - S``

The variance is zero when both are equal, ``H = S d1 / d2``: the *equal* hedge, whose
locked profit ``S (d1 - d1/d2 - 1)`` is the same whatever the outcome (negative when the
price moved against the bet: the loss is then capped instead). To lock at least ``P`` while keeping
the most upside, hedge the least that guarantees ``P`` if A loses, ``H = (S + P) / (d2 - 1)``;
that is possible only while it leaves at least ``P`` if A wins, i.e. ``P`` is at most the
equal hedge's profit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from oddscore.exceptions import AnalyticsError

__all__ = ["Hedge", "equal_hedge", "lock_profit_hedge"]


@dataclass(frozen=True, slots=True)
class Hedge:
    stake: float  # the hedge stake H on the other side
    profit_if_open_wins: float  # S (d1 - 1) - H
    profit_if_hedge_wins: float  # H (d2 - 1) - S

    @property
    def guaranteed(self) -> float:
        """The profit whatever happens: the worse of the two outcomes."""
        return min(self.profit_if_open_wins, self.profit_if_hedge_wins)


def _check(stake: float, open_decimal: float, hedge_decimal: float) -> None:
    if not (stake > 0 and math.isfinite(stake)):
        raise ValueError(f"the open bet's stake must be a positive amount, got {stake}")
    for name, d in (("open bet's", open_decimal), ("hedge", hedge_decimal)):
        if not (d > 1.0 and math.isfinite(d)):
            raise ValueError(f"the {name} decimal odds must be finite and > 1, got {d}")


def _hedge(stake: float, open_decimal: float, hedge_decimal: float, h: float) -> Hedge:
    return Hedge(h, stake * (open_decimal - 1.0) - h, h * (hedge_decimal - 1.0) - stake)


def equal_hedge(stake: float, open_decimal: float, hedge_decimal: float) -> Hedge:
    """The hedge with zero variance: the same profit (or loss) whichever side wins.

    >>> h = equal_hedge(100, 3.0, 2.0)  # +200 bet, the other side now at even money
    >>> round(h.stake, 2), round(h.profit_if_open_wins, 2), round(h.profit_if_hedge_wins, 2)
    (150.0, 50.0, 50.0)
    """
    _check(stake, open_decimal, hedge_decimal)
    return _hedge(stake, open_decimal, hedge_decimal, stake * open_decimal / hedge_decimal)


def lock_profit_hedge(
    stake: float, open_decimal: float, hedge_decimal: float, profit: float
) -> Hedge:
    """The smallest hedge that guarantees at least ``profit`` whatever happens.

    Raises :class:`~oddscore.exceptions.AnalyticsError` naming the most that can be locked
    when ``profit`` is more than that.
    """
    _check(stake, open_decimal, hedge_decimal)
    if not math.isfinite(profit):
        raise ValueError(f"the profit to lock must be a finite amount, got {profit}")
    most = equal_hedge(stake, open_decimal, hedge_decimal)
    if profit > most.guaranteed + 1e-9 * stake:
        raise AnalyticsError(
            f"cannot lock a profit of {profit:.2f}: at these prices at most "
            f"{most.guaranteed:.2f} can be locked (hedge {most.stake:.2f})"
        )
    h = max(0.0, (stake + profit) / (hedge_decimal - 1.0))
    return _hedge(stake, open_decimal, hedge_decimal, min(h, most.stake))

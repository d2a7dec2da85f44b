"""The realism defaults: each exchange's commission and how fresh an arbitrage's legs must be.

The settings (``BOOK_COMMISSION``, ``ARB_MAX_QUOTE_AGE_MINUTES``, ``ARB_MAX_LEG_GAP_MINUTES``)
start from them and :class:`oddscore.analytics.arbitrage.ArbitrageRules` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

__all__ = ["DEFAULT_COMMISSION", "DEFAULT_MAX_LEG_GAP", "DEFAULT_MAX_QUOTE_AGE"]

# Typical base commission on net winnings of the exchanges The Odds API lists (``betfair``
# is the pre-2023 key). Configurable per book (BOOK_COMMISSION); sportsbooks charge none.
DEFAULT_COMMISSION: Mapping[str, float] = MappingProxyType(
    {
        "betfair": 0.05,
        "betfair_ex_uk": 0.05,
        "betfair_ex_eu": 0.05,
        "betfair_ex_au": 0.05,
        "matchbook": 0.02,
        "smarkets": 0.02,
        "betdaq": 0.02,
    }
)
# The provider refreshes featured pre-match markets about every minute: a price unconfirmed
# for 15 minutes may be gone, and legs seen 5 minutes apart may never have coexisted.
DEFAULT_MAX_QUOTE_AGE = timedelta(minutes=15)
DEFAULT_MAX_LEG_GAP = timedelta(minutes=5)

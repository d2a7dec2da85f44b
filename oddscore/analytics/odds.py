"""Odds formats and the bookmaker's margin, under the name analytics has always documented.

The conversions live in :mod:`oddscore.prices.odds`, below the queries and the settings that
need them too; the analytics re-use them from there.
"""

from __future__ import annotations

from oddscore.prices.odds import *  # noqa: F403
from oddscore.prices.odds import __all__ as __all__

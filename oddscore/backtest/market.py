"""What a strategy may see, at the path strategy packages import it from.

The as-of view is plain data and lives in :mod:`oddscore.analytics.market`, below both the
backtest and the live screens, so that live and replay judge a board through the same view.
"""

from __future__ import annotations

from oddscore.analytics.market import EventView, MarketQuote, MarketView, complete_sets

__all__ = ["EventView", "MarketQuote", "MarketView", "complete_sets"]

"""The live screens over a slate: the board, the EV list, arbitrages, low hold and middles.

They read through :mod:`oddscore.queries` and judge through :mod:`oddscore.analytics` (the
same as-of :class:`~oddscore.analytics.market.MarketView` a backtest strategy sees), for the
``odds screen`` commands and ``odds serve`` alike.
"""

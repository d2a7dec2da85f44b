"""PNG charts (matplotlib, Agg backend, imported only when a chart is drawn).

* :func:`~oddscore.charts.equity.save_equity_comparison`: bankroll and drawdown of several
  backtests on one time axis (one backtest alone: ``oddscore.backtest.plot``).
* :func:`~oddscore.charts.clv.save_clv_distribution`: closing line value of every bet.
* :func:`~oddscore.charts.coverage.save_tier_coverage`: which fetch tiers hold a snapshot,
  per game day.

Line movement across books lives with its query (``oddscore.queries.plot``).
"""

from __future__ import annotations

__all__: list[str] = []

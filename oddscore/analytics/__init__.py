"""Betting analytics: pure odds math (conversions, de-vig, EV, Kelly, arbitrage, CLV).

Everything here is pure and synchronous: numbers in, numbers out, no database. The backtest
(:mod:`oddscore.backtest`) builds on it.
"""

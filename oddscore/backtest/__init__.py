"""Backtesting: replay stored odds through a strategy without look-ahead, then grade and score.

Modules: :mod:`grading` (win/loss/push from final scores), :mod:`metrics` (every summary
figure, each defined in its docstring), :mod:`results` (the JSON result), :mod:`data` (the
set-based loader), :mod:`engine` (the time-ordered replay), :mod:`strategies` (the strategy
base class, its registry and the built-ins).
"""

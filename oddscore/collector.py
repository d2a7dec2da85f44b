"""Pausing the cyclic garbage collector's full passes around bulk work.

Imports and backtests keep a large heap alive (the interpreter's modules, a season of quotes)
and build many small objects that form no reference cycles. Each full (oldest-generation)
pass walks the whole heap: during a season import six of them took 0.45 s of 3 s, and
during a backtest any pass costs: there even the young passes keep walking a season of
quotes still held in the newest generation.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["no_collections", "no_full_collections"]

_pausing = 0  # pauses running in this process (imports, backtests)
_full_threshold = 10


@contextmanager
def no_full_collections() -> Iterator[None]:
    """Pause the collector's full (oldest-generation) passes; young ones still run.

    The short-lived objects of the work die young, so the young passes still free what they
    can. Overlapping pauses (concurrent imports) share one; the last to finish restores the
    threshold.
    """
    global _pausing, _full_threshold
    if _pausing == 0:
        young, middle, _full_threshold = gc.get_threshold()
        gc.set_threshold(young, middle, 2**30)
    _pausing += 1
    try:
        yield
    finally:
        _pausing -= 1
        if _pausing == 0:
            young, middle, _ = gc.get_threshold()
            gc.set_threshold(young, middle, _full_threshold)


@contextmanager
def no_collections() -> Iterator[None]:
    """The collector off entirely, young passes too, for work on one process's own data
    (a backtest: 0.57 s -> 0.25 s for a flat season against 1.2 s with every pass on);
    restored as it was, so pauses nest."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

"""How long the safety net waits before restarting a chain whose runs keep dying.

A run that crashes at every start (a bad release, a database that refuses it) would
otherwise be restarted at once, forever. After ``after`` crashed or failed runs in a row the
restart waits ``base``, doubling with each further one, up to ``cap``; one completed run ends
the streak.

>>> from datetime import timedelta as td
>>> waits = [restart_backoff(n, after=3, base=td(seconds=60), cap=td(minutes=10))
...          for n in (2, 3, 4, 9)]
>>> [None if w is None else int(w.total_seconds()) for w in waits]
[None, 60, 120, 600]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

__all__ = ["IDLE_TAG", "consecutive_failures", "restart_backoff"]

# The tag of a safety-net run that did no work (it found the chain alive, or backed off).
IDLE_TAG = "safety-net-idle"

_DIED = frozenset({"CRASHED", "FAILED"})


def restart_backoff(
    failures: int, *, after: int, base: timedelta, cap: timedelta
) -> timedelta | None:
    """The wait before the next restart after ``failures`` dead runs in a row; None: now."""
    if failures < after:
        return None
    doublings = min(failures - after, 32)  # 2**32 minutes is past any cap
    wait: timedelta = base * (2**doublings)
    return wait if wait < cap else cap


def consecutive_failures(runs: Iterable[Mapping[str, Any]]) -> int:
    """Crashed or failed runs in a row, newest first, until a completed run that did work.

    ``runs`` are ended runs, newest first, each with ``state_type`` and ``tags``. A completed
    run tagged :data:`IDLE_TAG` is skipped, neither success nor failure: it only found the
    chain alive or backed off, which says nothing about whether the chain's work succeeds.

    >>> consecutive_failures([{"state_type": "CRASHED", "tags": []},
    ...                       {"state_type": "COMPLETED", "tags": [IDLE_TAG]},
    ...                       {"state_type": "FAILED", "tags": []},
    ...                       {"state_type": "COMPLETED", "tags": []},
    ...                       {"state_type": "CRASHED", "tags": []}])
    2
    """
    count = 0
    for run in runs:
        state = str(run.get("state_type", "")).upper()
        if state in _DIED:
            count += 1
        elif state == "COMPLETED" and IDLE_TAG not in (run.get("tags") or ()):
            break
    return count

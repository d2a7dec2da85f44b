"""Self-rescheduling without forks: one idempotency key per deployment and minute slot.

Prefect keeps idempotency keys per *flow* and forever, so the key names the deployment and
the slot; and a run is only added when no equal-or-earlier run is already waiting, so a
manual run in the middle of a chain never starts a second chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from oddscore.clock import as_utc
from oddscore.scheduling.planner import ceil_minute

__all__ = ["already_covered", "slot_key"]


def slot_key(deployment: str, at: datetime) -> str:
    """``"fetch-odds/fetch-odds-local:2026-11-29T18:05Z"``: the idempotency key of a slot.

    >>> from datetime import UTC
    >>> slot_key("fetch-odds/local", datetime(2026, 11, 29, 18, 4, 30, tzinfo=UTC))
    'fetch-odds/local:2026-11-29T18:05Z'
    """
    return f"{deployment}:{ceil_minute(as_utc(at)).strftime('%Y-%m-%dT%H:%MZ')}"


def already_covered(at: datetime, pending: Iterable[datetime]) -> bool:
    """Whether a run already scheduled at or before ``at`` makes a new one unnecessary.

    That earlier run re-plans when it finishes, so it will schedule ``at`` (or better) itself.
    """
    target = ceil_minute(as_utc(at))
    return any(as_utc(when) <= target for when in pending)

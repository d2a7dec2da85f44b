"""The account side of the simulated API: usage credits and the frequency limit."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from oddscore.exceptions import ConfigurationError

__all__ = ["DEFAULT_QUOTA", "FrequencyLimiter", "QuotaLedger"]

DEFAULT_QUOTA = 20_000  # the provider's smallest paid plan


class QuotaLedger:
    """Credits used and left, reported in the ``x-requests-*`` headers of every answer."""

    def __init__(self, quota: int = DEFAULT_QUOTA) -> None:
        if quota < 0:
            raise ConfigurationError("the simulator quota must be >= 0")
        self.quota = quota
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.used)

    def can_afford(self, cost: int) -> bool:
        return cost <= self.remaining

    def charge(self, cost: int) -> None:
        self.used += cost

    def headers(self, last: int) -> dict[str, str]:
        return {
            "x-requests-remaining": str(self.remaining),
            "x-requests-used": str(self.used),
            "x-requests-last": str(last),
        }


class FrequencyLimiter:
    """At most ``limit`` accepted requests in any sliding second (real time, not the clock).

    The demo moves a frozen clock through virtual time, but the limit protects the process
    in real time, as the provider's does.
    """

    def __init__(self, limit: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._monotonic = monotonic
        self._recent: deque[float] = deque()

    def allow(self) -> bool:
        now = self._monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            return False
        self._recent.append(now)
        return True

"""A client-side token bucket: one per client, shared by all its concurrent calls.

The provider refuses more than 30 requests per second (429 ``EXCEEDED_FREQ_LIMIT``); a
per-event fan-out would hit that easily. Time and sleep are injectable so tests run in
virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["PROVIDER_MAX_REQUESTS_PER_SECOND", "RateLimiter"]

PROVIDER_MAX_REQUESTS_PER_SECOND = 30.0


class RateLimiter:
    """Allow at most ``rate`` acquisitions per second, with bursts of up to ``burst``.

    ``burst`` defaults to 1, which spaces requests evenly and so never exceeds ``rate`` in
    any window; the provider's limit is per second, so a larger burst must stay under it.

    Example::

        limiter = RateLimiter(10)
        await limiter.acquire()  # waits as long as needed, then returns the time waited
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not 0 < rate <= PROVIDER_MAX_REQUESTS_PER_SECOND:
            raise ValueError(
                f"rate must be in (0, {PROVIDER_MAX_REQUESTS_PER_SECOND:g}] requests/s, got {rate}"
            )
        if not 1 <= burst <= max(1.0, rate):
            raise ValueError(f"burst must be between 1 and the rate, got {burst}")
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> float:
        """Take one token, waiting for it if needed; returns the seconds spent waiting."""
        waited = 0.0
        # The lock makes waiters queue in arrival order instead of racing for each token.
        async with self._lock:
            self._refill()
            if self._tokens < 1.0:
                delay = (1.0 - self._tokens) / self.rate
                await self._sleep(delay)
                waited = delay
                self._refill()
                # The sleep covered the deficit; re-checking would spin on float rounding.
                self._tokens = max(self._tokens, 1.0)
            self._tokens -= 1.0
        return waited

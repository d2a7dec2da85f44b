"""The retry policy of the client: bounded, with backoff and jitter, transient errors only.

Only :data:`oddscore.exceptions.TRANSIENT_ERRORS` are retried; a 401/404/422 would fail the
same way again (and a quota error would burn nothing but time). A 429's ``Retry-After`` is
honoured up to a cap. ``reraise=True`` hands the caller our own exception, never tenacity's
``RetryError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from oddscore.exceptions import TRANSIENT_ERRORS, RateLimitError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times, and how long between, to retry a transient failure.

    ``max_retries`` counts retries, so a request is attempted at most ``max_retries + 1``
    times. ``sleep`` is injectable so that tests do not wait.

    Example::

        RetryPolicy(max_retries=2, backoff_initial=0.1).retrying()
    """

    max_retries: int = 4
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    jitter: float = 0.5
    retry_after_cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def wait_seconds(self, state: RetryCallState) -> float:
        """Seconds before the next attempt: the capped ``Retry-After`` of a 429, else backoff."""
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return min(error.retry_after, self.retry_after_cap)
        backoff = wait_exponential_jitter(
            initial=self.backoff_initial, max=self.backoff_max, jitter=self.jitter
        )
        return float(backoff(state))

    def retrying(
        self, before_sleep: Callable[[RetryCallState], None] | None = None
    ) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self.wait_seconds,
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

"""What every provider call returns: the parsed data plus its fetch record.

The fetch record (quota headers, request id, endpoint, parameters without the key, times) is
what ingestion stores next to the raw JSON, so that every stored snapshot can say what it
cost and when it was fetched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

__all__ = ["ApiResponse", "Quota", "RawAnswer", "parse_header_int"]

T = TypeVar("T")

REMAINING_HEADER = "x-requests-remaining"
USED_HEADER = "x-requests-used"
LAST_HEADER = "x-requests-last"


def parse_header_int(value: str | None) -> int | None:
    """Read a quota header leniently: ``"12"``, ``" 12.0 "`` -> 12; absent or junk -> None.

    >>> parse_header_int("12.0"), parse_header_int(None), parse_header_int("n/a")
    (12, None, None)
    """
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(round(number))


@dataclass(frozen=True, slots=True)
class Quota:
    """The credit headers of one response; ``None`` where the provider sent none.

    ``used`` is cumulative since the last reset and ``last`` is the cost of this call.

    >>> Quota.from_headers({"x-requests-remaining": "474", "x-requests-last": "1.0"})
    Quota(remaining=474, used=None, last=1)
    """

    remaining: int | None = None
    used: int | None = None
    last: int | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Quota:
        # httpx.Headers is case-insensitive; a plain dict (tests, replays) may not be.
        lowered = {key.lower(): value for key, value in headers.items()}
        return cls(
            remaining=parse_header_int(lowered.get(REMAINING_HEADER)),
            used=parse_header_int(lowered.get(USED_HEADER)),
            last=parse_header_int(lowered.get(LAST_HEADER)),
        )

    @property
    def total(self) -> int | None:
        """The plan size implied by the headers (used + remaining), when both are known."""
        if self.remaining is None or self.used is None:
            return None
        return self.remaining + self.used


@dataclass(frozen=True, slots=True)
class ApiResponse(Generic[T]):
    """One successful provider call: typed ``data``, the ``raw`` JSON and the fetch record.

    ``endpoint`` is the path only and ``params`` never hold the key, so the whole object is
    safe to log and to store.
    """

    data: T
    raw: Any
    quota: Quota
    request_id: str
    endpoint: str
    params: dict[str, str]
    status_code: int
    fetched_at: datetime
    elapsed_ms: float
    attempts: int = 1

    @property
    def cost(self) -> int | None:
        """Credits this call spent, as the provider reported it (``x-requests-last``)."""
        return self.quota.last


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """A successful HTTP exchange before its body is checked against the schema: what a paid
    call must write down first (the provider has billed it by now).

    ``payload`` is the decoded JSON; ``params`` never hold the key. ``credits_before`` is what
    earlier attempts of the same call were billed although their body could not be read (a
    200 cut short); :attr:`credits` adds it to this answer's cost.
    """

    endpoint: str
    params: dict[str, str]
    payload: Any
    quota: Quota
    request_id: str
    status_code: int
    fetched_at: datetime
    elapsed_ms: float
    attempts: int = 1
    credits_before: int = 0

    @property
    def credits(self) -> int | None:
        """Credits the whole call cost: this answer (``x-requests-last``) and earlier attempts."""
        if self.quota.last is None:
            return self.credits_before or None
        return self.quota.last + self.credits_before

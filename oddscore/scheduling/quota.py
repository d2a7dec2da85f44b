"""Quota pacing: project the month's burn rate against the credits left and stretch if short.

The provider resets credits on the 1st of each month (UTC). Closing captures come first:
credits for one per distinct tip time until the reset are set aside. If the rate spent so far
this month, continued until the reset, would need more than the rest, collection intervals
are stretched by the shortfall ratio; past ``max_stretch`` only closing captures are kept, and
below the price of one call nothing paid is fetched until the reset.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from oddscore.clock import as_utc
from oddscore.scheduling.policy import SchedulePolicy

__all__ = [
    "QuotaMode",
    "QuotaPlan",
    "QuotaState",
    "closing_reserve",
    "month_start",
    "next_reset",
    "plan_quota",
]


class QuotaMode(StrEnum):
    NORMAL = "normal"
    STRETCHED = "stretched"
    CLOSING_ONLY = "closing_only"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class QuotaState:
    """The credit headers last seen: ``used`` since the reset and ``remaining`` until it."""

    remaining: int | None = None
    used: int | None = None


@dataclass(frozen=True, slots=True)
class QuotaPlan:
    mode: QuotaMode
    stretch: float
    projected_need: float | None  # credits the current burn rate needs until the reset
    reset_at: datetime


def month_start(at: datetime) -> datetime:
    at = as_utc(at)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_reset(at: datetime) -> datetime:
    start = month_start(at)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def closing_reserve(tips: Iterable[datetime], now: datetime, policy: SchedulePolicy) -> int:
    """Credits to keep for one closing capture per distinct tip time until the reset.

    Only the lookahead's games are known; their rate of distinct tips is extrapolated.
    """
    reset = next_reset(now)
    horizon = now + policy.lookahead
    known = {t for t in tips if now < t <= min(horizon, reset)}
    if reset <= horizon:
        return len(known) * policy.odds_fetch_cost
    return math.ceil(len(known) * ((reset - now) / policy.lookahead)) * policy.odds_fetch_cost


def plan_quota(
    quota: QuotaState, now: datetime, policy: SchedulePolicy, *, reserve: int = 0
) -> QuotaPlan:
    """How hard to pace collection, from the headers and the time left in the month.

    >>> from oddscore.scheduling.policy import SchedulePolicy
    >>> now = datetime(2026, 11, 16, tzinfo=UTC)  # half the month gone
    >>> plan_quota(QuotaState(remaining=1000, used=1000), now, SchedulePolicy()).mode.value
    'normal'
    >>> plan_quota(QuotaState(remaining=500, used=1000), now, SchedulePolicy()).stretch
    2.0
    """
    reset = next_reset(now)
    if quota.remaining is None:
        return QuotaPlan(QuotaMode.NORMAL, 1.0, None, reset)
    if quota.remaining < policy.odds_fetch_cost:
        return QuotaPlan(QuotaMode.PAUSED, policy.max_stretch, None, reset)
    if quota.used is None:
        return QuotaPlan(QuotaMode.NORMAL, 1.0, None, reset)
    # What may go to anything but closing captures, which come first.
    available = quota.remaining - reserve
    elapsed = max(now - month_start(now), policy.min_burn_window)
    left = max(reset - now, timedelta(0))
    need = quota.used * (left / elapsed)
    if need <= available:
        return QuotaPlan(QuotaMode.NORMAL, 1.0, need, reset)
    stretch = need / available if available > 0 else math.inf
    if stretch > policy.max_stretch:
        return QuotaPlan(QuotaMode.CLOSING_ONLY, policy.max_stretch, need, reset)
    return QuotaPlan(QuotaMode.STRETCHED, round(stretch, 3), need, reset)

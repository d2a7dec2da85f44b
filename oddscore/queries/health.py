"""Health reads for the status dashboard: per-flow fetch activity, validation warning rate,
and the month-end credit projection.

"Flow" is the ``flow_name`` a fetch was logged under; fetches logged without one (a manual
``odds fetch``, the scores ingestion) are grouped by what they called (``odds``, ``scores``,
``events``, ``historical odds`` ...), so every request shows up somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from oddscore.clock import as_utc
from oddscore.queries.plain import fetch, utc
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.quota import QuotaState, month_start, next_reset, plan_quota

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "FlowActivity",
    "QuotaProjection",
    "ValidationRate",
    "flow_activity",
    "project_quota",
    "validation_rate",
]

WARNING_OR_WORSE = ("warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class FlowActivity:
    flow: str
    last_success: datetime | None
    last_failure: datetime | None
    requests: int  # in the window
    succeeded: int
    credits: int  # in the window

    @property
    def success_rate(self) -> float | None:
        return None if self.requests == 0 else self.succeeded / self.requests


@dataclass(frozen=True, slots=True)
class ValidationRate:
    since: datetime
    snapshots: int  # stored with a snapshot time in the window
    flagged: int  # of those, with at least one warning-or-worse finding
    findings: dict[str, int]  # severity -> findings in the window

    @property
    def warning_rate(self) -> float | None:
        return None if self.snapshots == 0 else self.flagged / self.snapshots


@dataclass(frozen=True, slots=True)
class QuotaProjection:
    plan: int  # the plan's monthly credits (ODDS_API_QUOTA)
    used: int | None  # this month, by the provider's counter (else our own log)
    remaining: int | None
    projected_month_end: int | None  # used + the month's burn rate until the reset
    reset_at: datetime
    pacing: str  # what the scheduling intelligence does about it: normal, stretched ...

    @property
    def projected_share(self) -> float | None:
        if self.projected_month_end is None or not self.plan:
            return None
        return self.projected_month_end / self.plan


# The flow a fetch counts under: its flow_name, else what it called.
_FLOW_KEY = (
    "coalesce(flow_name, CASE"
    " WHEN endpoint LIKE '%historical%/odds' THEN 'historical odds'"
    " WHEN endpoint LIKE '%historical%/events' THEN 'historical events'"
    " WHEN endpoint LIKE '%/scores' THEN 'scores'"
    " WHEN endpoint LIKE '%/events' THEN 'events'"
    " WHEN endpoint LIKE '%/odds' THEN 'odds'"
    " ELSE 'other' END)"
)


async def flow_activity(session: AsyncSession, since: datetime) -> list[FlowActivity]:
    """Per flow: its last success and failure ever, and requests and credits since ``since``."""
    recent = "fetch_time >= :since"
    rows = await fetch(
        session,
        f"SELECT {_FLOW_KEY}, "
        "max(CASE WHEN success THEN fetch_time END), "
        "max(CASE WHEN NOT success THEN fetch_time END), "
        f"coalesce(sum(CASE WHEN {recent} THEN 1 ELSE 0 END), 0), "
        f"coalesce(sum(CASE WHEN {recent} AND success THEN 1 ELSE 0 END), 0), "
        f"coalesce(sum(CASE WHEN {recent} THEN api_quota_last ELSE 0 END), 0) "
        f"FROM fetch_logs GROUP BY {_FLOW_KEY} ORDER BY {_FLOW_KEY}",
        {"since": as_utc(since)},
    )
    return [
        FlowActivity(
            str(flow),
            utc(ok),
            utc(bad),
            int(requests),
            int(succeeded),
            int(credits),
        )
        for flow, ok, bad, requests, succeeded, credits in rows
    ]


async def validation_rate(session: AsyncSession, since: datetime) -> ValidationRate:
    """Share of snapshots since ``since`` with at least one warning-or-worse finding."""
    since = as_utc(since)
    params = {"since": since, "severities": WARNING_OR_WORSE}
    [(snapshots,)] = await fetch(
        session, "SELECT count(id) FROM odds_snapshots WHERE snapshot_time >= :since", params
    )
    [(flagged,)] = await fetch(
        session,
        "SELECT count(id) FROM odds_snapshots WHERE snapshot_time >= :since "
        "AND (event_id, snapshot_time) IN (SELECT DISTINCT event_id, snapshot_time "
        "FROM data_quality_logs WHERE snapshot_time >= :since AND severity IN :severities)",
        params,
    )
    findings = await fetch(
        session,
        "SELECT severity, count(id) FROM data_quality_logs WHERE snapshot_time >= :since "
        "GROUP BY severity",
        params,
    )
    return ValidationRate(
        since, int(snapshots), int(flagged), {str(s): int(n) for s, n in findings}
    )


def project_quota(
    *,
    plan: int,
    remaining: int | None,
    used: int | None,
    logged_this_month: int,
    reported_at: datetime | None,
    now: datetime,
    policy: SchedulePolicy | None = None,
) -> QuotaProjection:
    """Month-end use at this month's burn rate, the way the scheduling intelligence paces.

    The provider's own counters count only if they were reported this month (they reset on
    the 1st); otherwise the credits logged this month stand in for ``used``.
    """
    now = as_utc(now)
    policy = policy or SchedulePolicy()
    current = reported_at is not None and as_utc(reported_at) >= month_start(now)
    if not current:
        used = logged_this_month
        remaining = None if remaining is None else max(plan - logged_this_month, 0)
    pacing = plan_quota(QuotaState(remaining=remaining, used=used), now, policy)
    projected = None
    if used is not None:
        projected = int(round(used + (pacing.projected_need or 0.0)))
    return QuotaProjection(
        plan=plan,
        used=used,
        remaining=remaining,
        projected_month_end=projected,
        reset_at=next_reset(now),
        pacing=pacing.mode.value,
    )

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

from sqlalchemy import ColumnElement, case, func, select, tuple_

from oddscore.clock import as_utc
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.quota import QuotaState, month_start, next_reset, plan_quota
from oddscore.storage.tables import FETCH_LOGS, QUALITY_LOGS, SNAPSHOTS
from oddscore.storage.types import UTCDateTime

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

FL = FETCH_LOGS.c
QL = QUALITY_LOGS.c
SN = SNAPSHOTS.c
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


def _flow_key() -> ColumnElement[str]:
    endpoint = FL.endpoint
    return func.coalesce(
        FL.flow_name,
        case(
            (endpoint.like("%historical%/odds"), "historical odds"),
            (endpoint.like("%historical%/events"), "historical events"),
            (endpoint.like("%/scores"), "scores"),
            (endpoint.like("%/events"), "events"),
            (endpoint.like("%/odds"), "odds"),
            else_="other",
        ),
    )


async def flow_activity(session: AsyncSession, since: datetime) -> list[FlowActivity]:
    """Per flow: its last success and failure ever, and requests and credits since ``since``."""
    since = as_utc(since)
    key = _flow_key()
    recent = FL.fetch_time >= since
    statement = (
        select(
            key,
            func.max(case((FL.success.is_(True), FL.fetch_time)), type_=UTCDateTime),
            func.max(case((FL.success.is_(False), FL.fetch_time)), type_=UTCDateTime),
            func.coalesce(func.sum(case((recent, 1), else_=0)), 0),
            func.coalesce(func.sum(case((recent & FL.success.is_(True), 1), else_=0)), 0),
            func.coalesce(func.sum(case((recent, FL.api_quota_last), else_=0)), 0),
        )
        .group_by(key)
        .order_by(key)
    )
    rows = (await session.execute(statement)).tuples()
    return [
        FlowActivity(
            str(flow),
            ok,
            bad,
            int(requests),
            int(succeeded),
            int(credits),
        )
        for flow, ok, bad, requests, succeeded, credits in rows
    ]


async def validation_rate(session: AsyncSession, since: datetime) -> ValidationRate:
    """Share of snapshots since ``since`` with at least one warning-or-worse finding."""
    since = as_utc(since)
    snapshots = (
        await session.execute(select(func.count(SN.id)).where(SN.snapshot_time >= since))
    ).scalar_one()
    flagged_keys = (
        select(QL.event_id, QL.snapshot_time)
        .where(QL.snapshot_time >= since, QL.severity.in_(WARNING_OR_WORSE))
        .distinct()
        .subquery()
    )
    flagged = (
        await session.execute(
            select(func.count(SN.id)).where(
                SN.snapshot_time >= since,
                tuple_(SN.event_id, SN.snapshot_time).in_(
                    select(flagged_keys.c.event_id, flagged_keys.c.snapshot_time)
                ),
            )
        )
    ).scalar_one()
    findings = {
        str(severity): int(count)
        for severity, count in (
            await session.execute(
                select(QL.severity, func.count(QL.id))
                .where(QL.snapshot_time >= since)
                .group_by(QL.severity)
            )
        ).tuples()
    }
    return ValidationRate(since, int(snapshots), int(flagged), findings)


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

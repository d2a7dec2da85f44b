"""The status page as data: one call gathers what ``odds status show`` prints.

The Demo/UX work extends the page; add fields here so JSON and table stay in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oddscore.clock import as_utc
from oddscore.queries.health import (
    FlowActivity,
    QuotaProjection,
    ValidationRate,
    flow_activity,
    project_quota,
    validation_rate,
)
from oddscore.queries.status import (
    BookActivity,
    FetchHealth,
    QualitySummary,
    QuotaStatus,
    TierActivity,
    book_activity,
    database_size,
    default_window,
    fetch_health,
    quality_summary,
    quota_status,
    row_counts,
    tier_activity,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["StatusOverview", "overview_payload", "status_overview"]


@dataclass(frozen=True, slots=True)
class StatusOverview:
    now: datetime
    database: str
    size_bytes: int | None
    rows: dict[str, int]
    quota: QuotaStatus
    fetches: FetchHealth
    quality: QualitySummary
    books: list[BookActivity] = field(default_factory=list)
    tiers: list[TierActivity] = field(default_factory=list)
    # Health (Demo/UX): per-flow activity, warning rate, month-end credit projection.
    flows: list[FlowActivity] = field(default_factory=list)
    validation: ValidationRate | None = None
    projection: QuotaProjection | None = None


async def status_overview(
    session: AsyncSession,
    now: datetime,
    *,
    database: str,
    verbose: bool = False,
    plan_quota: int | None = None,
) -> StatusOverview:
    """The whole page; ``plan_quota`` (ODDS_API_QUOTA) adds the month-end projection."""
    now = as_utc(now)
    quota = await quota_status(session, now)
    projection = None
    if plan_quota is not None:
        projection = project_quota(
            plan=plan_quota,
            remaining=quota.remaining,
            used=quota.used,
            logged_this_month=quota.credits_this_month,
            reported_at=quota.reported_at,
            now=now,
        )
    return StatusOverview(
        now=now,
        database=database,
        size_bytes=await database_size(session),
        rows=await row_counts(session),
        quota=quota,
        fetches=await fetch_health(session, default_window(now)),
        quality=await quality_summary(session),
        books=await book_activity(session) if verbose else [],
        tiers=await tier_activity(session) if verbose else [],
        flows=await flow_activity(session, default_window(now)),
        validation=await validation_rate(session, default_window(now)),
        projection=projection,
    )


async def chains_today(session: AsyncSession, now: datetime) -> Any:
    """Each self-scheduled chain from the Prefect server of ``PREFECT_API_URL`` (a
    ``ChainsReport``; unreachable is an answer, not an error), with the credits its flow paid
    since midnight UTC."""
    import os

    from oddscore.orchestration.chains import chain_health

    report = await chain_health(
        os.environ.get("PREFECT_API_URL"), api_key=os.environ.get("PREFECT_API_KEY")
    )
    if not report.reachable or not report.chains:
        return report
    # Only now: the paid-call ledger's query needs the SQLModel tables.
    from oddscore.queries.credits import credits_by_flow

    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return report.with_credits(await credits_by_flow(session, midnight, now))


async def health_page(
    session: AsyncSession,
    now: datetime,
    *,
    database: str,
    verbose: bool = False,
    plan_quota: int | None = None,
) -> tuple[StatusOverview, Any, Any]:
    """What ``odds status show`` and the screen's health page show, read in one session: the
    overview, Prefect's next runs (``NextRuns``) and the chains' health (``ChainsReport``).
    Prefect answers within its short timeouts or is reported unreachable: never an error."""
    from oddscore.orchestration.next_runs import next_runs_from_environment

    overview = await status_overview(
        session, now, database=database, verbose=verbose, plan_quota=plan_quota
    )
    chains = await chains_today(session, now)
    return overview, await next_runs_from_environment(), chains


def overview_payload(
    overview: StatusOverview, next_runs: Any, *, verbose: bool, chains: Any
) -> dict[str, Any]:
    """What ``odds status show --json`` prints (and the web screen's ``/api/health``): the
    overview with its derived rates, Prefect's next runs (``NextRuns``) and the chains'
    health (``ChainsReport``)."""
    from dataclasses import asdict

    data = asdict(overview)
    data["fetches"]["success_rate"] = overview.fetches.success_rate
    data["quality"]["invalid_rate"] = overview.quality.invalid_rate
    if not verbose:
        data.pop("books")
        data.pop("tiers")
    for flow, item in zip(data["flows"], overview.flows, strict=True):
        flow["success_rate"] = item.success_rate
    if overview.validation is not None:
        data["validation"]["warning_rate"] = overview.validation.warning_rate
    if overview.projection is not None:
        data["projection"]["projected_share"] = overview.projection.projected_share
    data["next_runs"] = asdict(next_runs)
    data["chains"] = {
        **asdict(chains),
        "chains": [{**asdict(c), "stale": c.stale, "status": c.status} for c in chains.chains],
    }
    return data

"""Credits paid against credits stored, from the paid-call ledger (``paid_calls``).

Every live paid call has one ledger row carrying the credits of its answer, written before
the answer is stored. A difference to look at: a row paid but never stored (the store failed
and no run has stored it yet, or the answer was unusable), credits billed for answers that
could not be read (a body cut short, then retried; a call whose process died in the request,
settled from the provider's counter as ``lost``), or a claim with no recorded answer yet.

The provider's cumulative ``x-requests-used`` on each answer also tells what the key was
billed between two answers; what the ledger cannot account for there (calls of another
product with the same key, a timed-out attempt, a loss not settled yet) is reported as
unexplained usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, case, func, select

from oddscore.clock import as_utc
from oddscore.queries._sql import FETCH_LOGS
from oddscore.storage.models import PaidCall

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["CreditsReport", "UnsettledCall", "credits_by_flow", "credits_report"]

PAID_CALLS = cast(Table, PaidCall.__table__)  # type: ignore[attr-defined]
PC = PAID_CALLS.c
FL = FETCH_LOGS.c

_UNSETTLED = ("paid", "unusable", "claimed")


@dataclass(frozen=True, slots=True)
class UnsettledCall:
    """One ledger row whose credits are not matched by stored data."""

    slot: datetime
    endpoint: str
    flow_name: str | None
    status: str
    credits: int | None
    credits_unread: int
    fetched_at: datetime | None
    error: str | None

    @property
    def why(self) -> str:
        if self.status == "lost":
            return (
                f"{self.credits_unread} credit(s) billed, answer lost (its process died in "
                "the request); the slot may be paid again"
            )
        if self.status in ("stored", "failed"):
            return (
                f"{self.credits_unread} credit(s) billed for answers that could not be read "
                "(a body cut short, or lost with its process)"
            )
        if self.status == "paid":
            return "paid, not stored yet (the next run stores it without paying)"
        if self.status == "unusable":
            return "paid, the answer could not be read"
        return "claimed, no answer recorded (in flight, or the run died in the request)"


@dataclass(slots=True)
class CreditsReport:
    since: datetime
    until: datetime
    calls_paid: int = 0  # calls whose answers cost credits
    credits_paid: int = 0
    credits_stored: int = 0
    # What fetch_logs (the quota projection's source) recorded for the stored calls.
    credits_logged: int = 0
    calls_failed: int = 0  # requests that failed (billed only when a body was cut short)
    unsettled: list[UnsettledCall] = field(default_factory=list)
    # Billed to the key between two answers (x-requests-used) and not in the ledger.
    credits_unexplained: int = 0

    @property
    def difference(self) -> int:
        return self.credits_paid - self.credits_stored

    @property
    def ok(self) -> bool:
        """Every credit paid is matched by stored data, in the ledger and in fetch_logs."""
        return (
            not self.difference
            and not self.unsettled
            and not self.credits_unexplained
            and self.credits_logged == self.credits_stored
        )


async def credits_report(session: AsyncSession, since: datetime, until: datetime) -> CreditsReport:
    """The ledger's rows created in ``[since, until)``: paid, stored, and what differs."""
    since, until = as_utc(since), as_utc(until)
    report = CreditsReport(since=since, until=until)
    window = (PC.created_at >= since, PC.created_at < until)
    totals = (
        await session.execute(
            select(
                PC.status,
                func.count(),
                func.coalesce(func.sum(PC.credits), 0),
                func.coalesce(func.sum(case((PC.credits > 0, 1), else_=0)), 0),
                func.coalesce(func.sum(PC.credits_unread), 0),
            )
            .where(*window)
            .group_by(PC.status)
        )
    ).all()
    for status, count, credits, billed, unread in totals:
        report.credits_paid += int(credits)
        report.calls_paid += int(billed)
        if status == "failed":
            report.calls_failed = int(count)
        if status == "stored":
            report.credits_stored = int(credits) - int(unread)
    report.credits_logged = int(
        (
            await session.execute(
                select(func.coalesce(func.sum(FL.api_quota_last), 0))
                .select_from(FETCH_LOGS.join(PAID_CALLS, FL.request_id == PC.request_id))
                .where(*window, PC.status == "stored")
            )
        ).scalar_one()
    )
    rows = await session.execute(
        select(
            PC.slot,
            PC.endpoint,
            PC.flow_name,
            PC.status,
            PC.credits,
            PC.credits_unread,
            PC.fetched_at,
            PC.error,
        )
        .where(
            *window,
            PC.status.in_(_UNSETTLED) | (PC.credits_unread > 0),
        )
        .order_by(PC.slot)
    )
    report.unsettled = [UnsettledCall(**row._mapping) for row in rows.all()]
    report.credits_unexplained = await _unexplained(session, window)
    return report


async def _unexplained(session: AsyncSession, window: tuple[Any, ...]) -> int:
    """Credits the provider's counter rose by between consecutive answers, beyond the answers'
    own cost, less what the ledger recorded as billed without an answer in that time.

    Answers are ordered by the counter, so concurrent calls fall in place; a counter that
    goes down (a new month) starts afresh.
    """
    answers = (
        await session.execute(
            select(PC.quota_used, PC.credits, PC.credits_unread)
            .where(*window, PC.quota_used.is_not(None))
            .order_by(PC.quota_used)
        )
    ).all()
    gaps, previous = 0, None
    for used, credits, unread in answers:
        own = int(credits or 0) - int(unread or 0)  # this answer's x-requests-last
        if previous is not None and used - own >= previous:
            gaps += used - own - previous
        previous = used
    accounted = (
        await session.execute(select(func.coalesce(func.sum(PC.credits_unread), 0)).where(*window))
    ).scalar_one()
    return max(0, gaps - int(accounted))


async def credits_by_flow(
    session: AsyncSession, since: datetime, until: datetime
) -> dict[str, int]:
    """Credits of the ledger's rows created in ``[since, until)``, by the flow that paid."""
    rows = await session.execute(
        select(PC.flow_name, func.coalesce(func.sum(PC.credits), 0))
        .where(PC.created_at >= as_utc(since), PC.created_at < as_utc(until))
        .group_by(PC.flow_name)
    )
    return {str(flow or "?"): int(credits) for flow, credits in rows.all()}

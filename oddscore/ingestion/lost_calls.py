"""Paid calls whose answer was lost, settled from the provider's credit counter.

A process killed while its paid request is in flight leaves a ledger row ``claimed`` with no
answer: the provider billed it (it bills on receipt) or not (the process died first), and no
client can know which from its own side. The provider's ``x-requests-used`` can: it counts
every credit billed to the key. Once the claiming process is gone (same host and its pid has
died, or the claim is older than the longest a request can take), a free call reads the
counter, and what it rose by since the last answer the ledger saw before the claim, less what
the ledger recorded since, is what was billed without an answer in the ledger.

That gap is attributed only where it can be attributed honestly:

* only to dead claims, each up to the most its request can cost (``estimate_cost``);
* not at all while another claim is live (its answer may still come and account for part of
  the gap), nor across a reset of the counter (a new month), nor without a reading of the
  counter before the claim (the claim is then taken over once stale, as before);
* the rest is left alone: ``odds credits`` reports it as usage the ledger cannot explain
  (the header counts the whole key, so calls made outside this product show there).

A settled row becomes ``lost``: its credits (paid for an answer nobody read) count as
``credits_unread``, and the slot may be claimed again at once, so the rerun pays once more,
for the answer it never got (the provider has no idempotency).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import func, select, update
from sqlmodel import col

from oddscore.clock import Clock
from oddscore.logs import get_logger
from oddscore.provider.client import OddsApiClient
from oddscore.provider.costs import estimate_cost
from oddscore.storage.engine import Database
from oddscore.storage.models import PaidCall

__all__ = ["LostCall", "Settlement", "claim_is_dead", "process_identity", "settle_lost_calls"]

log = get_logger(__name__)

CLAIMED, LOST = "claimed", "lost"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), which tells a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # the command name (field 2) may hold spaces: count the fields after its ")"
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@cache
def process_identity() -> str:
    """This process, as ``host:pid:start`` (start empty where /proc is missing)."""
    pid = os.getpid()
    return f"{socket.gethostname()[:80]}:{pid}:{_start_ticks(pid) or ''}"


def _process_gone(identity: str) -> bool:
    """True only when ``identity`` names a process of this host that no longer runs."""
    parts = identity.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid_text, start = parts
    if host != socket.gethostname()[:80]:
        return False  # another host: only the claim's age can tell
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    return bool(start) and _start_ticks(pid) not in (None, start)


def claim_is_dead(row: PaidCall, now: datetime, stale_after: timedelta) -> bool:
    """A claim nobody will answer: its process is gone, or it is older than any request."""
    if row.claimed_at <= now - stale_after:
        return True
    return row.claimed_by is not None and _process_gone(row.claimed_by)


@dataclass(frozen=True, slots=True)
class LostCall:
    request_key: str
    endpoint: str
    credits: int


@dataclass(slots=True)
class Settlement:
    """What :func:`settle_lost_calls` found and did."""

    settled: list[LostCall] = field(default_factory=list)
    counter: int | None = None  # the provider's x-requests-used, read after the deaths
    gap: int = 0  # billed to the key since the reference answer, not in the ledger
    note: str = ""

    @property
    def unexplained(self) -> int:
        return self.gap - sum(call.credits for call in self.settled)


async def _claims(db: Database) -> list[PaidCall]:
    async with db.session() as session:
        rows = await session.execute(
            select(PaidCall)
            .where(col(PaidCall.status) == CLAIMED)
            .order_by(col(PaidCall.claimed_at))
        )
        return list(rows.scalars())


async def _gap(db: Database, counter: int, since: datetime) -> tuple[int, str]:
    """Credits billed to the key after the last counter reading before ``since`` (an answer,
    or the counter a claim noted) and not recorded in the ledger: ``counter`` less that
    reading less the ledger's credits recorded after it (answers, and calls settled as lost)."""
    # An answer's counter is read at its fetch; a claim's (the counter before it) at the claim.
    seen = func.coalesce(col(PaidCall.fetched_at), col(PaidCall.claimed_at))
    async with db.session() as session:
        reference = (
            await session.execute(
                select(col(PaidCall.quota_used), seen)
                .where(
                    col(PaidCall.quota_used).is_not(None),
                    seen <= since,
                )
                .order_by(seen.desc(), col(PaidCall.quota_used).desc())
                .limit(1)
            )
        ).first()
        if reference is None:
            return 0, "no answer before the claim to count from: nothing attributed"
        used, at = int(reference[0] or 0), reference[1]
        if counter < used:
            return 0, "the provider's counter was reset since: nothing attributed"
        answered = (
            await session.execute(
                select(func.coalesce(func.sum(col(PaidCall.credits)), 0)).where(
                    col(PaidCall.quota_used) > used
                )
            )
        ).scalar_one()
        settled = (
            await session.execute(
                select(func.coalesce(func.sum(col(PaidCall.credits)), 0)).where(
                    col(PaidCall.status) == LOST, col(PaidCall.claimed_at) > at
                )
            )
        ).scalar_one()
    return max(0, counter - used - int(answered or 0) - int(settled or 0)), ""


async def settle_lost_calls(
    db: Database, client: OddsApiClient, *, clock: Clock, stale_after: timedelta
) -> Settlement:
    """Settle the dead claims of the ledger (see the module docstring); a no-op (one query)
    when there are none."""
    now = clock.now()
    claims = await _claims(db)
    dead = [row for row in claims if claim_is_dead(row, now, stale_after)]
    if not dead:
        return Settlement()
    if len(dead) < len(claims):
        return Settlement(note="another call is in flight: settled later")
    # Read after every death: whatever the dead calls were billed is in this counter.
    counter = (await client.sports()).quota.used
    if counter is None:
        return Settlement(note="the provider sent no x-requests-used: nothing attributed")
    gap, note = await _gap(db, counter, dead[0].claimed_at)
    result = Settlement(counter=counter, gap=gap, note=note)
    if note:  # nothing to count from: the claim waits until it is stale, as before
        return result
    left = gap
    async with db.session() as session:
        for row in dead:
            most = estimate_cost(row.endpoint, {k: str(v) for k, v in (row.params or {}).items()})
            credits = min(left, most)
            why = (
                f"billed {credits} credit(s), answer lost (x-requests-used {counter})"
                if credits
                else f"not billed: the process died before an answer (x-requests-used {counter})"
            )
            # Only the claim as read: a second settler, or a run taking it over, wins once.
            done = await session.execute(
                update(PaidCall)
                .where(
                    col(PaidCall.request_key) == row.request_key,
                    col(PaidCall.status) == CLAIMED,
                    col(PaidCall.claimed_at) == row.claimed_at,
                )
                .values(
                    status=LOST,
                    credits=func.coalesce(col(PaidCall.credits), 0) + credits,
                    credits_unread=col(PaidCall.credits_unread) + credits,
                    claimed_by=None,
                    error=why,
                    updated_at=now,
                )
            )
            if int(getattr(done, "rowcount", 0) or 0) == 1:
                left -= credits
                result.settled.append(LostCall(row.request_key, row.endpoint, credits))
    for call in result.settled:
        log.warning("paid call lost", request_key=call.request_key, credits=call.credits)
    if result.unexplained:
        log.warning("credits billed outside the ledger", credits=result.unexplained)
    return result

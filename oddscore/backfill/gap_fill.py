"""The gap backfill against the database: what the stored snapshots lack, and a run that pays
only for what is still missing when each call's turn comes.

The stored snapshots, not the ledger, say what a game has: a snapshot deleted after its call
finished is a gap again, so a gap plan never takes another plan's finished call as proof (the
ledger shortcut of :class:`~oddscore.backfill.executor.Executor`). Instead, just before paying,
each call asks the database:

* are all its gaps filled by now (a second writer got there first)? Then it is done unpaid;
* is another plan's call for one of its games inside that gap's window in flight right now
  (claimed, or paid and being stored)? Then it is left for a later run, unpaid.

Two runs planning at the same moment make the same plan (same id), and the ledger's claim lets
only one of them pay each call. Two different plans racing for one moment both look again
after claiming their own rows, one at a time: one that finds the other's call held lets its
claim go, so one of them pays. Calls a crashed run
paid for but never stored are stored first
(:meth:`~oddscore.backfill.executor.Executor.finish_fetched`), before planning.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.tiers import tiers_for
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, OddsSnapshot

from .executor import (
    DEFAULT_STALE_CLAIM,
    CallOutcome,
    CallStatus,
    Executor,
    Served,
    answers_request,
    request_of,
)
from .gaps import (
    GAP_SOURCE,
    Attempt,
    Gap,
    GapPlan,
    build_gap_plan,
    covered_tiers,
    find_gaps,
    gap_slots,
    unfillable,
)
from .planner import BackfillPlan, PlannedCall, PlanSettings
from .sources import stored_games

__all__ = [
    "GapExecutor",
    "attempt_of",
    "default_settings",
    "executor_for",
    "plan_gaps",
    "stored_captures",
]

SERVED_BY_STORAGE = "stored"


async def stored_captures(db: Database, event_ids: Collection[str]) -> dict[str, list[datetime]]:
    """Snapshot times per event (any source: live, historical, imported)."""
    captures: dict[str, list[datetime]] = {event_id: [] for event_id in event_ids}
    ids = sorted(event_ids)
    async with db.session() as session:
        for start in range(0, len(ids), 500):
            rows = await session.execute(
                select(col(OddsSnapshot.event_id), col(OddsSnapshot.snapshot_time)).where(
                    col(OddsSnapshot.event_id).in_(ids[start : start + 500])
                )
            )
            for event_id, snapshot_time in rows:
                captures[event_id].append(snapshot_time)
    return captures


async def _attempts(
    db: Database, settings: PlanSettings, low: datetime, high: datetime
) -> list[Attempt]:
    """Finished calls of the sport between ``low`` and ``high`` that fetched what this plan
    would ask (a call served from other plans' ledger rows proves nothing about the slate)."""
    wanted = request_of(settings)
    async with db.session() as session:
        rows = (
            await session.execute(
                select(BackfillCall).where(
                    col(BackfillCall.sport_key) == settings.sport,
                    col(BackfillCall.status) == CallStatus.DONE.value,
                    col(BackfillCall.served_by).is_(None),
                    col(BackfillCall.call_time) >= low,
                    col(BackfillCall.call_time) <= high,
                )
            )
        ).scalars()
        return [attempt_of(row) for row in rows if answers_request(row.request, wanted)]


def attempt_of(row: BackfillCall) -> Attempt:
    """What a done ledger row says about the slate (a row served from elsewhere: nothing)."""
    fetched = row.served_by is None
    return Attempt(
        call_time=row.call_time,
        event_ids=frozenset(row.event_ids or ()),
        missing=frozenset(row.games_missing or ()) if fetched else frozenset(),
        snapshot_time=row.snapshot_time if fetched else None,
        rejected=fetched and bool(row.error),
    )


async def plan_gaps(
    db: Database,
    settings: PlanSettings,
    *,
    closing_window: timedelta,
    now: datetime,
    max_credits: int | None = None,
) -> GapPlan:
    """The gaps of the stored games of ``settings.sport`` between ``settings.start`` and
    ``settings.end``, and the ranked plan filling them within ``max_credits``."""
    games = await stored_games(db, settings.sport, settings.start, settings.end)
    captures = await stored_captures(db, [game.id for game in games])
    gaps = find_gaps(games, captures, settings, closing_window=closing_window, now=now)
    hopeless: list[Gap] = []
    if gaps:
        tips = [game.commence_time for game in games]
        longest = max(slot.lead for slot in settings.slots) * (1 + settings.max_shift_fraction)
        attempts = await _attempts(db, settings, min(tips) - longest, max(tips))
        hopeless = unfillable(gaps, games, attempts, settings, closing_window=closing_window)
    return build_gap_plan(
        games, gaps, settings, now=now, max_credits=max_credits, hopeless=hopeless
    )


def default_settings(
    sport: str,
    start: date,
    end: date,
    *,
    markets: Iterable[str],
    bookmakers: Iterable[str],
    regions: Iterable[str],
    closing_lead: timedelta,
) -> PlanSettings:
    """A gap plan's settings: the collection's request and one slot per tier."""
    books = list(bookmakers)
    return PlanSettings(
        sport=sport,
        markets=list(markets),
        bookmakers=books,
        regions=[] if books else list(regions),
        start=start,
        end=end,
        slots=list(gap_slots(closing_lead, tiers_for(sport))),
    )


class GapExecutor(Executor):
    """Executes a gap plan (see the module docstring)."""

    def __init__(
        self, *args: Any, closing_window: timedelta = timedelta(minutes=10), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.closing_window = closing_window

    async def served_elsewhere(self) -> dict[datetime, Served]:
        return {}  # the stored snapshots decide, call by call (_before_paying)

    async def _held_elsewhere(self, conn: AsyncConnection, call: PlannedCall) -> bool:
        # Gaps are filled from storage, so a call in flight for any one game of this call may
        # fill its gap: leave the call to a later run rather than pay for it twice.
        return bool(await self._in_flight_elsewhere(conn, call))

    async def _finished_elsewhere(self, call: PlannedCall) -> CallOutcome | None:
        # Claimed: the stored snapshots decide again, since a rival may have stored these
        # gaps between this run's check before claiming and now (it is no longer in flight).
        if await self._open_gaps(call):
            return None
        return await self._filled(call)

    async def _open_gaps(self, call: PlannedCall) -> list[Gap]:
        """The call's gaps the stored snapshots still lack."""
        captures = await stored_captures(self.db, call.event_ids)
        return [
            Gap(target.event_id, target.tier)
            for target in call.targets
            if target.tier
            not in covered_tiers(
                self.plan.game(target.event_id).commence_time,
                captures[target.event_id],
                self.closing_window,
                self.plan.settings.tiers,
            )
        ]

    async def run_call(self, call: PlannedCall) -> CallOutcome:
        row = await self._row(call)
        if row is not None and row.status == CallStatus.DONE.value and await self._lost(call, row):
            await self._reopen(call)
        return await super().run_call(call)

    async def _lost(self, call: PlannedCall, row: BackfillCall) -> bool:
        """A done call whose gaps are open again though it could fill them: its snapshots were
        deleted since (a gap it found unlisted, or outside its tier, stays closed)."""
        open_gaps = await self._open_gaps(call)
        if not open_gaps:
            return False
        attempt = attempt_of(row)
        games = [self.plan.game(event_id) for event_id in call.event_ids]
        tried = unfillable(
            open_gaps, games, [attempt], self.plan.settings, closing_window=self.closing_window
        )
        return len(tried) < len(open_gaps)

    async def _reopen(self, call: PlannedCall) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(BackfillCall)
                .where(
                    col(BackfillCall.plan_id) == self.plan.plan_id,
                    col(BackfillCall.call_time) == call.time,
                    col(BackfillCall.status) == CallStatus.DONE.value,
                )
                .values(
                    status=CallStatus.PENDING.value,
                    served_by=None,
                    games_missing=None,
                    error=None,
                    updated_at=self.clock.now(),
                )
            )

    async def _before_paying(self, call: PlannedCall) -> CallOutcome | None:
        async with self.db.engine.connect() as conn:
            held = await self._in_flight_elsewhere(conn, call)
        if held:
            return self._claimed_elsewhere(call)
        if await self._open_gaps(call):
            return None
        if not await self._claim(call):
            return self._claimed_elsewhere(call)
        return await self._filled(call)

    async def _filled(self, call: PlannedCall) -> CallOutcome:
        """Done unpaid: the claimed ``call``'s gaps are stored already."""
        await self._set(call, status=CallStatus.DONE.value, served_by=SERVED_BY_STORAGE)
        return CallOutcome(
            call.time,
            CallStatus.DONE,
            note="filled meanwhile (another run stored these gaps): nothing paid",
            served_by=(SERVED_BY_STORAGE,),
        )


def executor_for(
    db: Database,
    client: OddsApiClient | None,
    plan: BackfillPlan,
    *,
    closing_window: timedelta,
    stale_claim_after: timedelta = DEFAULT_STALE_CLAIM,
) -> Executor:
    """The executor a plan needs: a gap plan's asks the stored snapshots (``gaps --output``
    written, then ``backfill execute``), any other plan's the ledger."""
    if plan.selection_source == GAP_SOURCE:
        return GapExecutor(
            db, client, plan, closing_window=closing_window, stale_claim_after=stale_claim_after
        )
    return Executor(db, client, plan, stale_claim_after=stale_claim_after)

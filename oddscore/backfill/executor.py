"""Run a backfill plan: each planned call paid for once, ingested, and resumable after a crash.

The ``backfill_calls`` table is the ledger. A call moves

    pending -> claimed -> fetched -> done          (failed: the request itself failed)

* ``claimed``: one runner owns the call (an atomic conditional UPDATE, so two runners of
  the same plan never both pay). A claim older than ``stale_claim_after`` belongs to a run
  that died mid-request and may be taken over.
* ``fetched``: the paid-for response is written to the ledger *before* ingestion, so a crash
  after paying re-ingests the stored JSON instead of paying again.
* ``done``: ingested; the stored JSON is dropped. A done call is never requested again.

The one window no client can close: the provider bills when it answers, so a process killed
between the answer and the ``fetched`` write (milliseconds) pays that call again on resume.

A call is not paid at all when other plans' finished calls already fetched every one of its
games, each inside its slot's window, having asked for the same books and regions and at
least its markets (an overlapping or repeated backfill): it is marked done, ``served_by``
those plans. A game such a call found missing from the slate counts as fetched when it asked
at the same time or later (a game, once listed, stays listed until it starts). Plans run at
the same time check each other after claiming, one at a time, so a shared call is paid once
(:meth:`Executor._after_claim`).

Each call asks for the whole slate at the planned time (exactly what was priced) and stores
only the planned games. Ingestion stamps each snapshot with the response's ``timestamp``
(the real snapshot time) and labels its tier from that timestamp, not from the plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Update, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from oddscore.clock import Clock, SystemClock, parse_timestamp
from oddscore.exceptions import PlanningError, ProviderError, QuotaExhaustedError, StorageError
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.ingestion.store import advisory_lock, dialect_insert, transaction
from oddscore.logs import get_logger, redact
from oddscore.provider.client import OddsApiClient
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall

from .planner import BackfillPlan, PlannedCall, PlanSettings, slot_window

__all__ = [
    "CallOutcome",
    "CallStatus",
    "ExecutionReport",
    "Executor",
    "Served",
    "answers_request",
    "outstanding_credits",
    "request_of",
]

log = get_logger(__name__)

DEFAULT_STALE_CLAIM = timedelta(minutes=15)
FLOW_NAME = "backfill"


class CallStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    FETCHED = "fetched"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What happened to one planned call in this run."""

    call_time: datetime
    status: CallStatus
    credits_spent: int = 0  # paid in *this* run
    paid: bool = False
    snapshot_time: datetime | None = None
    games_stored: int = 0
    games_missing: tuple[str, ...] = ()
    note: str = ""
    served_by: tuple[str, ...] = ()  # plans whose stored calls made paying unnecessary
    # Why the call is not done (a failed request, a failed ingest), for callers that must
    # fail loudly, e.g. a Prefect task that may not cache a failure as a result.
    error: BaseException | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Served:
    """Other plans' finished calls that make a call unnecessary, and the games they found
    missing from the slate."""

    donors: list[BackfillCall]
    missing: tuple[str, ...] = ()


@dataclass(slots=True)
class ExecutionReport:
    plan_id: str
    dry_run: bool
    calls_total: int
    credits_planned: int
    credits_outstanding: int
    quota_remaining: int | None = None
    outcomes: list[CallOutcome] = field(default_factory=list)

    @property
    def credits_spent(self) -> int:
        return sum(o.credits_spent for o in self.outcomes)

    @property
    def calls_paid(self) -> int:
        return sum(1 for o in self.outcomes if o.paid)

    @property
    def calls_served(self) -> int:
        """Calls done this run without paying: other plans had stored their games."""
        return sum(1 for o in self.outcomes if o.served_by)

    @property
    def failures(self) -> list[CallOutcome]:
        return [o for o in self.outcomes if o.status is CallStatus.FAILED]

    @property
    def not_ingested(self) -> list[CallOutcome]:
        return [o for o in self.outcomes if o.status is CallStatus.FETCHED]

    @property
    def busy(self) -> list[CallOutcome]:
        return [o for o in self.outcomes if o.status is CallStatus.CLAIMED]


def outstanding_credits(
    plan: BackfillPlan, rows: Mapping[datetime, BackfillCall], served: Collection[datetime] = ()
) -> int:
    """Credits still to pay: every call neither done nor already fetched nor ``served`` by
    other plans' stored calls."""
    paid = {CallStatus.DONE.value, CallStatus.FETCHED.value}
    return sum(
        call.credits
        for call in plan.calls
        if call.time not in served
        and ((row := rows.get(call.time)) is None or row.status not in paid)
    )


def request_of(settings: PlanSettings) -> dict[str, list[str]]:
    """What a plan's calls ask the provider for, as the ledger records it."""
    return {
        "markets": sorted(settings.markets),
        "regions": sorted(settings.regions),
        "bookmakers": sorted(settings.bookmakers),
    }


def _captures(row: Any, event_id: str, window: tuple[datetime, datetime]) -> bool:
    """Whether the ledger ``row`` asked for ``event_id`` at a time inside ``window``."""
    return event_id in (row.event_ids or ()) and window[0] <= row.call_time <= window[1]


# pg_advisory_xact_lock key of "who claimed a backfill call first": any 64-bit constant no
# other lock of the project uses (sha256("oddscore.backfill_claims"), first 8 bytes, halved).
BACKFILL_CLAIMS_LOCK_KEY = 0x6332_7F87_BF8B_DF7E


async def lock_backfill_claims(conn: AsyncConnection) -> None:
    """Hold the backfill-claims lock until this transaction ends (PostgreSQL).

    Two claimants that each check the other's claim and then decide can miss each other
    (each reads before the other's write commits) and both pay; taken before the check, the
    lock lets one check at a time. SQLite needs nothing: :func:`transaction` starts with
    ``BEGIN IMMEDIATE``, so its transactions already run one at a time.
    """
    await advisory_lock(conn, BACKFILL_CLAIMS_LOCK_KEY)


def answers_request(asked: Mapping[str, Any] | None, wanted: Mapping[str, list[str]]) -> bool:
    """A finished call that asked ``asked`` stored what a call asking ``wanted`` would: the
    same books and regions, and every wanted market."""
    if not asked:
        return False  # recorded before requests were: unknown, so never reused
    return (
        asked.get("bookmakers") == wanted["bookmakers"]
        and asked.get("regions") == wanted["regions"]
        and set(wanted["markets"]) <= set(asked.get("markets") or ())
    )


class Executor:
    """Executes one plan against one database and one client (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        client: OddsApiClient | None,
        plan: BackfillPlan,
        *,
        options: IngestOptions | None = None,
        clock: Clock | None = None,
        stale_claim_after: timedelta = DEFAULT_STALE_CLAIM,
    ) -> None:
        self.db = db
        self.client = client
        self.plan = plan
        self.clock = clock or SystemClock()
        self.options = options or IngestOptions.from_settings(
            expected_bookmakers=tuple(plan.settings.bookmakers) or None,
            expected_markets=tuple(plan.settings.markets),
            flow_name=FLOW_NAME,
        )
        self.stale_claim_after = stale_claim_after
        # Payloads are ingested one at a time (requests still run concurrently): events are
        # upserted safely under concurrency, but on SQLite a second concurrent ingest
        # transaction can be refused outright ("database is locked", see tests/reliability).
        self._ingest_lock = asyncio.Lock()
        # Once the account is out of credits every further paid call would fail the same way:
        # the calls not started yet are left pending for a run after the reset.
        self._quota_exhausted: QuotaExhaustedError | None = None
        self._served: dict[datetime, Served] | None = None
        self._windows: dict[datetime, list[tuple[str, tuple[datetime, datetime]]]] = {}

    # -- ledger ------------------------------------------------------------------------------

    async def ledger(self) -> dict[datetime, BackfillCall]:
        """This plan's rows, by call time."""
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(BackfillCall).where(col(BackfillCall.plan_id) == self.plan.plan_id)
                )
            ).scalars()
            return {row.call_time: row for row in rows}

    async def register(self) -> None:
        """Record every planned call as pending (calls already recorded are left alone)."""
        now = self.clock.now()
        values = [
            {
                "plan_id": self.plan.plan_id,
                "call_time": call.time,
                "sport_key": self.plan.settings.sport,
                "status": CallStatus.PENDING.value,
                "event_ids": call.event_ids,
                "credits_planned": call.credits,
                "credits_spent": 0,
                "attempts": 0,
                "games_stored": 0,
                "request": request_of(self.plan.settings),
                "created_at": now,
                "updated_at": now,
            }
            for call in self.plan.calls
        ]
        if not values:
            return
        async with self.db.engine.begin() as conn:
            for start in range(0, len(values), 500):
                statement = dialect_insert(conn.dialect.name, BackfillCall).on_conflict_do_nothing(
                    index_elements=["plan_id", "call_time"]
                )
                await conn.execute(statement, values[start : start + 500])

    def _key(self, call: PlannedCall | BackfillCall) -> tuple[str, datetime, list[str]]:
        """(plan id, call time, event ids) of a call of this plan or a ledger row of any."""
        if isinstance(call, BackfillCall):
            return call.plan_id, call.call_time, list(call.event_ids or ())
        return self.plan.plan_id, call.time, call.event_ids

    async def _set(self, call: PlannedCall | BackfillCall, **values: Any) -> None:
        async with self.db.session() as session:
            await session.execute(self._update(call, **values))

    def _update(self, call: PlannedCall | BackfillCall, **values: Any) -> Update:
        plan_id, call_time, _ = self._key(call)
        return (
            update(BackfillCall)
            .where(col(BackfillCall.plan_id) == plan_id, col(BackfillCall.call_time) == call_time)
            .values(updated_at=self.clock.now(), **values)
        )

    async def _claim(self, call: PlannedCall) -> bool:
        now = self.clock.now()
        async with self.db.session() as session:
            result = await session.execute(
                update(BackfillCall)
                .where(
                    col(BackfillCall.plan_id) == self.plan.plan_id,
                    col(BackfillCall.call_time) == call.time,
                    or_(
                        col(BackfillCall.status).in_(
                            [CallStatus.PENDING.value, CallStatus.FAILED.value]
                        ),
                        (col(BackfillCall.status) == CallStatus.CLAIMED.value)
                        & (col(BackfillCall.claimed_at) <= now - self.stale_claim_after),
                    ),
                )
                .values(
                    status=CallStatus.CLAIMED.value,
                    claimed_at=now,
                    attempts=col(BackfillCall.attempts) + 1,
                    updated_at=now,
                    error=None,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0) == 1

    async def _row(self, call: PlannedCall) -> BackfillCall | None:
        async with self.db.session() as session:
            return (
                await session.execute(
                    select(BackfillCall).where(
                        col(BackfillCall.plan_id) == self.plan.plan_id,
                        col(BackfillCall.call_time) == call.time,
                    )
                )
            ).scalar_one_or_none()

    async def served_elsewhere(self) -> dict[datetime, Served]:
        """This plan's calls whose every game other plans' finished calls already stored
        inside its slot's window (or found missing from the slate at the same time or
        later): call time -> those calls. Read once per executor."""
        if self._served is None:
            self._served = await self._served_by_finished(self.plan.calls)
        return self._served

    async def _served_by_finished(self, calls: Sequence[PlannedCall]) -> dict[datetime, Served]:
        """:meth:`served_elsewhere` of ``calls``, read now."""
        served: dict[datetime, Served] = {}
        if not calls:
            return served
        settings = self.plan.settings
        windows = {call.time: self._slot_windows(call) for call in calls}
        spans = [window for targets in windows.values() for _, window in targets]
        wanted = request_of(settings)
        async with self.db.session() as session:
            rows = (
                await session.execute(
                    select(BackfillCall).where(
                        col(BackfillCall.sport_key) == settings.sport,
                        col(BackfillCall.plan_id) != self.plan.plan_id,
                        col(BackfillCall.status) == CallStatus.DONE.value,
                        # Only calls that fetched: their snapshots were taken at their time.
                        col(BackfillCall.served_by).is_(None),
                        col(BackfillCall.call_time) >= min(start for start, _ in spans),
                        col(BackfillCall.call_time) <= max(end for _, end in spans),
                    )
                )
            ).scalars()
            donors: dict[str, list[BackfillCall]] = {}  # event id -> the calls that asked
            for row in rows:
                # error: rejected by validation, so nothing was stored
                if not row.error and answers_request(row.request, wanted):
                    for event_id in row.event_ids or ():
                        donors.setdefault(event_id, []).append(row)
        for call_time, targets in windows.items():
            used: dict[tuple[str, datetime], BackfillCall] = {}
            missing: list[str] = []
            for event_id, (start, end) in targets:
                listed = [row for row in donors.get(event_id, ()) if start <= row.call_time <= end]
                donor = next(
                    (row for row in listed if event_id not in (row.games_missing or ())), None
                )
                if donor is None:
                    # Absent from a slate asked for at this time or later: a game listed once
                    # stays listed until it starts, so this call's slate lacks it too.
                    donor = next((row for row in listed if row.call_time >= call_time), None)
                    if donor is None:
                        break
                    missing.append(event_id)
                used[(donor.plan_id, donor.call_time)] = donor
            else:
                served[call_time] = Served(list(used.values()), tuple(sorted(set(missing))))
        return served

    def _slot_windows(self, call: PlannedCall) -> list[tuple[str, tuple[datetime, datetime]]]:
        """(event id, the window of its slot) for each game the call targets: a call of
        another plan inside that window captures the game as well as this one would."""
        if not self._windows:
            settings = self.plan.settings
            slots = {slot.name: slot for slot in settings.slots}
            commence = {game.id: game.commence_time for game in self.plan.games}
            self._windows = {
                planned.time: [
                    (
                        target.event_id,
                        slot_window(
                            commence[target.event_id],
                            slots[target.slot],
                            settings.max_shift_fraction,
                            settings.tiers,
                        ),
                    )
                    for target in planned.targets
                ]
                for planned in self.plan.calls
            }
        return self._windows[call.time]

    async def _in_flight_elsewhere(self, conn: AsyncConnection, call: PlannedCall) -> list[Any]:
        """Other plans' calls for one of this call's games, inside that game's slot window,
        held by a live run (claimed, or paid and being stored): their ledger rows."""
        windows = self._slot_windows(call)
        stale = self.clock.now() - self.stale_claim_after
        rows = (
            await conn.execute(
                select(BackfillCall).where(
                    col(BackfillCall.sport_key) == self.plan.settings.sport,
                    col(BackfillCall.plan_id) != self.plan.plan_id,
                    col(BackfillCall.status).in_(
                        [CallStatus.CLAIMED.value, CallStatus.FETCHED.value]
                    ),
                    col(BackfillCall.claimed_at) > stale,
                    col(BackfillCall.call_time) >= min(lo for _, (lo, _) in windows),
                    col(BackfillCall.call_time) <= max(hi for _, (_, hi) in windows),
                )
            )
        ).all()
        return [row for row in rows if any(_captures(row, *target) for target in windows)]

    async def _held_elsewhere(self, conn: AsyncConnection, call: PlannedCall) -> bool:
        """Whether other plans' calls in flight ask for what this call asks and together
        capture every game of it inside its slot's window (so it need not be paid)."""
        wanted = request_of(self.plan.settings)
        rows = [
            row
            for row in await self._in_flight_elsewhere(conn, call)
            if answers_request(row.request, wanted)
        ]
        return bool(rows) and all(
            any(_captures(row, *target) for row in rows) for target in self._slot_windows(call)
        )

    # -- checks ------------------------------------------------------------------------------

    async def quota_remaining(self) -> int | None:
        """Credits left on the account, read from a free endpoint's quota headers."""
        if self.client is None:
            return None
        response = await self.client.sports()
        return response.quota.remaining

    async def preflight(
        self, *, budget: int | None = None, check_quota: bool = True
    ) -> tuple[int, int | None]:
        """(outstanding credits, quota remaining); refuses a plan over budget or quota."""
        served = await self.served_elsewhere()
        outstanding = outstanding_credits(self.plan, await self.ledger(), served)
        if budget is not None and outstanding > budget:
            raise PlanningError(
                f"plan {self.plan.plan_id} needs {outstanding} more credits, "
                f"over the budget of {budget}; nothing was spent"
            )
        remaining = await self.quota_remaining() if check_quota and outstanding else None
        if remaining is not None and outstanding > remaining:
            raise PlanningError(
                f"plan {self.plan.plan_id} needs {outstanding} more credits but only "
                f"{remaining} remain on the account; nothing was spent"
            )
        return outstanding, remaining

    # -- one call ----------------------------------------------------------------------------

    async def run_call(self, call: PlannedCall) -> CallOutcome:
        """Bring one call to ``done``, paying only if it was never paid for."""
        row = await self._row(call)
        if row is None:
            await self.register()
            row = await self._row(call)
        assert row is not None
        if row.status == CallStatus.DONE.value:
            return CallOutcome(
                call.time,
                CallStatus.DONE,
                snapshot_time=row.snapshot_time,
                games_stored=row.games_stored,
                games_missing=tuple(row.games_missing or ()),
                note="already done",
            )
        if row.status == CallStatus.FETCHED.value and row.raw_response is not None:
            return await self._ingest(call, row.raw_response, row.request_id, None, paid=0)
        shortcut = await self._before_paying(call)
        if shortcut is not None:
            return shortcut
        if self._quota_exhausted is not None:
            return CallOutcome(
                call.time,
                CallStatus.FAILED,
                note="not attempted: the quota ran out (left pending)",
                error=self._quota_exhausted,
            )
        if not await self._claim(call):
            return self._claimed_elsewhere(call)
        held = await self._after_claim(call)
        if held is not None:
            return held
        if self.client is None:
            raise PlanningError("executing a backfill needs an API client")
        settings = self.plan.settings
        try:
            response = await self.client.historical_odds(
                settings.sport,
                date=call.time,
                markets=settings.markets,
                bookmakers=settings.bookmakers or None,
                regions=settings.regions or None,
            )
        except ProviderError as exc:
            message = redact(str(exc))[:1000]
            if isinstance(exc, QuotaExhaustedError):
                self._quota_exhausted = exc
            await self._set(call, status=CallStatus.FAILED.value, error=message)
            log.warning("backfill call failed", call_time=call.time.isoformat(), error=message)
            return CallOutcome(call.time, CallStatus.FAILED, note=message, error=exc)
        spent = response.cost if response.cost is not None else call.credits
        envelope = self._keep_planned(call, response.raw)
        # Paid: write the response down before anything else can fail.
        await self._set(
            call,
            status=CallStatus.FETCHED.value,
            raw_response=envelope,
            # Added, not set: a gap plan may pay a call again once its data was deleted.
            credits_spent=col(BackfillCall.credits_spent) + spent,
            request_id=response.request_id[:64],
            snapshot_time=parse_timestamp(envelope["timestamp"]),
        )
        return await self._ingest(call, envelope, response.request_id, response, paid=spent)

    async def _before_paying(self, call: PlannedCall) -> CallOutcome | None:
        """The call's outcome if it need not be paid for (other plans stored its games)."""
        served = (await self.served_elsewhere()).get(call.time)
        return None if served is None else await self._reuse(call, served)

    async def _after_claim(self, call: PlannedCall) -> CallOutcome | None:
        """The call's outcome if, though claimed, it must not be paid for now.

        Two different plans run at once may share a call (the same games in the same slot
        windows), and both claim their own rows. Claimants then look at each other one at a
        time (:func:`lock_backfill_claims`): one that finds the call held by another plan lets
        its claim go, unpaid, so exactly one pays whatever the interleaving, and a later run
        reuses that answer (:meth:`served_elsewhere`). One that finds it already finished is
        done unpaid, served by it.
        """

        async def let_go_if_held(conn: AsyncConnection) -> bool:
            await lock_backfill_claims(conn)
            if not await self._held_elsewhere(conn, call):
                return False
            await conn.execute(self._update(call, status=CallStatus.PENDING.value))
            return True

        if await transaction(self.db, let_go_if_held, doing="claiming a backfill call"):
            return self._claimed_elsewhere(call)
        # After the calls in flight: one in flight then can only have finished since.
        return await self._finished_elsewhere(call)

    async def _finished_elsewhere(self, call: PlannedCall) -> CallOutcome | None:
        """Done unpaid when other plans' finished calls now serve the claimed ``call``."""
        served = (await self._served_by_finished([call])).get(call.time)
        if served is None:
            return None
        await self._set(call, status=CallStatus.PENDING.value)
        return await self._reuse(call, served)

    def _claimed_elsewhere(self, call: PlannedCall) -> CallOutcome:
        return CallOutcome(
            call.time,
            CallStatus.CLAIMED,
            note="claimed by another run",
            error=PlanningError(
                f"call {call.time.isoformat()} of plan {self.plan.plan_id} is claimed by "
                f"another run (or one that crashed less than {self.stale_claim_after} ago)"
            ),
        )

    async def _reuse(self, call: PlannedCall, served: Served) -> CallOutcome:
        """Done without paying: other plans' finished calls stored every game (or found it
        missing)."""
        if not await self._claim(call):
            return self._claimed_elsewhere(call)
        plans = tuple(sorted({donor.plan_id for donor in served.donors}))
        times = [d.snapshot_time for d in served.donors if d.snapshot_time is not None]
        snapshot_time = max(times) if times else None
        stored = len(call.event_ids) - len(served.missing)
        await self._set(
            call,
            status=CallStatus.DONE.value,
            snapshot_time=snapshot_time,
            games_stored=stored,
            games_missing=list(served.missing),
            served_by=",".join(plans)[:200],
        )
        return CallOutcome(
            call.time,
            CallStatus.DONE,
            snapshot_time=snapshot_time,
            games_stored=stored,
            games_missing=served.missing,
            note=f"already fetched by plan {', '.join(plans)}: nothing paid",
            served_by=plans,
        )

    def _keep_planned(self, call: PlannedCall, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, Mapping) or "timestamp" not in raw:
            raise PlanningError("historical response without a timestamp")
        wanted = set(call.event_ids)
        items = raw.get("data") or []
        return {
            "timestamp": raw["timestamp"],
            "previous_timestamp": raw.get("previous_timestamp"),
            "next_timestamp": raw.get("next_timestamp"),
            "data": [
                item for item in items if isinstance(item, Mapping) and item.get("id") in wanted
            ],
        }

    async def _ingest(
        self,
        call: PlannedCall | BackfillCall,
        envelope: Mapping[str, Any],
        request_id: str | None,
        response: Any,
        *,
        paid: int,
    ) -> CallOutcome:
        _, call_time, event_ids = self._key(call)
        snapshot_time = parse_timestamp(envelope["timestamp"])
        items = list(envelope.get("data") or [])
        present = {str(item.get("id")) for item in items}
        missing = tuple(event_id for event_id in event_ids if event_id not in present)
        note = ""
        refused = 0
        if items:
            try:
                async with self._ingest_lock:
                    result = await ingest_odds(
                        self.db,
                        items,
                        snapshot_time=snapshot_time,
                        source="historical",
                        request_id=request_id,
                        response=response,
                        options=self.options,
                    )
            except StorageError as exc:
                # Paid and kept as ``fetched``: the next run ingests it without paying.
                message = redact(str(exc))[:1000]
                await self._set(call, error=message)
                log.warning(
                    "backfill ingest failed", call_time=call_time.isoformat(), error=message
                )
                return CallOutcome(
                    call_time,
                    CallStatus.FETCHED,
                    credits_spent=paid,
                    paid=response is not None,
                    snapshot_time=snapshot_time,
                    note=message,
                    error=exc,
                )
            if result.rejected:
                note = "rejected by validation: " + "; ".join(result.rejection_reasons[:3])
            refused = result.records_refused  # values no column holds: those games only
        await self._set(
            call,
            status=CallStatus.DONE.value,
            raw_response=None,
            games_stored=0 if note else len(present) - refused,
            games_missing=list(missing),
            error=note[:1000] or None,
        )
        return CallOutcome(
            call_time,
            CallStatus.DONE,
            credits_spent=paid,
            paid=response is not None,
            snapshot_time=snapshot_time,
            games_stored=0 if note else len(present) - refused,
            games_missing=missing,
            note=note,
        )

    async def finish_fetched(self) -> list[CallOutcome]:
        """Ingest the calls any plan of this sport paid for but never ingested (the run died
        between paying and storing, its claim is stale): nothing is paid, and a plan made
        afterwards sees those games stored. Only calls that asked what this plan asks."""
        now = self.clock.now()
        wanted = request_of(self.plan.settings)
        async with self.db.session() as session:
            rows = list(
                (
                    await session.execute(
                        select(BackfillCall).where(
                            col(BackfillCall.sport_key) == self.plan.settings.sport,
                            col(BackfillCall.status) == CallStatus.FETCHED.value,
                            col(BackfillCall.claimed_at) <= now - self.stale_claim_after,
                        )
                    )
                ).scalars()
            )
        return [
            await self._ingest(row, row.raw_response, row.request_id, None, paid=0)
            for row in rows
            if row.raw_response is not None and answers_request(row.request, wanted)
        ]

    # -- the whole plan ----------------------------------------------------------------------

    async def execute(
        self,
        *,
        budget: int | None = None,
        dry_run: bool = False,
        concurrency: int = 4,
        check_quota: bool = True,
        on_outcome: Callable[[CallOutcome], None] | None = None,
        calls: Sequence[PlannedCall] | None = None,
    ) -> ExecutionReport:
        """Run every call not yet done; a dry run checks and reports without spending."""
        outstanding, remaining = await self.preflight(budget=budget, check_quota=check_quota)
        report = ExecutionReport(
            plan_id=self.plan.plan_id,
            dry_run=dry_run,
            calls_total=len(self.plan.calls),
            credits_planned=self.plan.costs.grouped,
            credits_outstanding=outstanding,
            quota_remaining=remaining,
        )
        if dry_run:
            return report
        await self.register()
        gate = asyncio.Semaphore(max(1, concurrency))
        stop = asyncio.Event()

        async def one(call: PlannedCall) -> CallOutcome | None:
            async with gate:
                if stop.is_set():
                    return None
                try:
                    outcome = await self.run_call(call)
                except BaseException:
                    stop.set()
                    raise
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

        todo = list(self.plan.calls if calls is None else calls)
        # The first unexpected error stops new calls, as a crash would, but calls already in
        # flight are never cancelled: the provider may have charged for them already, and only
        # finishing them records the paid response in the ledger. The next run picks up
        # exactly where this one stopped.
        results = await asyncio.gather(*(one(call) for call in todo), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        report.outcomes = [r for r in results if isinstance(r, CallOutcome)]
        return report

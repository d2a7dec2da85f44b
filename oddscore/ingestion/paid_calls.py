"""The write-ahead ledger of live paid calls (``paid_calls``): every paid answer is written
down before anything parses or stores it, keyed by the request, never by the run.

A call with request key K (endpoint, parameters without the key, minute slot) goes:

1. A paid answer to the same request (any slot) that was never stored: it is stored now.
   If it is younger than ``reuse_within`` it stands in for the call and nothing is paid (a
   rerun after a crash); an older one is stored too (its odds are true at their time) but a
   fresh call is still made.
2. Claim K: ``INSERT ... ON CONFLICT (request_key) DO NOTHING``, so the database, not a check
   in Python, decides between two runs of one slot. The loser reads the row: stored -> nothing
   to do; paid -> it stores that answer; claimed -> another run is paying right now (busy,
   nothing paid); failed, lost, or claimed more than ``stale_claim_after`` ago (its run died
   in the request) -> taken over by a conditional UPDATE, which again only one run wins.
   Before the claim, the claims whose process is gone are settled from the provider's
   credit counter (:mod:`oddscore.ingestion.lost_calls`): ``lost``, with what was billed.
3. Send. A failed request marks the row failed (the provider bills answers, not errors; a
   200 whose body was cut short is billed, and its credits stay on the failed row).
4. Write the raw answer and its credit headers (``x-requests-last/used/remaining``) to the
   row, status paid, before the body is even checked against the schema.
5. Parse and store. A failure keeps the answer (paid, the error noted): the next run stores
   it without paying. A body that cannot be parsed is ``unusable`` (paid, never stored).
   Once stored the raw answer is dropped: the snapshots keep each event's JSON.

Every paid call therefore has exactly one row carrying its credits, whatever fails after the
answer. A process killed while its request is in flight leaves a claimed row without an
answer; the next paid call settles it from ``x-requests-used`` (billed or not, and for how
much) and pays once more for the answer nobody read. ``odds credits`` lists such rows.

A run that has no call to make does steps 1 and 2 alone (:func:`recover_paid_calls`), so a
crashed run's answer is stored, and its lost call settled, by the next run of its chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import func, or_, select, update
from sqlmodel import col

from oddscore.clock import Clock, as_utc
from oddscore.exceptions import MalformedResponseError, ProviderError, StorageError
from oddscore.ingestion.lost_calls import Settlement, process_identity, settle_lost_calls
from oddscore.ingestion.store import dialect_insert
from oddscore.logs import get_logger, redact
from oddscore.provider.client import OddsApiClient, PreparedRequest
from oddscore.provider.response import ApiResponse, Quota, RawAnswer
from oddscore.scheduling.planner import ceil_minute
from oddscore.storage.engine import Database
from oddscore.storage.models import PaidCall

__all__ = [
    "DEFAULT_REUSE_WITHIN",
    "DEFAULT_STALE_CLAIM",
    "SECRET_PARAM_NAMES",
    "PaidCallOutcome",
    "PaidCallStatus",
    "Recovery",
    "paid_call",
    "recover_paid_calls",
    "request_hash",
    "request_key",
    "slot_of",
]

log = get_logger(__name__)

T = TypeVar("T")

# Longer than any one request can take with its retries (30 s timeout, 5 attempts, backoff):
# a claim older than this belongs to a run that died in the request.
DEFAULT_STALE_CLAIM = timedelta(minutes=10)
# A saved answer younger than this stands in for a new call (the paid-call reuse window).
DEFAULT_REUSE_WITHIN = timedelta(hours=2)
SECRET_PARAM_NAMES = frozenset({"apikey", "api_key", "key", "token", "secret", "password"})


class PaidCallStatus(StrEnum):
    CLAIMED = "claimed"
    PAID = "paid"
    STORED = "stored"
    FAILED = "failed"
    UNUSABLE = "unusable"
    LOST = "lost"  # its process died in the request; settled by lost_calls


@dataclass(frozen=True, slots=True)
class PaidCallOutcome(Generic[T]):
    """What one :func:`paid_call` did.

    ``credits_paid`` is what *this* call paid (0 when a saved answer was stored, another run
    owns the slot, or the slot was stored already); ``stored`` is what ``store`` returned
    when this call stored an answer (its own or a saved one).
    """

    request_key: str
    status: PaidCallStatus
    paid: bool = False
    credits_paid: int = 0
    stored: T | None = None
    response: ApiResponse[Any] | None = None
    note: str = ""

    @property
    def busy(self) -> bool:
        """Another run holds the slot's claim and is paying for it now."""
        return self.status is PaidCallStatus.CLAIMED and not self.paid


def _clean(params: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(name): str(value)
        for name, value in sorted(params.items())
        if str(name).lower() not in SECRET_PARAM_NAMES
    }


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def slot_of(at: datetime) -> datetime:
    """The minute slot a call at (or planned for) ``at`` belongs to."""
    return ceil_minute(as_utc(at))


def request_hash(endpoint: str, params: Mapping[str, Any]) -> str:
    """What was asked, in any slot: endpoint and parameters (never a credential).

    >>> request_hash("/v4/x", {"b": "2", "a": "1", "apiKey": "k"}) == request_hash(
    ...     "/v4/x", {"a": "1", "b": "2"})
    True
    """
    return _digest([endpoint, _clean(params)])


def request_key(endpoint: str, params: Mapping[str, Any], slot: datetime) -> str:
    """The ledger's key: the request and its minute slot (never the run)."""
    return _digest([request_hash(endpoint, params), slot_of(slot).isoformat()])


def _sport_of(endpoint: str) -> str:
    parts = endpoint.strip("/").split("/")
    return parts[parts.index("sports") + 1][:64] if "sports" in parts[:-1] else ""


class _Ledger:
    """The row operations of one request key."""

    def __init__(self, db: Database, key: str, clock: Clock) -> None:
        self.db, self.key, self.clock = db, key, clock

    async def claim(self, values: dict[str, Any], stale_claim_after: timedelta) -> bool:
        """Insert the claim, or take over a failed or stale one; True when this run won."""
        now = self.clock.now()
        async with self.db.session() as session:
            inserted = await session.execute(
                dialect_insert(self.db.dialect, PaidCall)
                .values(
                    request_key=self.key,
                    status=PaidCallStatus.CLAIMED.value,
                    attempts=1,
                    credits_unread=0,
                    claimed_at=now,
                    claimed_by=process_identity(),
                    created_at=now,
                    updated_at=now,
                    **values,
                )
                .on_conflict_do_nothing(index_elements=["request_key"])
            )
            if _rowcount(inserted) == 1:
                return True
            taken = await session.execute(
                update(PaidCall)
                .where(
                    col(PaidCall.request_key) == self.key,
                    or_(
                        col(PaidCall.status).in_(
                            [PaidCallStatus.FAILED.value, PaidCallStatus.LOST.value]
                        ),
                        (col(PaidCall.status) == PaidCallStatus.CLAIMED.value)
                        & (col(PaidCall.claimed_at) <= now - stale_claim_after),
                    ),
                )
                .values(
                    status=PaidCallStatus.CLAIMED.value,
                    claimed_at=now,
                    claimed_by=process_identity(),
                    attempts=col(PaidCall.attempts) + 1,
                    error=None,
                    updated_at=now,
                )
            )
            return _rowcount(taken) == 1

    async def row(self) -> PaidCall | None:
        async with self.db.session() as session:
            return (
                await session.execute(select(PaidCall).where(col(PaidCall.request_key) == self.key))
            ).scalar_one_or_none()

    async def set(self, **values: Any) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(PaidCall)
                .where(col(PaidCall.request_key) == self.key)
                .values(updated_at=self.clock.now(), **values)
            )


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _add_credits(credits: int | None, unread: int | None) -> dict[str, Any]:
    """The row's credits plus these: a taken-over row keeps what earlier attempts paid."""
    values: dict[str, Any] = {}
    if credits is not None:
        values["credits"] = func.coalesce(col(PaidCall.credits), 0) + credits
    if unread:
        values["credits_unread"] = col(PaidCall.credits_unread) + unread
    return values


def _answer_values(answer: RawAnswer) -> dict[str, Any]:
    return {
        "status": PaidCallStatus.PAID.value,
        "raw_response": json.dumps(answer.payload),  # ASCII: lone surrogates escaped too
        "request_id": answer.request_id[:64],
        "status_code": answer.status_code,
        **_add_credits(answer.credits, answer.credits_before),
        "quota_used": answer.quota.used,
        "quota_remaining": answer.quota.remaining,
        "fetched_at": as_utc(answer.fetched_at),
        "elapsed_ms": int(round(answer.elapsed_ms)),
    }


def _saved_answer(row: PaidCall) -> RawAnswer:
    """The answer a row holds, as the client gave it (for parsing and storing later)."""
    assert row.fetched_at is not None and row.request_id is not None
    return RawAnswer(
        endpoint=row.endpoint,
        params=dict(row.params or {}),
        payload=json.loads(row.raw_response) if row.raw_response is not None else None,
        quota=Quota(remaining=row.quota_remaining, used=row.quota_used, last=row.credits),
        request_id=row.request_id,
        status_code=row.status_code or 200,
        fetched_at=row.fetched_at,
        elapsed_ms=float(row.elapsed_ms or 0),
    )


async def _saved_answers(db: Database, digest: str) -> list[PaidCall]:
    """Paid, never stored answers to the same request, newest first."""
    async with db.session() as session:
        rows = await session.execute(
            select(PaidCall)
            .where(
                col(PaidCall.request_hash) == digest,
                col(PaidCall.status) == PaidCallStatus.PAID.value,
            )
            .order_by(col(PaidCall.fetched_at).desc())
        )
        return list(rows.scalars())


async def _finish(
    ledger: _Ledger,
    client: OddsApiClient,
    request: PreparedRequest,
    answer: RawAnswer,
    store: Callable[[ApiResponse[Any]], Awaitable[T]],
) -> tuple[T, ApiResponse[Any]]:
    """Parse and store a written-down answer; the row says how it went."""
    try:
        response = client.parse(request, answer)
    except MalformedResponseError as exc:
        await ledger.set(status=PaidCallStatus.UNUSABLE.value, error=redact(str(exc))[:1000])
        raise
    try:
        stored = await store(response)
    except Exception as exc:
        # Kept as paid: the next run stores this answer instead of paying for another.
        message = redact(f"{type(exc).__name__}: {exc}")[:1000]
        try:
            await ledger.set(error=message)
        except StorageError:
            pass  # the database is down: the row still says paid, which is what matters
        log.warning("paid answer not stored", request_key=ledger.key, error=message)
        raise
    await ledger.set(
        status=PaidCallStatus.STORED.value,
        stored_at=ledger.clock.now(),
        raw_response=None,
        error=None,
    )
    return stored, response


async def _store_saved(
    saved: PaidCall,
    db: Database,
    client: OddsApiClient,
    request: PreparedRequest,
    store: Callable[[ApiResponse[Any]], Awaitable[T]],
    clock: Clock,
) -> tuple[T, ApiResponse[Any]] | None:
    """Store an answer paid for earlier; None when it cannot be parsed (marked unusable)."""
    try:
        return await _finish(
            _Ledger(db, saved.request_key, clock), client, request, _saved_answer(saved), store
        )
    except MalformedResponseError:
        return None


@dataclass(frozen=True, slots=True)
class Recovery(Generic[T]):
    """What :func:`recover_paid_calls` made good: the saved answers it stored (what ``store``
    returned for each) and the dead claims it settled."""

    stored: list[T]
    settlement: Settlement

    def __bool__(self) -> bool:
        return bool(self.stored or self.settlement.settled)


async def recover_paid_calls(
    db: Database,
    client: OddsApiClient,
    request: PreparedRequest,
    *,
    store: Callable[[ApiResponse[Any]], Awaitable[T]],
    clock: Clock | None = None,
    stale_claim_after: timedelta = DEFAULT_STALE_CLAIM,
) -> Recovery[T]:
    """Steps 1 and 2 of :func:`paid_call` without a call: settle the dead claims and store
    every paid answer to ``request`` that was never stored (any slot, any age). Pays nothing.

    A run with no call due makes this instead, so that what a crashed run paid for is stored
    and a call lost in flight is settled by the next run, not the next paid call (which may be
    hours away; meanwhile the answer waits and the ledger is short of the meter). Two queries
    when there is nothing to do.
    """
    clock = clock or client.clock
    settlement = await settle_lost_calls(db, client, clock=clock, stale_after=stale_claim_after)
    stored: list[T] = []
    for saved in await _saved_answers(db, request_hash(request.endpoint, request.params)):
        kept = await _store_saved(saved, db, client, request, store, clock)
        if kept is not None:
            stored.append(kept[0])
            log.info("paid answer recovered", request_key=saved.request_key, slot=saved.slot)
    return Recovery(stored, settlement)


async def paid_call(
    db: Database,
    client: OddsApiClient,
    request: PreparedRequest,
    *,
    slot: datetime,
    store: Callable[[ApiResponse[Any]], Awaitable[T]],
    flow_name: str | None = None,
    clock: Clock | None = None,
    stale_claim_after: timedelta = DEFAULT_STALE_CLAIM,
    reuse_within: timedelta = DEFAULT_REUSE_WITHIN,
) -> PaidCallOutcome[T]:
    """Make (at most once) the paid call ``request`` for ``slot`` and ``store`` its answer.

    See the module docstring for the steps. Raises the provider's error when the request
    fails, and whatever ``store`` raises (the answer is kept for the next run).
    """
    clock = clock or client.clock  # the clock the answer's fetch time is read on
    now = clock.now()
    digest = request_hash(request.endpoint, request.params)
    key = request_key(request.endpoint, request.params, slot)
    ledger = _Ledger(db, key, clock)
    # Claims whose process died in the request first: their slot is then free again.
    await settle_lost_calls(db, client, clock=clock, stale_after=stale_claim_after)

    for saved in await _saved_answers(db, digest):
        kept = await _store_saved(saved, db, client, request, store, clock)
        if kept is None:
            continue  # now marked unusable; it cannot stand in for this call
        stored, response = kept
        assert saved.fetched_at is not None
        if saved.fetched_at >= now - reuse_within:
            note = f"stored the answer paid at {saved.fetched_at.isoformat()}: nothing paid"
            log.info("paid answer reused", request_key=saved.request_key, slot=saved.slot)
            return PaidCallOutcome(
                saved.request_key,
                PaidCallStatus.STORED,
                stored=stored,
                response=response,
                note=note,
            )
        log.info("old paid answer stored", request_key=saved.request_key, slot=saved.slot)

    claim = {
        "request_hash": digest,
        "endpoint": request.endpoint[:200],
        "sport_key": _sport_of(request.endpoint),
        "params": _clean(request.params),
        "slot": slot_of(slot),
        "flow_name": flow_name,
        # The key's counter before this call, until the answer's replaces it: what a lost
        # answer's credits are counted from (lost_calls).
        "quota_used": client.last_used,
    }
    if not await ledger.claim(claim, stale_claim_after):
        row = await ledger.row()
        assert row is not None  # the insert conflicted with it
        status = PaidCallStatus(row.status)
        if status is PaidCallStatus.PAID and row.raw_response is not None:
            stored, response = await _finish(ledger, client, request, _saved_answer(row), store)
            return PaidCallOutcome(
                key,
                PaidCallStatus.STORED,
                stored=stored,
                response=response,
                note="stored the answer another run paid for: nothing paid",
            )
        notes = {
            PaidCallStatus.STORED: "this slot's answer is stored already: nothing paid",
            PaidCallStatus.CLAIMED: "another run is paying for this slot: nothing paid",
            PaidCallStatus.UNUSABLE: f"this slot's answer was unusable: {row.error or ''}",
        }
        return PaidCallOutcome(key, status, note=notes.get(status, status.value))

    try:
        answer = await client.send(request)
    except ProviderError as exc:
        # Failed answers are not billed, except bodies cut short: their credits stay on the row.
        try:
            await ledger.set(
                status=PaidCallStatus.FAILED.value,
                **_add_credits(exc.credits_billed, exc.credits_billed),
                error=redact(str(exc))[:1000],
            )
        except StorageError as storage:  # the provider's error is the one to report
            log.warning("failed paid call not recorded", request_key=key, error=str(storage))
        raise
    try:
        await ledger.set(**_answer_values(answer))
    except StorageError:
        # Paid but not written down: say what it cost, loudly, before the error surfaces.
        log.error(
            "paid answer not recorded",
            request_key=key,
            endpoint=request.endpoint,
            credits=answer.credits,
            request_id=answer.request_id,
        )
        raise
    credits = answer.credits or 0
    stored, response = await _finish(ledger, client, request, answer, store)
    return PaidCallOutcome(
        key,
        PaidCallStatus.STORED,
        paid=True,
        credits_paid=credits,
        stored=stored,
        response=response,
    )

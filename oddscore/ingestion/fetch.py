"""Live collection: one paid call through the paid-call ledger, its answer through the pipeline.

A failed call is recorded in ``fetch_logs`` too (``success=False`` with the error code), so the
status dashboard and the quota projection see every attempt, not only the good ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from oddscore.clock import Clock, SystemClock
from oddscore.config import Settings, get_settings
from oddscore.exceptions import ProviderError, ProviderStatusError, StorageError
from oddscore.ingestion import store
from oddscore.ingestion.paid_calls import (
    SECRET_PARAM_NAMES,
    PaidCallOutcome,
    Recovery,
    paid_call,
    recover_paid_calls,
)
from oddscore.ingestion.pipeline import IngestOptions, IngestResult, ingest_response
from oddscore.ingestion.scores import ScoresResult, ingest_scores
from oddscore.logs import get_logger, redact
from oddscore.provider.client import PreparedRequest
from oddscore.provider.response import ApiResponse

__all__ = ["fetch_current", "fetch_scores", "record_failed_fetch", "recover_current"]

log = get_logger("oddscore.ingestion.fetch")
T = TypeVar("T")


async def record_failed_fetch(
    db: Any,
    exc: ProviderError,
    *,
    sport: str,
    flow_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    clock: Clock | None = None,
) -> None:
    """One failed provider call as a ``fetch_logs`` row (``success=False``), so success rates
    and the quota projection see every attempt, not only the good ones.

    Stores the endpoint path, the parameters without any credential, the HTTP status (None
    when no answer came), the provider's ``error_code`` (else the exception class) and the
    message, all redacted. Never raises for a database that is down: the provider error is
    what the caller is about to report, and it must not be masked.
    """
    clean = {
        str(name): redact(str(value))[:500]
        for name, value in (params or {}).items()
        if str(name).lower() not in SECRET_PARAM_NAMES
    }
    row = {
        "request_id": f"failed-{uuid.uuid4().hex}",
        "fetch_time": (clock or SystemClock()).now(),
        "endpoint": (exc.endpoint or "")[:200],
        "sport_key": sport[:64],
        "params": clean or None,
        "flow_name": flow_name,
        "status_code": exc.status_code if isinstance(exc, ProviderStatusError) else None,
        "success": False,
        "error_code": (
            (exc.error_code if isinstance(exc, ProviderStatusError) else None) or type(exc).__name__
        )[:64],
        "error_message": redact(str(exc))[:1000],
    }

    async def work(conn: Any) -> None:
        await store.insert_fetch_log(conn, row)

    try:
        await store.transaction(db, work)
    except StorageError as storage:
        log.warning("failed fetch not recorded", endpoint=row["endpoint"], error=str(storage))


def _odds_call(
    db: Any, client: Any, sport: str, settings: Settings | None, flow_name: str | None
) -> tuple[PreparedRequest, Callable[[ApiResponse[Any]], Awaitable[IngestResult]]]:
    """The ``/odds`` request for the configured books and markets, and how its answer is
    stored (one snapshot per event)."""
    settings = settings or get_settings()
    collection = settings.collection
    request = client.odds_request(
        sport,
        markets=collection.markets,
        bookmakers=collection.bookmakers or None,
        regions=collection.regions,
    )
    requested = request.params.get("bookmakers")
    options = IngestOptions.from_settings(
        settings,
        expected_bookmakers=tuple(requested.split(",")) if requested else None,
        odds_format=request.params.get("oddsFormat", settings.api.odds_format),
        flow_name=flow_name,
    )

    async def store_odds(response: ApiResponse[Any]) -> IngestResult:
        return await ingest_response(db, response, source="live", options=options)

    return request, store_odds


async def fetch_current(
    db: Any,
    client: Any,
    *,
    sport: str,
    settings: Settings | None = None,
    flow_name: str | None = None,
    slot: datetime | None = None,
) -> PaidCallOutcome[IngestResult]:
    """``/odds`` for the configured books and markets, stored as one snapshot per event.

    The call goes through the paid-call ledger (:mod:`oddscore.ingestion.paid_calls`) for
    ``slot`` (default: the current minute), so an answer paid for before is stored instead of
    paid for again.
    """
    request, store_odds = _odds_call(db, client, sport, settings, flow_name)
    return await _ledgered(db, client, request, sport, flow_name, slot, store_odds)


async def recover_current(
    db: Any,
    client: Any,
    *,
    sport: str,
    settings: Settings | None = None,
    flow_name: str | None = None,
) -> Recovery[IngestResult]:
    """Without paying: store the ``/odds`` answers a crashed run paid for and never stored,
    and settle the calls lost in flight (:func:`~oddscore.ingestion.paid_calls.recover_paid_calls`).
    """
    request, store_odds = _odds_call(db, client, sport, settings, flow_name)
    return await recover_paid_calls(db, client, request, store=store_odds)


async def fetch_scores(
    db: Any,
    client: Any,
    *,
    sport: str,
    days: int | None = None,
    flow_name: str | None = None,
    slot: datetime | None = None,
) -> PaidCallOutcome[ScoresResult]:
    """``/scores`` (``daysFrom`` = ``days``): results of finished games, live games marked;
    through the paid-call ledger like :func:`fetch_current`."""
    request = client.scores_request(sport, days_from=days)

    async def store_scores(response: ApiResponse[Any]) -> ScoresResult:
        return await ingest_scores(db, response, flow_name=flow_name)

    return await _ledgered(db, client, request, sport, flow_name, slot, store_scores)


async def _ledgered(
    db: Any,
    client: Any,
    request: PreparedRequest,
    sport: str,
    flow_name: str | None,
    slot: datetime | None,
    store: Callable[[ApiResponse[Any]], Awaitable[T]],
) -> PaidCallOutcome[T]:
    try:
        return await paid_call(
            db,
            client,
            request,
            slot=slot or client.clock.now(),
            store=store,
            flow_name=flow_name,
        )
    except ProviderError as exc:
        await record_failed_fetch(db, exc, sport=sport, flow_name=flow_name, params=request.params)
        raise

"""Live collection: call the provider once and push the response through the pipeline.

A failed call is recorded in ``fetch_logs`` too (``success=False`` with the error code), so the
status dashboard and the quota projection see every attempt, not only the good ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from oddscore.clock import Clock, SystemClock
from oddscore.config import Settings, get_settings
from oddscore.exceptions import ProviderError, ProviderStatusError, StorageError
from oddscore.ingestion import store
from oddscore.ingestion.pipeline import IngestOptions, IngestResult, ingest_response
from oddscore.ingestion.scores import ScoresResult, ingest_scores
from oddscore.logs import get_logger, redact

__all__ = ["fetch_current", "fetch_scores", "record_failed_fetch"]

log = get_logger("oddscore.ingestion.fetch")


_SECRET_NAMES = frozenset({"apikey", "api_key", "key", "token", "secret", "password"})


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
        if str(name).lower() not in _SECRET_NAMES
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


async def fetch_current(
    db: Any,
    client: Any,
    *,
    sport: str,
    settings: Settings | None = None,
    flow_name: str | None = None,
) -> IngestResult:
    """``/odds`` for the configured books and markets, stored as one snapshot per event."""
    settings = settings or get_settings()
    collection = settings.collection
    try:
        response = await client.odds(
            sport,
            markets=collection.markets,
            bookmakers=collection.bookmakers or None,
            regions=collection.regions,
        )
    except ProviderError as exc:
        await record_failed_fetch(db, exc, sport=sport, flow_name=flow_name)
        raise
    requested = response.params.get("bookmakers")
    options = IngestOptions.from_settings(
        settings,
        expected_bookmakers=tuple(requested.split(",")) if requested else None,
        odds_format=response.params.get("oddsFormat", settings.api.odds_format),
        flow_name=flow_name,
    )
    return await ingest_response(db, response, source="live", options=options)


async def fetch_scores(
    db: Any,
    client: Any,
    *,
    sport: str,
    days: int | None = None,
    flow_name: str | None = None,
) -> ScoresResult:
    """``/scores`` (``daysFrom`` = ``days``): results of finished games, live games marked."""
    try:
        response = await client.scores(sport, days_from=days)
    except ProviderError as exc:
        await record_failed_fetch(db, exc, sport=sport, flow_name=flow_name)
        raise
    return await ingest_scores(db, response)

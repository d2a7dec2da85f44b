"""Live collection: call the provider once and push the response through the pipeline.

A failed call is recorded in ``fetch_logs`` too (``success=False`` with the error code), so the
status dashboard and the quota projection see every attempt, not only the good ones.
"""

from __future__ import annotations

import uuid
from typing import Any

from oddscore.clock import SystemClock
from oddscore.config import Settings, get_settings
from oddscore.exceptions import ProviderError, ProviderStatusError
from oddscore.ingestion import store
from oddscore.ingestion.pipeline import IngestOptions, IngestResult, ingest_response
from oddscore.ingestion.scores import ScoresResult, ingest_scores

__all__ = ["fetch_current", "fetch_scores"]


async def _record_failure(db: Any, exc: ProviderError, sport: str, flow_name: str | None) -> None:
    row = {
        "request_id": f"failed-{uuid.uuid4().hex}",
        "fetch_time": SystemClock().now(),
        "endpoint": (exc.endpoint or "")[:200],
        "sport_key": sport,
        "flow_name": flow_name,
        "status_code": exc.status_code if isinstance(exc, ProviderStatusError) else None,
        "success": False,
        "error_code": (
            (exc.error_code if isinstance(exc, ProviderStatusError) else None) or type(exc).__name__
        )[:64],
        "error_message": str(exc)[:1000],
    }

    async def work(conn: Any) -> None:
        await store.insert_fetch_log(conn, row)

    await store.transaction(db, work)


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
        await _record_failure(db, exc, sport, flow_name)
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
        await _record_failure(db, exc, sport, flow_name)
        raise
    return await ingest_scores(db, response)

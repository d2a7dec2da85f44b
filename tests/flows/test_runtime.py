"""The Prefect side of the flows: transient-only retries, paid calls once per slot across
runs, the run logs, readable summary artifacts, and self-rescheduling without forks."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from prefect import flow, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.states import Failed

from flows._runtime import retry_transient, schedule_next
from flows.fetch_odds import FetchOddsParams, fetch_odds, fetch_odds_flow
from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.exceptions import (
    AuthenticationError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
    TransportError,
)
from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.planner import ceil_minute
from oddscore.storage.engine import Database


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (TransportError("reset"), True),
        (ServerError("502", status_code=502), True),
        (AuthenticationError("bad key", status_code=401), False),
        (NotFoundError("no such sport", status_code=404), False),
        (ValueError("a bug"), False),
        (MalformedResponseError("HTTP 200 body is not JSON"), False),
    ],
)
def test_only_transient_errors_are_retried(error: Exception, retry: bool) -> None:
    assert retry_transient(None, None, Failed(data=error)) is retry


@flow
async def _fetch_slot(sport: str, slot: datetime) -> dict[str, Any]:
    settings = get_settings()
    async with (
        Database.from_settings(settings.database) as db,
        OddsApiClient.from_settings(settings.api) as client,
    ):
        return await fetch_odds(db, client, sport, slot)


async def test_a_paid_call_is_made_once_per_slot_not_once_per_run(flow_env: str) -> None:
    """The ledger keys a paid call by its request and slot: a new flow run of the same slot
    pays nothing (Prefect's cache, keyed by the run, used to make it pay again)."""
    slot = ceil_minute(utcnow())
    first = await _fetch_slot("basketball_nba", slot)
    again = await _fetch_slot("basketball_nba", slot)
    later = await _fetch_slot("basketball_nba", slot + timedelta(minutes=30))
    assert (first["stored"], first["credits"]) == (True, 3)
    assert (again["stored"], again["credits"]) == (False, 0)
    assert "stored already" in again["note"]
    assert (later["stored"], later["credits"]) == (True, 3)  # a new slot pays for fresh odds


async def test_structlog_lines_reach_the_run_logs(flow_env: str) -> None:
    state = await fetch_odds_flow(FetchOddsParams(reschedule=False), return_state=True)
    run_id = state.state_details.flow_run_id
    from prefect.logging.handlers import APILogHandler

    await APILogHandler.aflush()
    async with get_client() as client:
        for _ in range(20):
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
            if any(log.name.startswith("oddscore") for log in logs):
                break
            await asyncio.sleep(0.5)
    names = {log.name for log in logs}
    assert any(name.startswith("oddscore") for name in names), names
    assert any("fetch-odds done" in log.message for log in logs)


async def test_reschedule_adds_one_run_per_slot_and_never_forks() -> None:
    deployment = await fetch_odds_flow.to_deployment(name="reschedule-test")
    deployment_id = await deployment.apply()
    name = "fetch-odds/reschedule-test"
    at = utcnow() + timedelta(hours=2, seconds=30)
    first = await schedule_next(name, at, reason="test")
    assert first["scheduled"] is True
    assert first["at"] == ceil_minute(at).isoformat()
    assert (await schedule_next(name, at, reason="again"))["scheduled"] is False
    assert (await schedule_next(name, at + timedelta(hours=1)))["scheduled"] is False
    earlier = await schedule_next(name, at - timedelta(hours=1))
    assert earlier["scheduled"] is True
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
            )
        )
    assert sorted(r.expected_start_time for r in runs) == sorted(
        [ceil_minute(at), ceil_minute(at - timedelta(hours=1))]
    )
    assert all(r.parent_task_run_id is None for r in runs)
    assert {r.idempotency_key for r in runs} == {
        f"{name}:{ceil_minute(at).strftime('%Y-%m-%dT%H:%MZ')}",
        f"{name}:{ceil_minute(at - timedelta(hours=1)).strftime('%Y-%m-%dT%H:%MZ')}",
    }


async def test_a_slot_whose_key_a_dead_run_used_still_gets_a_run_ahead() -> None:
    """A run scheduled for a slot crashed at its start; scheduling that slot again must leave
    the chain a waiting run (Prefect would answer the used key with the crashed run)."""
    deployment = await fetch_odds_flow.to_deployment(name="reschedule-reused-key")
    deployment_id = await deployment.apply()
    name = "fetch-odds/reschedule-reused-key"
    at = utcnow() + timedelta(hours=3, seconds=30)
    first = await schedule_next(name, at, reason="test")
    async with get_client() as client:
        await client.set_flow_run_state(first["flow_run_id"], Failed(), force=True)
        again = await schedule_next(name, at, reason="the run died")
        assert again["scheduled"] is True and again["flow_run_id"] != first["flow_run_id"]
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id])
            )
        )
    waiting = [r for r in runs if r.state is not None and r.state.is_scheduled()]
    assert [str(r.id) for r in waiting] == [again["flow_run_id"]]
    assert waiting[0].expected_start_time == ceil_minute(at)
    # A third call for the slot finds that run waiting and adds nothing.
    assert (await schedule_next(name, at, reason="duplicate"))["scheduled"] is False


async def test_outside_a_deployment_nothing_is_scheduled() -> None:
    result = await schedule_next(None, utcnow())
    assert result["scheduled"] is False


async def test_the_api_key_can_come_from_a_prefect_secret_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    from flows._runtime import load_api_key
    from oddscore.logs import redact

    monkeypatch.delenv("ODDS_API_KEY", raising=False)
    monkeypatch.setenv("ODDS_API_KEY_BLOCK", "odds-api-key-test")
    assert await load_api_key() is False  # no such block yet: nothing invented
    assert get_settings().api.key is None

    await Secret(value="block-held-key-5678").save("odds-api-key-test", overwrite=True)
    assert await load_api_key() is True
    key = get_settings().api.key
    assert key is not None and key.get_secret_value() == "block-held-key-5678"
    assert "block-held-key-5678" not in redact("GET /v4/sports key block-held-key-5678")

    # The environment wins over the block.
    monkeypatch.setenv("ODDS_API_KEY", "env-key-1234")
    assert await load_api_key() is False


async def test_summary_artifacts_say_the_reschedule_in_words() -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows._runtime import publish_summary

    facts = {
        "reschedule": {
            "scheduled": True,
            "at": "2026-11-29T18:05:00+00:00",
            "flow_run_id": "5b1c",
            "why": "2 game(s) need a snapshot",
        },
        "basketball_nba.stored": {"events": 3, "finals": 2, "live": 0},
        "note": "a | b",
    }

    @flow(name="summary-text-test")
    async def summarise() -> None:
        await publish_summary("summary-text-test", "summary-text-test", facts)

    await summarise()
    async with get_client() as client:
        [artifact] = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["summary-text-test"])),
            limit=1,
        )
    markdown = str(artifact.data)
    assert (
        "| reschedule | next run scheduled for 2026-11-29 18:05 UTC "
        "(2 game(s) need a snapshot) |" in markdown
    )
    assert "| basketball_nba.stored | events: 3, finals: 2, live: 0 |" in markdown
    assert "| note | a \\| b |" in markdown  # a pipe in a value does not break the table
    assert "{" not in markdown

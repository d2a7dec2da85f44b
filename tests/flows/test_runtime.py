"""The Prefect side of the flows: transient-only retries, the paid-call cache, the run
logs, and self-rescheduling without forks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

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
    StorageError,
    TransportError,
)
from oddscore.provider.client import OddsApiClient
from oddscore.scheduling.planner import ceil_minute


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
async def _twice(sport: str) -> list[str]:
    settings = get_settings()
    ids = []
    async with OddsApiClient.from_settings(settings.api) as client:
        for _ in range(2):
            response = await fetch_odds(client, sport, ["h2h"], ["pinnacle"])
            ids.append(response.request_id)
    return ids


async def test_a_paid_call_is_made_once_per_flow_run(flow_env: str) -> None:
    first = await _twice("basketball_nba")
    assert first[0] == first[1]  # the second call came from the cache, not the provider
    second = await _twice("basketball_nba")
    assert second[0] != first[0]  # a new run pays for fresh odds


SEEN: list[str] = []


@flow(retries=1, retry_delay_seconds=0)
async def _pays_then_the_database_fails(sport: str) -> list[str]:
    from prefect.runtime import flow_run

    async with OddsApiClient.from_settings(get_settings().api) as client:
        response = await fetch_odds(client, sport, ["h2h"], ["pinnacle"])
    SEEN.append(response.request_id)
    if flow_run.run_count == 1:
        raise StorageError("database down after the paid call")
    return SEEN


async def test_a_flow_retried_after_a_database_failure_reuses_the_paid_response(
    flow_env: str,
) -> None:
    SEEN.clear()
    seen = await _pays_then_the_database_fails("basketball_nba")
    assert len(seen) == 2
    assert seen[0] == seen[1]


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

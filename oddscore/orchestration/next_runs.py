"""The next scheduled flow runs, from the Prefect server's REST API (when there is one).

A short timeout and a plain answer when the server is not there: the status dashboard must
never hang or fail because the orchestrator is down or not configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oddscore.clock import parse_timestamp

if TYPE_CHECKING:
    import httpx

__all__ = ["NextRuns", "ScheduledRun", "next_runs_from_environment", "next_scheduled_runs"]

_WAITING = ["SCHEDULED", "PENDING"]


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    flow: str
    deployment: str | None
    name: str
    expected_start: datetime
    state: str


@dataclass(frozen=True, slots=True)
class NextRuns:
    """``runs`` when the server answered; otherwise ``problem`` says plainly why not."""

    api_url: str | None
    reachable: bool
    runs: list[ScheduledRun] = field(default_factory=list)
    problem: str | None = None


async def _names(http: httpx.AsyncClient, kind: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    from oddscore.orchestration.prefect_api import post

    if not ids:
        return {}
    items = await post(http, f"/{kind}/filter", {kind: {"id": {"any_": sorted(ids)}}})
    return {str(item["id"]): item for item in items}


async def next_scheduled_runs(
    api_url: str | None,
    *,
    api_key: str | None = None,
    limit: int = 10,
    timeout: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> NextRuns:
    """Scheduled and pending flow runs, soonest first, with their flow and deployment names.

    ``api_url`` is ``PREFECT_API_URL`` (``http://host:4200/api`` or a Cloud workspace URL);
    ``api_key`` is ``PREFECT_API_KEY`` for Prefect Cloud.
    """
    if not api_url:
        return NextRuns(None, False, problem="PREFECT_API_URL is not set: no Prefect server to ask")
    # Here, not at the top: without a server, `odds status show` needs no httpx.
    from oddscore.orchestration.prefect_api import API_ERRORS, api_client, post, unreachable

    base = api_url.rstrip("/")
    try:
        async with api_client(
            api_url, api_key=api_key, timeout=timeout, transport=transport
        ) as http:
            health = await http.get("/health")
            health.raise_for_status()
            runs = await post(
                http,
                "/flow_runs/filter",
                {
                    "flow_runs": {"state": {"type": {"any_": _WAITING}}},
                    "sort": "EXPECTED_START_TIME_ASC",
                    "limit": limit,
                },
            )
            deployments = await _names(
                http, "deployments", {str(r["deployment_id"]) for r in runs if r["deployment_id"]}
            )
            flows = await _names(http, "flows", {str(r["flow_id"]) for r in runs})
    except API_ERRORS as exc:
        return NextRuns(base, False, problem=unreachable(base, exc))
    scheduled = []
    for run in runs:
        when = run.get("expected_start_time") or run.get("next_scheduled_start_time")
        if when is None:
            continue
        deployment = deployments.get(str(run.get("deployment_id")))
        flow = flows.get(str(run.get("flow_id")), {})
        scheduled.append(
            ScheduledRun(
                flow=str(flow.get("name", "?")),
                deployment=None if deployment is None else str(deployment.get("name")),
                name=str(run.get("name", "")),
                expected_start=parse_timestamp(str(when)),
                state=str((run.get("state") or {}).get("type", run.get("state_type", "?"))),
            )
        )
    return NextRuns(base, True, scheduled)


async def next_runs_from_environment() -> NextRuns:
    """Ask the Prefect server of ``PREFECT_API_URL`` (only when set), with a short timeout."""
    import os

    return await next_scheduled_runs(
        os.environ.get("PREFECT_API_URL"), api_key=os.environ.get("PREFECT_API_KEY")
    )

"""The health of each self-scheduled chain, from the Prefect server's REST API.

For every deployment tagged ``self-scheduled``: its next waiting run, its last completed run,
how its last run ended, and whether it is stale (it has run, but nothing waits or runs now,
or its last run crashed). The credits paid today come from the paid-call ledger (the
caller adds them per flow, :func:`oddscore.queries.credits.credits_by_flow`).

Plain httpx with a short timeout, like :mod:`oddscore.orchestration.next_runs`, so that
``odds status`` stays free of ``import prefect`` and never hangs on a missing server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from oddscore.clock import parse_timestamp

if TYPE_CHECKING:
    import httpx

__all__ = [
    "CHAIN_COLUMNS",
    "ChainHealth",
    "ChainsReport",
    "chain_health",
    "chain_rows",
    "chains_markdown",
]

_AHEAD = ["SCHEDULED", "PENDING", "RUNNING"]
_ENDED = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]


@dataclass(frozen=True, slots=True)
class ChainHealth:
    flow: str
    deployment: str
    next_run: datetime | None = None
    running: bool = False
    last_completed: datetime | None = None
    last_state: str | None = None  # the state name of the latest run that ended
    last_ended: datetime | None = None
    credits_today: int = 0

    @property
    def stale(self) -> bool:
        """It has run, and nothing waits or runs now, or its last run crashed."""
        if self.last_state == "Crashed":
            return True
        started = self.last_state is not None or self.running
        return started and self.next_run is None and not self.running

    @property
    def status(self) -> str:
        if self.last_state == "Crashed" and not (self.next_run or self.running):
            return "STALE: last run crashed, no run waiting"
        if self.last_state == "Crashed":
            return "STALE: last run crashed (a run waits)"
        if self.stale:
            return "STALE: no run waiting"
        if self.running:
            return "running"
        if self.last_state is None and self.next_run is None:
            return "not started"
        return "ok"


@dataclass(frozen=True, slots=True)
class ChainsReport:
    """``chains`` when the server answered; otherwise ``problem`` says plainly why not."""

    api_url: str | None
    reachable: bool
    chains: list[ChainHealth] = field(default_factory=list)
    problem: str | None = None

    def with_credits(self, credits: dict[str, int]) -> ChainsReport:
        """The same report with each chain's credits paid today (by flow name)."""
        chains = [replace(c, credits_today=credits.get(c.flow, 0)) for c in self.chains]
        return replace(self, chains=chains)


def _when(value: Any) -> datetime | None:
    return None if not value else parse_timestamp(str(value))


async def _first_run(
    http: httpx.AsyncClient, deployment_id: str, states: list[str], sort: str
) -> dict[str, Any] | None:
    from oddscore.orchestration.prefect_api import post

    runs = await post(
        http,
        "/flow_runs/filter",
        {
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": states}}},
            "sort": sort,
            "limit": 1,
        },
    )
    return runs[0] if runs else None


async def _one_chain(http: httpx.AsyncClient, deployment: dict[str, Any], flow: str) -> ChainHealth:
    from oddscore.orchestration.prefect_api import post

    dep_id = str(deployment["id"])
    ahead = await post(
        http,
        "/flow_runs/filter",
        {
            "deployments": {"id": {"any_": [dep_id]}},
            "flow_runs": {"state": {"type": {"any_": _AHEAD}}},
            "sort": "EXPECTED_START_TIME_ASC",
            "limit": 20,
        },
    )
    waiting = [r for r in ahead if r.get("state_type") != "RUNNING"]
    ended = await _first_run(http, dep_id, _ENDED, "END_TIME_DESC")
    completed = await _first_run(http, dep_id, ["COMPLETED"], "END_TIME_DESC")
    return ChainHealth(
        flow=flow,
        deployment=str(deployment["name"]),
        next_run=_when(waiting[0].get("expected_start_time")) if waiting else None,
        running=any(r.get("state_type") == "RUNNING" for r in ahead),
        last_completed=_when(completed.get("end_time")) if completed else None,
        last_state=str(ended.get("state_name")) if ended else None,
        last_ended=_when(ended.get("end_time")) if ended else None,
    )


async def chain_health(
    api_url: str | None,
    *,
    api_key: str | None = None,
    timeout: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ChainsReport:
    """Every self-scheduled deployment's chain, sorted by flow and deployment name."""
    if not api_url:
        return ChainsReport(
            None, False, problem="PREFECT_API_URL is not set: no Prefect server to ask"
        )
    # Here, not at the top: without a server, `odds status show` needs no httpx.
    from oddscore.orchestration.prefect_api import API_ERRORS, api_client, post, unreachable
    from oddscore.orchestration.safety_net import CHAIN_TAG

    base = api_url.rstrip("/")
    try:
        async with api_client(
            api_url, api_key=api_key, timeout=timeout, transport=transport
        ) as http:
            deployments = await post(
                http, "/deployments/filter", {"deployments": {"tags": {"all_": [CHAIN_TAG]}}}
            )
            flow_ids = sorted({str(d["flow_id"]) for d in deployments})
            flows = (
                await post(http, "/flows/filter", {"flows": {"id": {"any_": flow_ids}}})
                if flow_ids
                else []
            )
            names = {str(f["id"]): str(f["name"]) for f in flows}
            chains = [
                await _one_chain(http, d, names.get(str(d["flow_id"]), "?")) for d in deployments
            ]
    except API_ERRORS as exc:
        return ChainsReport(base, False, problem=unreachable(base, exc))
    chains.sort(key=lambda c: (c.flow, c.deployment))
    return ChainsReport(base, True, chains)


def _at(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def chain_rows(report: ChainsReport) -> list[tuple[str, str, str, str, str, str]]:
    """One row per chain: chain, next run, last completed, last ended, credits, status."""
    return [
        (
            f"{c.flow}/{c.deployment}",
            "running now" if c.running and c.next_run is None else _at(c.next_run),
            _at(c.last_completed),
            "-" if c.last_state is None else f"{c.last_state} {_at(c.last_ended)}",
            f"{c.credits_today:,}",
            c.status,
        )
        for c in report.chains
    ]


CHAIN_COLUMNS = ("chain", "next run", "last completed", "last ended", "credits today", "status")


def chains_markdown(report: ChainsReport) -> str:
    """The chains as a markdown table (the ``chain-health`` artifact)."""
    if not report.reachable:
        return f"### Chains\n\nunknown: {report.problem}"
    lines = ["### Chains", "", "| " + " | ".join(CHAIN_COLUMNS) + " |"]
    lines.append("|" + "---|" * len(CHAIN_COLUMNS))
    for row in chain_rows(report):
        cells = [("**" + cell + "**") if cell.startswith("STALE") else cell for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    if not report.chains:
        lines.append("\nno self-scheduled deployment on this server")
    return "\n".join(lines)

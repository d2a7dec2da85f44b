"""The safety net of the self-scheduled chains, as Prefect automations (over the REST API).

A chain (fetch-odds, fetch-scores, update-status) lives as long as each run schedules the
next. Two Prefect automations keep it alive when a run dies without doing so:

* **zombie runs**: a run of an ``odds`` deployment whose flow-run heartbeats stop (its
  process or host is gone, so nobody reports its end) is set ``Crashed`` once no heartbeat
  or final state came for ``window`` after the last heartbeat. That also frees the
  deployment's concurrency slot the zombie held.
* **restart**, one per chain deployment (tag ``self-scheduled``): a ``Crashed`` or
  ``Failed`` run of that deployment starts a new run at once with ``safety_net: true``. That
  run first looks for a waiting run of its deployment; when one waits (a failed run that
  still scheduled its successor, a duplicate trigger) it ends at once, otherwise it does the
  chain's work and schedules the next run. With the deployment's concurrency limit of one,
  duplicate triggers are absorbed: never two runs, never zero.

``apply_safety_net`` replaces every automation tagged ``oddscore-safety-net`` with a fresh
set, so it is safe to run after every ``prefect deploy``. Heartbeats must be on in the runs
(``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``: 30 s in prefect.yaml, Prefect's minimum), well
shorter than the window.

Plain httpx, like :mod:`oddscore.orchestration.next_runs`: ``oddscore`` never imports
Prefect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from oddscore.exceptions import ConfigurationError
from oddscore.logs import redact
from oddscore.orchestration.prefect_api import api_client, post, unreachable

__all__ = [
    "CHAIN_TAG",
    "DEFAULT_WINDOW",
    "SAFETY_NET_TAG",
    "SafetyNet",
    "apply_safety_net",
    "restart_automation",
    "zombie_automation",
]

# Deployments whose runs schedule their own next run (prefect.yaml's `self_scheduled`).
CHAIN_TAG = "self-scheduled"
# Every deployment of the project carries it: the zombie rule watches only these runs.
PROJECT_TAG = "odds"
SAFETY_NET_TAG = "oddscore-safety-net"
DEFAULT_WINDOW = timedelta(minutes=5)
MIN_WINDOW = timedelta(seconds=60)  # two of Prefect's shortest heartbeat interval (30 s)
_FINAL = ["Completed", "Failed", "Cancelled", "Crashed"]


def zombie_automation(window: timedelta = DEFAULT_WINDOW) -> dict[str, Any]:
    """Runs of ``odds`` deployments silent for ``window`` after a heartbeat -> Crashed."""
    seconds = int(window.total_seconds())
    return {
        "name": "oddscore: mark silent runs crashed",
        "description": (
            f"A run of an odds deployment that sent no heartbeat and no final state for "
            f"{seconds} s after its last heartbeat lost its process or host: set it Crashed, "
            "which frees its concurrency slot and lets the restart automation continue its chain."
        ),
        "enabled": True,
        "tags": [SAFETY_NET_TAG],
        "trigger": {
            "type": "event",
            "posture": "Proactive",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {"prefect.resource.id": f"prefect.tag.{PROJECT_TAG}"},
            "after": ["prefect.flow-run.heartbeat"],
            "expect": ["prefect.flow-run.heartbeat", *(f"prefect.flow-run.{s}" for s in _FINAL)],
            "for_each": ["prefect.resource.id"],
            "threshold": 1,
            "within": seconds,
        },
        "actions": [
            {
                "type": "change-flow-run-state",
                "state": "CRASHED",
                "message": f"No heartbeat for {seconds} s: the run's process or host is gone.",
            }
        ],
    }


def restart_automation(deployment_id: str, deployment: str) -> dict[str, Any]:
    """A crashed or failed run of ``deployment`` starts a safety-net run of it at once."""
    return {
        "name": f"oddscore: restart {deployment} when a run dies",
        "description": (
            f"A Crashed or Failed run of {deployment} may have died before scheduling its "
            "successor: run the deployment with safety_net=true, which ends at once when a "
            "run already waits and otherwise continues the chain."
        ),
        "enabled": True,
        "tags": [SAFETY_NET_TAG],
        "trigger": {
            "type": "event",
            "posture": "Reactive",
            "match": {"prefect.resource.id": "prefect.flow-run.*"},
            "match_related": {"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
            "expect": ["prefect.flow-run.Crashed", "prefect.flow-run.Failed"],
            "threshold": 1,
            "within": 0,
        },
        "actions": [
            {
                "type": "run-deployment",
                "source": "selected",
                "deployment_id": deployment_id,
                "parameters": {"params": {"safety_net": True}},
            }
        ],
    }


@dataclass(slots=True)
class SafetyNet:
    """What :func:`apply_safety_net` left on the server."""

    api_url: str
    window_seconds: int
    automations: list[str] = field(default_factory=list)  # names, as created
    chains: list[str] = field(default_factory=list)  # "flow/deployment" covered
    removed: int = 0  # older safety-net automations replaced


async def _json(response: httpx.Response) -> Any:
    response.raise_for_status()
    return response.json() if response.content else None


async def apply_safety_net(
    api_url: str | None,
    *,
    api_key: str | None = None,
    window: timedelta = DEFAULT_WINDOW,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SafetyNet:
    """Replace the safety-net automations: one zombie rule, one restart per chain deployment.

    Raises :class:`ConfigurationError` when there is no server to talk to, the window is
    shorter than two heartbeats, or no chain deployment exists yet (deploy first).
    """
    if not api_url:
        raise ConfigurationError("PREFECT_API_URL is not set: no Prefect server to configure")
    if window < MIN_WINDOW:
        raise ConfigurationError(
            f"the safety-net window must be at least {int(MIN_WINDOW.total_seconds())} s "
            "(two of Prefect's shortest heartbeat intervals)"
        )
    base = api_url.rstrip("/")
    net = SafetyNet(base, int(window.total_seconds()))
    try:
        async with api_client(
            api_url, api_key=api_key, timeout=timeout, transport=transport
        ) as http:
            deployments = await post(
                http, "/deployments/filter", {"deployments": {"tags": {"all_": [CHAIN_TAG]}}}
            )
            if not deployments:
                raise ConfigurationError(
                    f"no deployment tagged {CHAIN_TAG!r} on {base}: run "
                    "`prefect --no-prompt deploy --all` first"
                )
            flows = await post(
                http,
                "/flows/filter",
                {"flows": {"id": {"any_": sorted({d["flow_id"] for d in deployments})}}},
            )
            flow_names = {str(f["id"]): str(f["name"]) for f in flows}
            wanted = [zombie_automation(window)]
            for deployment in sorted(deployments, key=lambda d: str(d["name"])):
                name = f"{flow_names.get(str(deployment['flow_id']), '?')}/{deployment['name']}"
                net.chains.append(name)
                wanted.append(restart_automation(str(deployment["id"]), name))
            existing = await post(
                http, "/automations/filter", {"automations": {"tags": {"all_": [SAFETY_NET_TAG]}}}
            )
            for automation in existing or []:
                await _json(await http.delete(f"/automations/{automation['id']}"))
                net.removed += 1
            for automation in wanted:
                await post(http, "/automations/", automation)
                net.automations.append(str(automation["name"]))
    except httpx.HTTPStatusError as exc:
        detail = redact(exc.response.text[:300])
        raise ConfigurationError(
            f"the Prefect API at {base} answered {exc.response.status_code}: {detail}"
        ) from exc
    except httpx.HTTPError as exc:
        raise ConfigurationError(unreachable(base, exc)) from exc
    return net

"""``odds deploy local``: the deployments of ``prefect.yaml`` and their safety net, in one step.

``prefect --no-prompt deploy --all`` alone cannot create the safety net: a deployment's
``triggers`` in prefect.yaml always run that deployment, which covers the per-chain restart
rule but not the zombie rule (its action sets a flow run's state). So this runs, in order:

1. the work pools ``prefect.yaml`` names, created only when missing (an existing pool, e.g.
   the ECS pool of ``odds deploy ecs``, keeps its template);
2. ``prefect --no-prompt deploy --all`` from the project directory;
3. :func:`oddscore.orchestration.safety_net.apply_safety_net`, which replaces the safety-net
   automations, so the whole command is safe to run again after every change.

Prefect is driven through its CLI and REST API: ``oddscore`` never imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from oddscore.exceptions import ConfigurationError
from oddscore.logs import redact
from oddscore.orchestration.prefect_api import api_client, post, unreachable
from oddscore.orchestration.safety_net import DEFAULT_WINDOW, SafetyNet, apply_safety_net

__all__ = ["DEFAULT_POOLS", "LocalDeployment", "deploy_local"]

# The pools prefect.yaml's deployments name, and the type each is created with when missing.
DEFAULT_POOLS: tuple[tuple[str, str], ...] = (("odds-local", "process"), ("odds-ecs", "ecs"))


@dataclass(slots=True)
class LocalDeployment:
    """What :func:`deploy_local` created or replaced."""

    pools_created: list[str] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)  # "flow/deployment"
    safety_net: SafetyNet | None = None


def _prefect(args: Sequence[str], project: Path, timeout: float) -> None:
    """``prefect ARGS`` from ``project`` (prefect.yaml resolves ``{{ $PWD }}`` from it)."""
    command = [sys.executable, "-m", "prefect", *args]
    try:
        done = subprocess.run(
            command,
            cwd=project,
            env={**os.environ, "PWD": str(project)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigurationError(f"`prefect {' '.join(args)}` took over {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = redact((done.stdout + done.stderr).strip()[-1500:])
        raise ConfigurationError(f"`prefect {' '.join(args)}` failed:\n{tail}")


async def _missing_pools(api_url: str, api_key: str | None, names: list[str]) -> list[str]:
    async with api_client(api_url, api_key=api_key, timeout=10) as http:
        missing = []
        for name in names:
            response = await http.get(f"/work_pools/{name}")
            if response.status_code == 404:
                missing.append(name)
            else:
                response.raise_for_status()
        return missing


async def _deployments(api_url: str, api_key: str | None) -> list[str]:
    async with api_client(api_url, api_key=api_key, timeout=10) as http:
        deployments = await post(http, "/deployments/filter", {})
        flows = await post(http, "/flows/filter", {})
    names = {str(f["id"]): str(f["name"]) for f in flows}
    return sorted(f"{names.get(str(d['flow_id']), '?')}/{d['name']}" for d in deployments)


async def deploy_local(
    api_url: str | None,
    *,
    project: Path,
    api_key: str | None = None,
    window: timedelta = DEFAULT_WINDOW,
    pools: Sequence[tuple[str, str]] = DEFAULT_POOLS,
    deploy_timeout: float = 600,
) -> LocalDeployment:
    """Create the missing work pools, deploy ``prefect.yaml`` and apply the safety net.

    Raises :class:`ConfigurationError` when there is no server, no prefect.yaml in
    ``project``, or a step fails (its output, redacted, is in the message).
    """
    if not api_url:
        raise ConfigurationError("PREFECT_API_URL is not set: no Prefect server to deploy to")
    if not (project / "prefect.yaml").is_file():
        raise ConfigurationError(f"no prefect.yaml in {project}: run it from the project folder")
    result = LocalDeployment()
    base = api_url.rstrip("/")
    try:
        missing = await _missing_pools(base, api_key, [name for name, _ in pools])
        for name, kind in pools:
            if name in missing:
                _prefect(["work-pool", "create", name, "--type", kind], project, 120)
                result.pools_created.append(f"{name} ({kind})")
        _prefect(["--no-prompt", "deploy", "--all"], project, deploy_timeout)
        result.deployments = await _deployments(base, api_key)
    except httpx.HTTPError as exc:
        raise ConfigurationError(unreachable(base, exc)) from exc
    result.safety_net = await apply_safety_net(base, api_key=api_key, window=window)
    return result

"""The end-to-end stack: a real Prefect server, the work pools, a process worker,
`prefect deploy --all`, and the simulator as the provider.

Everything runs in its own PREFECT_HOME and on free local ports; every process is stopped by
pid when the stack closes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.flows.processes import (
    ROOT,
    SIMULATOR_KEY,
    free_port,
    start,
    start_simulator,
    stop,
    wait_http,
)

DEPLOYMENT = "fetch-odds/fetch-odds-local"
PREFECT = str(Path(sys.executable).with_name("prefect"))
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class Retry503(httpx.BaseTransport):
    """The server answers 503 while its SQLite database is busy (a loaded machine); Prefect's
    own client retries those, and so does the test's."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(6):
            response = self.inner.handle_request(request)
            if response.status_code != 503:
                return response
            response.close()
            time.sleep(0.5 * 2**attempt)
        return response

    def close(self) -> None:
        self.inner.close()


class Stack:
    def __init__(self, api: str, env: dict[str, str], db_url: str, tmp: Path) -> None:
        self.api = api
        self.env = env
        self.db_url = db_url
        self.tmp = tmp
        self.http = httpx.Client(base_url=api, timeout=30, transport=Retry503())
        self.simulator_url = env.get("ODDS_API_BASE_URL", "")
        self.worker: subprocess.Popen[bytes] | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        self.workers_started = 0

    def cli(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [PREFECT, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def odds(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "oddscore", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"odds {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A (fresh) process worker on odds-local, logging to worker.log / worker-N.log."""
        self.workers_started += 1
        suffix = "" if self.workers_started == 1 else f"-{self.workers_started}"
        self.worker = start(
            [PREFECT, "worker", "start", "--pool", "odds-local", "--type", "process"],
            self.env,
            self.tmp / f"worker{suffix}.log",
        )
        self.processes.append(self.worker)
        return self.worker

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def deployment_id(self, name: str = DEPLOYMENT) -> str:
        response = self.http.get(f"/deployments/name/{name}")
        response.raise_for_status()
        return str(response.json()["id"])

    def runs(self, state: str | None = None, deployment: str = DEPLOYMENT) -> list[dict[str, Any]]:
        flow_runs: dict[str, Any] = {}
        if state:
            flow_runs["state"] = {"type": {"any_": [state]}}
        return list(
            self.post(
                "/flow_runs/filter",
                {
                    "deployments": {"id": {"any_": [self.deployment_id(deployment)]}},
                    "flow_runs": flow_runs,
                    "sort": "EXPECTED_START_TIME_ASC",
                },
            )
        )

    def run(self, deployment: str = DEPLOYMENT, *args: str) -> str:
        """`prefect deployment run` (extra CLI ``args``); returns the new run's id."""
        before = {run["id"] for run in self.runs(deployment=deployment)}
        self.cli("deployment", "run", deployment, *args)
        new = [run for run in self.runs(deployment=deployment) if run["id"] not in before]
        assert len(new) == 1, new
        return str(new[0]["id"])

    def flow_run(self, run_id: str) -> dict[str, Any]:
        response = self.http.get(f"/flow_runs/{run_id}")
        response.raise_for_status()
        return dict(response.json())

    def wait_final(self, run_id: str, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.flow_run(run_id)
            if run["state_type"] in FINAL:
                return run
            time.sleep(1)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s:\n{self.worker_log()}")

    def run_and_wait(self, timeout: float = 180) -> dict[str, Any]:
        """`prefect deployment run`, then wait for that run to complete."""
        run = self.wait_final(self.run(), timeout)
        assert run["state_type"] == "COMPLETED", (run["state"], self.worker_log())
        return run

    def worker_log(self) -> str:
        logs = sorted(self.tmp.glob("worker*.log"))
        return "\n".join(log.read_text()[-3000:] for log in logs)

    def summary(self, run_id: str) -> str:
        artifacts = self.post(
            "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
        )
        return "\n".join(str(a.get("data")) for a in artifacts)


@contextmanager
def running_stack(
    tmp: Path, *, db_url: str | None = None, env_extra: dict[str, str] | None = None
) -> Iterator[Stack]:
    """The whole stack, deployed (default odds database: a SQLite file in ``tmp``)."""
    home = tmp / "prefect-home"
    home.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    db_url = db_url or f"sqlite+aiosqlite:///{tmp / 'odds.db'}"
    base_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ODDS_", "DATABASE_"))
    }
    env = {
        **base_env,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "oddscore",
        "ODDS_ENV_FILE": "",
        "PWD": str(ROOT),  # prefect.yaml resolves {{ $PWD }} at deploy time
        "DATABASE_URL": db_url,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        **(env_extra or {}),
    }
    processes: list[subprocess.Popen[bytes]] = []
    stack: Stack | None = None
    try:
        server = start(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env,
            tmp / "server.log",
        )
        processes.append(server)
        simulator, base = start_simulator(tmp, env)
        processes.append(simulator)
        env.update(ODDS_API_BASE_URL=base, ODDS_API_KEY=SIMULATOR_KEY)
        wait_http(f"{api}/health", server, tmp / "server.log", timeout=180)
        stack = Stack(api, env, db_url, tmp)
        stack.cli("work-pool", "create", "odds-local", "--type", "process")
        stack.start_worker()  # it boots while the rest is deployed
        stack.cli("work-pool", "create", "odds-ecs", "--type", "ecs")
        stack.cli("--no-prompt", "deploy", "--all", timeout=300)
        yield stack
    finally:
        for process in reversed([*processes, *(stack.processes if stack else [])]):
            stop(process)

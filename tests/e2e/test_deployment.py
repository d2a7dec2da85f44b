"""End to end: a real Prefect server, work pools, a process worker, `prefect deploy --all`,
the simulator as the provider, and the self-rescheduling chain of fetch-odds.

Everything runs in its own PREFECT_HOME and on free local ports; every process is killed by
pid in teardown. About a minute on the 2-core CI box (see README).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.flows.processes import (
    ROOT,
    SIMULATOR_KEY,
    free_port,
    start,
    start_simulator,
    stop,
    wait_http,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEPLOYMENT = "fetch-odds/fetch-odds-local"
PREFECT = str(Path(sys.executable).with_name("prefect"))


class Stack:
    def __init__(self, api: str, env: dict[str, str], db_url: str, tmp: Path) -> None:
        self.api = api
        self.env = env
        self.db_url = db_url
        self.tmp = tmp
        self.http = httpx.Client(base_url=api, timeout=30)

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

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def deployment_id(self) -> str:
        response = self.http.get(f"/deployments/name/{DEPLOYMENT}")
        response.raise_for_status()
        return str(response.json()["id"])

    def runs(self, state: str | None = None) -> list[dict[str, Any]]:
        flow_runs: dict[str, Any] = {}
        if state:
            flow_runs["state"] = {"type": {"any_": [state]}}
        return list(
            self.post(
                "/flow_runs/filter",
                {
                    "deployments": {"id": {"any_": [self.deployment_id()]}},
                    "flow_runs": flow_runs,
                    "sort": "EXPECTED_START_TIME_ASC",
                },
            )
        )

    def run_and_wait(self, timeout: float = 180) -> dict[str, Any]:
        """`prefect deployment run`, then wait for that run to finish."""
        before = {run["id"] for run in self.runs()}
        self.cli("deployment", "run", DEPLOYMENT)
        new = [run for run in self.runs() if run["id"] not in before]
        assert len(new) == 1, new
        run_id = new[0]["id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.http.get(f"/flow_runs/{run_id}").json()
            if run["state_type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
                assert run["state_type"] == "COMPLETED", (run["state"], self.worker_log())
                return dict(run)
            time.sleep(1)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s:\n{self.worker_log()}")

    def worker_log(self) -> str:
        return (self.tmp / "worker.log").read_text()[-4000:]

    def summary(self, run_id: str) -> str:
        artifacts = self.post(
            "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
        )
        return "\n".join(str(a.get("data")) for a in artifacts)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("e2e")
    home = tmp / "prefect-home"
    home.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    db_url = f"sqlite+aiosqlite:///{tmp / 'odds.db'}"
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
    }
    processes: list[subprocess.Popen[bytes]] = []
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
        # the worker boots while the rest is deployed
        worker = start(
            [PREFECT, "worker", "start", "--pool", "odds-local", "--type", "process"],
            env,
            tmp / "worker.log",
        )
        processes.append(worker)
        stack.cli("work-pool", "create", "odds-ecs", "--type", "ecs")
        stack.cli("--no-prompt", "deploy", "--all", timeout=300)
        yield stack
    finally:
        for process in reversed(processes):
            stop(process)


async def _expected_slot(db_url: str, planned_at: datetime) -> datetime:
    """What the intelligence computes from the stored state at the flow's planning time."""
    from oddscore.scheduling.planner import decide_odds, next_slot
    from oddscore.scheduling.policy import SchedulePolicy
    from oddscore.scheduling.state import load_games, load_quota
    from oddscore.storage.engine import Database

    policy = SchedulePolicy()
    async with Database.from_url(db_url, null_pool=True) as db, db.session() as session:
        games = await load_games(
            session, sport_key="basketball_nba", now=planned_at, past=policy.season_gap
        )
        quota = await load_quota(session, now=planned_at)
    return next_slot(decide_odds(games, planned_at, policy, quota).at, planned_at, policy)


async def _count_odds(db_url: str) -> int:
    from sqlalchemy import func, select

    from oddscore.storage.engine import Database
    from oddscore.storage.models import Odds

    async with Database.from_url(db_url, null_pool=True) as db, db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Odds))).scalar_one())


def _field(summary: str, name: str) -> str:
    line = next(line for line in summary.splitlines() if line.startswith(f"| {name} |"))
    return line.split("|")[2].strip()


def test_deployed_fetch_odds_runs_stores_and_schedules_exactly_one_next(stack: Stack) -> None:
    from oddscore.clock import parse_timestamp

    deployed = stack.post("/deployments/filter", {})
    assert {d["name"] for d in deployed} >= {
        "fetch-odds-local",
        "fetch-scores-local",
        "update-status-local",
        "backtest-local",
        "backfill-local",
        "fetch-odds-ecs",
    }

    first = stack.run_and_wait()
    assert asyncio.run(_count_odds(stack.db_url)) > 0
    summary = stack.summary(first["id"])
    assert _field(summary, "basketball_nba.fetched") == "True"

    scheduled = stack.runs("SCHEDULED")
    assert len(scheduled) == 1, scheduled
    next_run = scheduled[0]
    assert "auto-rescheduled" in next_run["tags"]
    assert next_run["parent_task_run_id"] is None
    expected_start = parse_timestamp(next_run["expected_start_time"])
    assert expected_start == parse_timestamp(_field(summary, "next_run"))
    planned_at = parse_timestamp(_field(summary, "planned_at"))
    assert expected_start == asyncio.run(_expected_slot(stack.db_url, planned_at))

    assert _field(summary, "reschedule").startswith("next run scheduled for ")

    # A manual run in the middle of the chain does not fork a second chain: it finds a run
    # waiting (the one above, or, if that one already ran, the one it scheduled; the
    # deployment's concurrency limit of 1 keeps the two from overlapping) and adds none.
    second = stack.run_and_wait()
    assert _field(stack.summary(second["id"]), "reschedule").startswith("not scheduled for "), (
        "a manual run in the middle of the chain scheduled a second chain"
    )
    again = stack.runs("SCHEDULED")
    assert len(again) == 1, again

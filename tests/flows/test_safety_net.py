"""The safety net's automations and the chains' health, against the session's real Prefect
test server (REST, as ``oddscore`` talks to it): no mock of Prefect."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.clock import utcnow
from oddscore.exceptions import ConfigurationError
from oddscore.orchestration.chains import chain_health, chains_markdown
from oddscore.orchestration.safety_net import SAFETY_NET_TAG, apply_safety_net
from oddscore.storage.engine import Database
from oddscore.storage.models import PaidCall


def api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the Prefect test server is not running"
    return str(url)


def post(path: str, body: dict[str, Any]) -> Any:
    # The test server answers 503 when its SQLite database is busy (a loaded machine); Prefect's
    # own client retries those, and so does this helper.
    for attempt in range(6):
        response = httpx.post(f"{api_url()}{path}", json=body, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(0.5 * 2**attempt)
    response.raise_for_status()
    return response.json() if response.content else None


def deployment(flow: str, name: str, tags: list[str]) -> str:
    flow_id = post("/flows/", {"name": flow})["id"]
    return str(post("/deployments/", {"name": name, "flow_id": flow_id, "tags": tags})["id"])


def flow_run(deployment_id: str, state: dict[str, Any]) -> str:
    run = post(f"/deployments/{deployment_id}/create_flow_run", {"state": state})
    return str(run["id"])


def end_as(run_id: str, state_type: str, name: str) -> None:
    post(f"/flow_runs/{run_id}/set_state", {"state": {"type": "RUNNING"}, "force": True})
    post(
        f"/flow_runs/{run_id}/set_state",
        {"state": {"type": state_type, "name": name}, "force": True},
    )


def ours() -> list[dict[str, Any]]:
    return list(post("/automations/filter", {"automations": {"tags": {"all_": [SAFETY_NET_TAG]}}}))


def test_apply_creates_one_zombie_rule_and_one_restart_per_chain_and_replaces_them() -> None:
    suffix = uuid.uuid4().hex[:8]
    chain = deployment("net-chain", f"chain-{suffix}", ["odds", "self-scheduled"])
    deployment("net-chain", f"backtest-{suffix}", ["odds", "analysis"])  # not a chain

    net = asyncio.run(apply_safety_net(api_url(), window=timedelta(seconds=90)))
    assert f"net-chain/chain-{suffix}" in net.chains
    assert not any(name.endswith(f"backtest-{suffix}") for name in net.chains)
    created = ours()
    assert len(created) == len(net.automations) == len(net.chains) + 1

    zombie = next(a for a in created if a["name"] == "oddscore: mark silent runs crashed")
    trigger = zombie["trigger"]
    assert (trigger["posture"], trigger["within"]) == ("Proactive", 90.0)
    assert trigger["after"] == ["prefect.flow-run.heartbeat"]
    assert "prefect.flow-run.heartbeat" in trigger["expect"]
    assert "prefect.flow-run.Completed" in trigger["expect"]
    assert trigger["for_each"] == ["prefect.resource.id"]
    assert zombie["actions"][0]["type"] == "change-flow-run-state"
    assert zombie["actions"][0]["state"] == "CRASHED"

    restart = next(a for a in created if a["name"].endswith(f"chain-{suffix} when a run dies"))
    assert restart["trigger"]["posture"] == "Reactive"
    assert set(restart["trigger"]["expect"]) == {
        "prefect.flow-run.Crashed",
        "prefect.flow-run.Failed",
    }
    assert restart["trigger"]["match_related"] == {
        "prefect.resource.id": f"prefect.deployment.{chain}"
    }
    action = restart["actions"][0]
    assert (action["type"], action["deployment_id"]) == ("run-deployment", chain)
    assert action["parameters"] == {"params": {"safety_net": True}}

    again = asyncio.run(apply_safety_net(api_url(), window=timedelta(seconds=90)))
    assert again.removed == len(created)
    assert len(ours()) == len(created)  # replaced, not duplicated


def test_apply_refuses_a_window_shorter_than_two_heartbeats_and_a_missing_server() -> None:
    with pytest.raises(ConfigurationError, match="at least 60 s"):
        asyncio.run(apply_safety_net(api_url(), window=timedelta(seconds=30)))
    with pytest.raises(ConfigurationError, match="PREFECT_API_URL is not set"):
        asyncio.run(apply_safety_net(None))


def test_chain_health_marks_a_crashed_chain_stale_and_a_waiting_one_ok() -> None:
    suffix = uuid.uuid4().hex[:8]
    dead = deployment("net-health", f"dead-{suffix}", ["odds", "self-scheduled"])
    alive = deployment("net-health", f"alive-{suffix}", ["odds", "self-scheduled"])
    idle = deployment("net-health", f"idle-{suffix}", ["odds", "self-scheduled"])
    del idle  # deployed, never run: not started, not stale
    end_as(flow_run(dead, {"type": "SCHEDULED"}), "COMPLETED", "Completed")
    end_as(flow_run(dead, {"type": "SCHEDULED"}), "CRASHED", "Crashed")
    end_as(flow_run(alive, {"type": "SCHEDULED"}), "COMPLETED", "Completed")
    at = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    flow_run(alive, {"type": "SCHEDULED", "state_details": {"scheduled_time": at.isoformat()}})

    report = asyncio.run(chain_health(api_url(), timeout=10))
    assert report.reachable, report.problem
    chains = {c.deployment: c for c in report.chains if c.deployment.endswith(suffix)}
    assert chains[f"dead-{suffix}"].stale
    assert chains[f"dead-{suffix}"].status == "STALE: last run crashed, no run waiting"
    assert chains[f"dead-{suffix}"].last_completed is not None
    assert chains[f"alive-{suffix}"].next_run == at
    assert (chains[f"alive-{suffix}"].stale, chains[f"alive-{suffix}"].status) == (False, "ok")
    assert chains[f"idle-{suffix}"].status == "not started"
    assert not chains[f"idle-{suffix}"].stale
    markdown = chains_markdown(report.with_credits({"net-health": 7}))
    dead_row = next(line for line in markdown.splitlines() if f"dead-{suffix}" in line)
    assert "**STALE: last run crashed, no run waiting**" in dead_row
    assert "| 7 |" in dead_row


def test_chain_health_without_a_server_says_so() -> None:
    report = asyncio.run(chain_health(None))
    assert not report.reachable
    assert "PREFECT_API_URL is not set" in (report.problem or "")


def test_status_show_lists_each_chain_with_its_credits_today(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    dead = deployment("fetch-odds", f"status-{suffix}", ["odds", "self-scheduled"])
    end_as(flow_run(dead, {"type": "SCHEDULED"}), "CRASHED", "Crashed")
    now = utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

    async def ledger() -> None:
        async with Database.from_url(db_url, null_pool=True) as db, db.session() as session:
            for key, credits, created in (
                ("a", 3, midnight + (now - midnight) / 2),  # today, at any time of day
                ("b", 5, midnight - timedelta(minutes=1)),  # yesterday: not counted
            ):
                session.add(
                    PaidCall(
                        request_key=f"{key}{suffix}",
                        request_hash=f"{key}{suffix}",
                        endpoint="/v4/sports/basketball_nba/odds",
                        slot=created,
                        flow_name="fetch-odds",
                        status="stored",
                        credits=credits,
                        claimed_at=created,
                        created_at=created,
                    )
                )
            await session.commit()

    asyncio.run(ledger())
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PREFECT_API_URL", api_url())
    result = CliRunner().invoke(app, ["status", "show"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "self-scheduled chains" in result.output
    assert "STALE:" in result.output  # the console wraps the table at its own width

    result = CliRunner().invoke(app, ["status", "show", "--json"])
    assert result.exit_code == 0, result.output
    import json

    chains = json.loads(result.output)["chains"]["chains"]
    mine = next(c for c in chains if c["deployment"] == f"status-{suffix}")
    assert (mine["stale"], mine["credits_today"], mine["last_state"]) == (True, 3, "Crashed")


def _waiting(deployment_id: str) -> list[dict[str, Any]]:
    return list(
        post(
            "/flow_runs/filter",
            {
                "deployments": {"id": {"any_": [deployment_id]}},
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED", "PENDING"]}}},
            },
        )
    )


def _run_params(deployment_id: str, state_type: str, safety_net: bool, idle: bool = False) -> None:
    params = {"params": {"safety_net": safety_net}}
    tags = ["safety-net-idle"] if idle else []
    run = post(
        f"/deployments/{deployment_id}/create_flow_run",
        {"state": {"type": "SCHEDULED"}, "parameters": params, "tags": tags},
    )
    end_as(str(run["id"]), state_type, state_type.title())


def test_a_crash_loop_is_restarted_with_exponential_back_off_and_one_run_per_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The restarted run of a chain whose runs keep dying schedules the chain's one run later
    (60 s, then 120 s, capped at 150 s here) instead of working now; a duplicate trigger still
    ends at once; the idle runs (alive, backed off) are tagged and not counted, and one
    completed run that did the work ends the streak."""
    from flows._runtime import safety_net_gate
    from oddscore.config import get_settings

    suffix = uuid.uuid4().hex[:8]
    chain = deployment("fetch-odds", f"loop-{suffix}", ["odds", "self-scheduled"])
    current = post(f"/deployments/{chain}/create_flow_run", {"state": {"type": "RUNNING"}})
    # The gate runs as the safety-net run of this deployment (Prefect's runtime overrides).
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__NAME", f"loop-{suffix}")
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__FLOW_NAME", "fetch-odds")
    monkeypatch.setenv("PREFECT__RUNTIME__FLOW_RUN__ID", str(current["id"]))
    monkeypatch.setenv("SAFETY_NET_BACKOFF_AFTER", "2")
    monkeypatch.setenv("SAFETY_NET_BACKOFF_SECONDS", "60")
    monkeypatch.setenv("SAFETY_NET_BACKOFF_CAP_SECONDS", "150")
    get_settings.cache_clear()

    from prefect import flow

    @flow(name="safety-net-gate-probe")
    async def probe() -> dict[str, Any] | None:
        # Inside a flow run, as in production (the summary artifact needs one).
        return await safety_net_gate("fetch-odds", safety_net=True)

    def gate() -> dict[str, Any] | None:
        return asyncio.run(probe())

    def wait_of(summary: dict[str, Any] | None) -> float:
        assert summary is not None
        [run] = _waiting(chain)  # exactly one run ahead, never two
        assert summary["reschedule"]["flow_run_id"] == run["id"]
        start = datetime.fromisoformat(run["expected_start_time"])
        return (start - utcnow()).total_seconds()

    _run_params(chain, "COMPLETED", safety_net=False)
    _run_params(chain, "CRASHED", safety_net=False)
    assert gate() is None  # one crash: restarted now (the caller does the work)
    _run_params(chain, "FAILED", safety_net=True)  # the restart died too: two in a row
    first = gate()
    assert first is not None and first["safety_net"].startswith("2 runs in a row crashed")
    assert 0 < wait_of(first) <= 60 + 60  # 60 s, rounded up to the minute slot

    # A duplicate trigger finds the chain alive and schedules nothing.
    alive = gate()
    assert alive is not None and alive["safety_net"].startswith("the chain is alive")
    assert len(_waiting(chain)) == 1

    # That run dies at its start too (the completed back-off run is not counted): 120 s.
    [waiting] = _waiting(chain)
    end_as(waiting["id"], "CRASHED", "Crashed")
    _run_params(chain, "COMPLETED", safety_net=True, idle=True)  # like the back-off run above
    second = gate()
    assert second is not None and second["safety_net"].startswith("3 runs in a row")
    assert 60 < wait_of(second) <= 120 + 60

    # Capped.
    [waiting] = _waiting(chain)
    end_as(waiting["id"], "CRASHED", "Crashed")
    third = gate()
    assert third is not None and third["safety_net"].endswith("back-off 150 s")
    assert 90 < wait_of(third) <= 150 + 60

    # A safety-net run that did the work (not idle) ends the streak: the next death restarts
    # at once.
    [waiting] = _waiting(chain)
    end_as(waiting["id"], "CRASHED", "Crashed")
    _run_params(chain, "COMPLETED", safety_net=True)
    _run_params(chain, "CRASHED", safety_net=False)
    assert gate() is None

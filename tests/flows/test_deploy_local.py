"""``odds deploy local`` against the session's real Prefect test server: the missing work
pools, every deployment of prefect.yaml and the safety net in one command, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.orchestration.safety_net import SAFETY_NET_TAG
from tests.flows.test_safety_net import api_url, post

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # `prefect deploy --all` loads every flow: ~20 s here


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["deploy", "local", *args], terminal_width=200)
    return result.exit_code, result.output


def test_deploy_local_deploys_everything_and_creates_the_safety_net_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", api_url())
    code, out = _invoke("--project", str(ROOT), "--window", "90", "--json")
    assert code == 0, out
    first = json.loads(out)
    assert {"fetch-odds/fetch-odds-local", "fetch-scores/fetch-scores-local"} <= set(
        first["deployments"]
    )
    net = first["safety_net"]
    assert net["window_seconds"] == 90
    assert "fetch-odds/fetch-odds-local" in net["chains"]
    assert "oddscore: mark silent runs crashed" in net["automations"]
    assert "oddscore: restart fetch-odds/fetch-odds-local when a run dies" in net["automations"]
    pools = {p["name"]: p["type"] for p in post("/work_pools/filter", {})}
    assert (pools.get("odds-local"), pools.get("odds-ecs")) == ("process", "ecs")
    on_server = post("/automations/filter", {"automations": {"tags": {"all_": [SAFETY_NET_TAG]}}})
    assert sorted(a["name"] for a in on_server) == sorted(net["automations"])

    # Again: nothing duplicated, the pools kept, the automations replaced one for one.
    code, out = _invoke("--project", str(ROOT), "--window", "90")
    assert code == 0, out
    assert "work pool" not in out  # no pool created the second time
    assert f"{len(on_server)} older automation(s) replaced" in " ".join(out.split())
    again = post("/automations/filter", {"automations": {"tags": {"all_": [SAFETY_NET_TAG]}}})
    assert len(again) == len(on_server)
    assert len(post("/deployments/filter", {})) == len(first["deployments"])


def test_deploy_local_refuses_a_folder_without_prefect_yaml_and_a_missing_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", api_url())
    code, out = _invoke("--project", str(tmp_path))
    assert code == 1 and "no prefect.yaml in" in out, out
    monkeypatch.delenv("PREFECT_API_URL")
    code, out = _invoke("--project", str(ROOT))
    assert code == 1 and "PREFECT_API_URL is not set" in out, out

"""Next scheduled runs from Prefect's REST API: said plainly when there is no server."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.orchestration.next_runs import next_scheduled_runs


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_without_prefect_api_url_it_says_so() -> None:
    result = await next_scheduled_runs(None)
    assert not result.reachable
    assert result.problem is not None and "PREFECT_API_URL is not set" in result.problem


async def test_an_unreachable_server_answers_quickly_and_plainly() -> None:
    url = f"http://127.0.0.1:{closed_port()}/api"
    started = time.monotonic()
    result = await next_scheduled_runs(url, timeout=1.0)
    assert time.monotonic() - started < 5
    assert not result.reachable and result.runs == []
    assert (
        result.problem is not None and "did not answer" in result.problem and url in result.problem
    )


def test_status_show_says_it_when_prefect_is_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'odds.db'}")
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port()}/api")
    result = CliRunner().invoke(app, ["status", "show"], terminal_width=200)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # the console wraps at its own width
    assert "next scheduled runs: unknown" in text
    assert "did not answer" in text
    assert "fetches by flow" in text
    assert "projected month-end use" in text


def test_status_show_json_carries_the_health_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'odds.db'}")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = CliRunner().invoke(app, ["status", "show", "--json", "--at", "2025-01-17T12:00Z"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["now"].startswith("2025-01-17T12:00")
    assert data["flows"] == []
    assert data["validation"]["snapshots"] == 0 and data["validation"]["warning_rate"] is None
    assert data["projection"]["plan"] == 20_000
    assert data["projection"]["reset_at"].startswith("2025-02-01")
    assert data["next_runs"]["reachable"] is False
    assert "PREFECT_API_URL is not set" in data["next_runs"]["problem"]

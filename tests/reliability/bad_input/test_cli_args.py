"""Bad command lines: exit 1 with one red ``error:`` line, or Click's exit 2; never a traceback.

The ``cli`` cases of ``cases.json`` run in-process (``CliRunner``) on both backends, with a
stored game and a provider URL nobody listens on (a command that wrongly calls it fails
fast instead of spending anything). Two cases also run as a real ``odds`` process, where a
traceback would show on stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from oddscore.config import get_settings
from oddscore.storage.engine import Database
from tests.reliability.bad_input.helpers import HERE, manifest, store_base_payload

CASES = manifest()["cli"]
UNREACHABLE = "http://127.0.0.1:9"


def _args(case: dict[str, Any], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)).replace("{corpus}", str(HERE)) for a in case["args"]]


@pytest.fixture
async def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    async with Database.from_url(db_url, null_pool=True) as db:
        await store_base_payload(db)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", "bad-input-cli-key")
    monkeypatch.setenv("ODDS_API_BASE_URL", UNREACHABLE)
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "0")
    get_settings.cache_clear()
    return db_url


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_bad_command_line(
    cli_env: str, case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oddscore.cli.app import app

    for name, value in case.get("env", {}).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, _args(case, tmp_path), terminal_width=400)
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code == case["exit"], output
    if case["exit"] == 1:
        # Warnings are logged as JSON records on stderr; the error itself is one plain line.
        lines = [
            line
            for line in output.splitlines()
            if line.strip() and not line.lstrip().startswith("{")
        ]
        assert len(lines) == 1 and lines[0].startswith("error: "), output
        assert re.search(case["match"], lines[0]), lines[0]
    else:
        # Click's error in Rich's box: the message may wrap inside it at the terminal's width.
        message = " ".join(output.replace("│", " ").split())
        assert "Invalid value for" in message and case["match"] in message, output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["schedule", "simulate", "--events", str(HERE / "payloads" / "not_json.txt")], "JSON"),
        (["simulator", "serve", "--port", "99999"], "--port"),
    ],
    ids=["events-not-json", "port-out-of-range"],
)
def test_a_real_odds_process_prints_no_traceback(
    args: list[str], needle: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "ODDS_ENV_FILE": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'odds.db'}",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "oddscore", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode in (1, 2)
    assert "Traceback" not in done.stdout + done.stderr
    assert needle in done.stderr, done.stderr

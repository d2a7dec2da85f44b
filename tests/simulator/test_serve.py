"""``odds simulator serve`` as a real server on a free port, queried over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.simulator.conftest import BOOKS

KEY = "served-key-4f1c"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    env = {**os.environ, "ODDS_ENV_FILE": "", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "oddscore", "simulator", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--api-key", KEY, "--seed", "3", "--quota", "100"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/v4/sports", params={"apiKey": KEY}, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    output, _ = process.communicate(timeout=10)
                    raise AssertionError(f"the simulator did not start: {output}") from None
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_answers_the_acceptance_request_over_http(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = served
    params = {
        "apiKey": KEY,
        "bookmakers": BOOKS,
        "markets": "h2h,spreads,totals",
        "oddsFormat": "american",
    }
    response = httpx.get(f"{base}/v4/sports/basketball_nba/odds", params=params, timeout=10)
    assert response.status_code == 200
    assert response.headers["x-requests-last"] == "3"
    assert response.headers["x-requests-remaining"] == "97"
    assert {b["key"] for e in response.json() for b in e["bookmakers"]} == set(BOOKS.split(","))
    wrong = httpx.get(f"{base}/v4/sports", params={"apiKey": "nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error_code"] == "INVALID_KEY"

    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert f"listening on {base}" in output
    assert KEY not in output  # neither the banner nor an access log shows the key


def test_key_comes_from_the_option_then_the_settings_then_the_demo_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from oddscore.config import get_settings
    from oddscore.simulator import DEMO_API_KEY, resolve_api_key

    assert resolve_api_key()[0] == DEMO_API_KEY
    monkeypatch.setenv("ODDS_API_KEY", "from-the-environment")
    get_settings.cache_clear()
    assert resolve_api_key()[0] == "from-the-environment"
    assert resolve_api_key("explicit") == ("explicit", "--api-key")

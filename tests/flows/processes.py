"""Background processes for flow and end-to-end tests: free ports, start, wait, kill by pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SIMULATOR_KEY = "flows-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    """Start ``args`` in its own process group, output to ``log``."""
    handle = log.open("wb")
    return subprocess.Popen(
        args, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout}s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM the process group by pid, then SIGKILL what is left."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=grace)


def start_simulator(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``odds simulator serve`` on a free port; returns the process and its base URL."""
    port = free_port()
    log = tmp / "simulator.log"
    process = start(
        [
            sys.executable,
            "-m",
            "oddscore",
            "simulator",
            "serve",
            "--port",
            str(port),
            "--api-key",
            SIMULATOR_KEY,
            "--seed",
            "7",
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"
    wait_http(f"{base}/v4/sports?apiKey={SIMULATOR_KEY}", process, log, timeout=60)
    return process, base

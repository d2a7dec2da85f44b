"""Flow tests: ONE Prefect test server for the whole session, the simulator as a subprocess.

The harness starts a subprocess API server (~20 s on this 2-core box, so the timeout is
generous); heartbeats are turned off because they add ~1 s to every sync flow run. structlog
reaches the run logs only with ``PREFECT_LOGGING_EXTRA_LOGGERS`` set before Prefect configures
logging, hence the environment at import time.
"""

from __future__ import annotations

import os

from tests.prefect_env import isolate_prefect

isolate_prefect()

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from oddscore.config import get_settings  # noqa: E402
from tests.flows.processes import SIMULATOR_KEY, start_simulator, stop  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def prefect_server() -> Iterator[None]:
    """The session's Prefect test server; tests/reliability's when it came first (an xdist
    worker runs the slow tests of any folder first). Never a second server in one session."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    if SubprocessASGIServer._instances.get(None) is not None:  # noqa: SLF001
        yield
        return
    with prefect_test_harness(server_startup_timeout=180):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@pytest.fixture(scope="session")
def simulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {**os.environ, "ODDS_ENV_FILE": ""}
    process, base = start_simulator(Path(tmp_path_factory.mktemp("simulator")), env)
    try:
        yield base
    finally:
        stop(process)


@pytest.fixture
def flow_env(db_url: str, simulator_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Settings of a flow run: the simulator as the provider, an empty migrated database."""
    monkeypatch.setenv("ODDS_API_BASE_URL", simulator_url)
    monkeypatch.setenv("ODDS_API_KEY", SIMULATOR_KEY)
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url

"""Prefect's environment for a test session; conftests that lead to Prefect call it first.

Prefect reads these when it is first imported (structlog reaches the run logs only with
``PREFECT_LOGGING_EXTRA_LOGGERS`` set before Prefect configures logging), so this module
imports nothing of Prefect and must run before anything that does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile


def isolate_prefect() -> None:
    """A throwaway ``PREFECT_HOME`` (unless one is set), oddscore's logs in the run logs."""
    if "PREFECT_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="oddscore-prefect-home-")
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        os.environ["PREFECT_HOME"] = home
    os.environ["PREFECT_LOGGING_EXTRA_LOGGERS"] = "oddscore"
    # Library code called by a test outside any run (schedule_next) logs too: not an error.
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

"""``odds demo``: the whole product on one machine, in virtual time, with no key and no server.

:func:`~oddscore.demo.runner.run_demo` builds a fresh SQLite database, starts the simulator
in-process with a frozen clock that the client, the ingestion pipeline and the planners share
(:mod:`.world`), collects a few simulated days exactly as the flows do (:mod:`.collect`),
backtests the built-in strategies over what was collected (:mod:`.backtests`), and gathers
the report (:mod:`.report`) and the charts (:mod:`.pictures`).
"""

from __future__ import annotations

from oddscore.demo.options import DemoOptions
from oddscore.demo.report import DemoReport
from oddscore.demo.runner import run_demo

__all__ = ["DemoOptions", "DemoReport", "run_demo"]

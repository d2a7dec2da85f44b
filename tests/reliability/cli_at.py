"""Run the ``odds`` CLI in its own process at a frozen time:
``python -m tests.reliability.cli_at 2026-12-07T12:00:00Z fetch current``.

Processes that fetch from a simulator must share its clock (a game it serves as upcoming must
be upcoming for them too), and processes that fetch "at once" must stamp their snapshots alike.
SystemClock reads ``oddscore.clock.utcnow``, so replacing that is enough.
"""

from __future__ import annotations

import sys

import oddscore.clock
from oddscore.clock import parse_timestamp


def main(argv: list[str]) -> None:
    moment = parse_timestamp(argv[0])
    oddscore.clock.utcnow = lambda: moment
    from oddscore.cli.app import app

    app(argv[1:], prog_name="odds")


if __name__ == "__main__":
    main(sys.argv[1:])

"""How long ``odds demo`` takes, stage by stage, against its 90-second budget.

Runs the demo as the command does (four simulated days, pictures on) in a temporary folder
and times each stage from the demo's own progress callback: database creation and
migration, collection in virtual time, backtests (with the report's reads), pictures.

Baseline, measured in the same run: the same demo over ONE simulated day without pictures.
Collection grows with the days collected, so the 4-day / 1-day ratio shows whether anything
grows faster than that (about 4 is linear; the fixed costs pull it below).

Run: ``uv run python -m benchmarks.demo``.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

from oddscore.config import LoggingSettings
from oddscore.demo import DemoOptions, run_demo
from oddscore.logs import configure_logging

BUDGET_SECONDS = 90.0


async def timed(options: DemoOptions) -> dict[str, float]:
    stages: dict[str, float] = {}
    marks: list[tuple[str, float]] = []

    def on_progress(stage: str, _at: datetime | None) -> None:
        if not marks or marks[-1][0] != stage:
            marks.append((stage, time.perf_counter()))

    started = time.perf_counter()
    await run_demo(options, on_progress)
    ended = time.perf_counter()
    for (stage, at), (_next, until) in zip(marks, [*marks[1:], ("end", ended)], strict=True):
        stages[stage] = until - at
    stages["total"] = ended - started
    return stages


def main() -> None:
    configure_logging(LoggingSettings(level="WARNING", file=None, format="json"), force=True)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        one_day = asyncio.run(timed(DemoOptions(output=base / "one", days=1, plots=False)))
        demo = asyncio.run(timed(DemoOptions(output=base / "demo")))
    for stage, seconds in demo.items():
        print(f"demo {stage:<10} {seconds:6.1f} s")  # noqa: T201
    print(f"baseline (1 day, no pictures) {one_day['total']:.1f} s")  # noqa: T201
    print(f"demo / 1-day baseline: {demo['total'] / one_day['total']:.2f}")  # noqa: T201
    print(f"demo / 90 s budget:    {demo['total'] / BUDGET_SECONDS:.2f}")  # noqa: T201


if __name__ == "__main__":
    main()

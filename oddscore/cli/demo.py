"""``odds demo``: the whole product in one command, on the simulator, in virtual time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, fail, handle_errors, print_json, run
from oddscore.cli.options import time_option


@handle_errors
def demo(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the database, results and PNGs.")
    ] = Path("odds-demo"),
    days: Annotated[
        int, typer.Option("--days", min=1, max=14, help="Simulated days of collection.")
    ] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 7,
    start: Annotated[
        str | None,
        typer.Option(
            help="Virtual start (ISO 8601, UTC); default 2025-01-13T12:00Z.", callback=time_option
        ),
    ] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write the PNGs.")] = True,
    sport: Annotated[
        str,
        typer.Option(
            "--sport",
            help="basketball_nba, soccer_epl or baseball_mlb (soccer starts on a Friday "
            "noon, 2025-01-17, so that a weekend round is in the window).",
        ),
    ] = "basketball_nba",
    as_json: JsonOption = False,
) -> None:
    """Run the whole pipeline on the built-in simulator: no key, no server, no setup.

    Creates a fresh SQLite database in OUTPUT (on every run), starts the simulated Odds API
    in-process on a virtual clock, and runs the real collection code over a few simulated
    days: games discovered, odds collected when the scheduling intelligence says so, scores
    fetched, statuses moved. Then backtests the built-in strategies, prints a report and
    writes PNGs to OUTPUT.

    Example: odds demo --output odds-demo --days 4 --sport soccer_epl
    """
    from oddscore.clock import parse_timestamp
    from oddscore.demo import DemoOptions
    from oddscore.demo.options import DEMO_SPORTS, default_start

    if sport not in DEMO_SPORTS:
        raise fail(
            f"--sport: {sport!r} has no simulated games; choose one of {', '.join(DEMO_SPORTS)}"
        )
    try:
        begin = default_start(sport) if start is None else parse_timestamp(start)
    except ValueError as exc:
        raise fail(f"--start: {exc}") from None
    options = DemoOptions(
        output=output, days=days, seed=seed, start=begin, plots=plots, sport=sport
    )
    output.mkdir(parents=True, exist_ok=True)
    with _logs_to(output / "demo.log"):
        report = run(_run_with_progress(options, quiet=as_json))
    if as_json:
        from dataclasses import asdict

        data = asdict(report)
        data["credits"]["odds_saving"] = report.credits.odds_saving
        print_json(data)
        return
    from oddscore.cli.demo_report import print_report

    print_report(report, console)


async def _run_with_progress(options: Any, *, quiet: bool) -> Any:
    from datetime import datetime

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from oddscore.cli.common import err_console
    from oddscore.demo import run_demo

    total = (options.end - options.start).total_seconds()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet,
    )
    task = progress.add_task("creating the database", total=total + 3)
    labels = {
        "database": "creating the database",
        "backtest": "backtesting flat, basic_ev, arbitrage",
        "pictures": "drawing the charts",
        "done": "done",
    }

    def on_progress(stage: str, at: datetime | None) -> None:
        if stage == "collect" and at is not None:
            progress.update(
                task,
                completed=min((at - options.start).total_seconds(), total),
                description=f"collecting, virtual time {at:%Y-%m-%d %H:%M} UTC",
            )
            return
        steps = {"backtest": total + 1, "pictures": total + 2, "done": total + 3}
        progress.update(task, description=labels.get(stage, stage), completed=steps.get(stage))

    with progress:
        return await run_demo(options, on_progress)


class _logs_to:
    """Send the library's log lines to a file for the duration of the demo.

    The report is the demo's output; a request log line per call would bury it. The file
    keeps them (one JSON object per line) for anyone who wants to see the calls.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        import logging

        from oddscore.config import LoggingSettings
        from oddscore.logs import configure_logging

        self.logger = logging.getLogger("oddscore")
        self.saved = (list(self.logger.handlers), self.logger.propagate, self.logger.level)
        self.handler = logging.FileHandler(self.path, mode="w", encoding="utf-8")
        self.logger.handlers = [self.handler]
        self.logger.propagate = False
        configure_logging(LoggingSettings(level="INFO", format="json", file=None), force=True)
        self.logger.setLevel(logging.INFO)

    def __exit__(self, *exc_info: object) -> None:
        handlers, propagate, level = self.saved
        self.handler.close()
        self.logger.handlers = handlers
        self.logger.propagate = propagate
        self.logger.setLevel(level)

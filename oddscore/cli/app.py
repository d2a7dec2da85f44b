"""The ``odds`` Typer application: groups of commands over ``oddscore``."""

from __future__ import annotations

from typing import Annotated

import typer

from oddscore.cli import (
    backfill,
    backtest,
    best,
    board,
    db,
    fetch,
    imports,
    lines,
    ml,
    results,
    schedule,
    simulator,
    status,
    validate,
)

app = typer.Typer(
    name="odds",
    help="Collect, store, analyse and backtest betting odds from The Odds API.",
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
)
app.add_typer(db.app, name="db")
app.add_typer(schedule.app, name="schedule")
app.add_typer(simulator.app, name="simulator")
app.add_typer(backtest.app, name="backtest")
app.add_typer(ml.app, name="ml")
app.add_typer(backfill.app, name="backfill")
app.add_typer(imports.app, name="import")
app.add_typer(results.app, name="results")
app.add_typer(fetch.app, name="fetch")
app.command("validate")(validate.validate)
app.add_typer(board.app, name="odds")
app.command("lines")(lines.lines)
app.command("best")(best.best)
app.add_typer(status.app, name="status")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"odds {version('oddscore')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Collect, store, analyse and backtest betting odds from The Odds API."""


def main() -> None:
    app()

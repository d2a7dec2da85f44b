"""``odds ml``: train the ML example strategy's model (needs the ``ml`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    handle_errors,
    print_json,
    print_table,
    run,
    working,
)
from oddscore.cli.options import DECISION_HOURS, STALENESS_HOURS, time_option

app = typer.Typer(help="Train models for the ML strategy.", no_args_is_help=True)


@app.command("train")
@handle_errors
def train(
    start: Annotated[
        str,
        typer.Option(
            help="First game day of the training data (YYYY-MM-DD).", callback=time_option
        ),
    ],
    end: Annotated[
        str, typer.Option(help="Last game day, inclusive (YYYY-MM-DD).", callback=time_option)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file (XGBoost .json).")],
    decision_hours: Annotated[
        float,
        typer.Option(help="Features as of this many hours before tip.", callback=DECISION_HOURS),
    ] = 1.0,
    max_staleness: Annotated[
        float,
        typer.Option(help="Ignore quotes older than this (hours).", callback=STALENESS_HOURS),
    ] = 24.0,
    min_train: Annotated[
        int,
        typer.Option(help="Games needed before a walk-forward fold.", min=1, max=1_000_000),
    ] = 100,
    rounds: Annotated[int, typer.Option(help="Boosting rounds.", min=1, max=100_000)] = 150,
    as_json: JsonOption = False,
) -> None:
    """Evaluate walk-forward by month, then train on every game and save XGBoost JSON.

    Example: odds ml train --start 2023-10-24 --end 2024-04-14 --output models/home.json
    """
    from dataclasses import asdict

    from oddscore.backtest.ml import TrainReport, train_from_database
    from oddscore.cli.backtest import parse_day
    from oddscore.storage.engine import Database

    async def go() -> TrainReport:
        async with Database.from_settings() as db:
            return await train_from_database(
                db,
                parse_day(start),
                parse_day(end, end=True),
                output,
                decision_hours=decision_hours,
                max_staleness_hours=max_staleness,
                min_train=min_train,
                rounds=rounds,
            )

    with working("training walk-forward models"):
        report = run(go())
    if as_json:
        print_json(
            {
                "games": report.games,
                "trained_until": report.trained_until,
                "model": output,
                "folds": [asdict(f) for f in report.folds],
            }
        )
        return
    print_table(
        (
            [
                f.test_month,
                f.train_games,
                f.test_games,
                f"{f.model_logloss:.4f}",
                f"{f.market_logloss:.4f}",
            ]
            for f in report.folds
        ),
        ["test month", "train games", "test games", "model log-loss", "market log-loss"],
        title="walk-forward (train only on games finished before the month)",
    )
    console.print(
        f"model trained on {report.games} games (to {report.trained_until}) saved to {output}"
    )

"""``odds results``: final scores from files, for games the API no longer scores."""

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

app = typer.Typer(help="Load final scores from CSV files.", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: date,home,away,home_score,away_score (US date), or the Kaggle file."
        ),
    ],
    sport: Annotated[
        str, typer.Option(help="Sport key of the events to match.")
    ] = "basketball_nba",
    json_output: JsonOption = False,
) -> None:
    """Match each row to the stored event (teams + US date) and store its final score.

    A malformed row stops the import with its line number and nothing is stored.

    Example: odds results import shared/data/real_nba_odds/kaggle_nba_2008_2025/nba_2008-2025.csv
    """
    from dataclasses import asdict

    from oddscore.config import get_settings
    from oddscore.ingestion.results import import_results
    from oddscore.storage.engine import Database

    async def go() -> object:
        db = Database.from_settings(get_settings().database)
        try:
            return await import_results(db, path, sport_key=sport)
        finally:
            await db.dispose()

    with working("importing results"):
        report = run(go())
    data = asdict(report)  # type: ignore[call-overload]
    if json_output:
        print_json(data)
        return
    print_table(
        [(k, data[k]) for k in ("rows", "matched", "updated", "unchanged", "unmatched")]
        + [("conflicts", len(data["conflicts"])), ("skipped", len(data["skipped"]))],
        ["", "count"],
        title=f"results from {path.name}",
    )
    for line in data["conflicts"][:20] + data["skipped"][:20]:
        console.print(f"[yellow]{line}[/]")

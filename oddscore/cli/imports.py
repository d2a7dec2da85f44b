"""``odds import``: ingest recorded provider responses from disk."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    fail,
    handle_errors,
    parse_date,
    print_json,
    print_refused,
    print_table,
    run,
)
from oddscore.cli.options import day_option

app = typer.Typer(
    help="Import recorded data (historical API responses) from files.", no_args_is_help=True
)


def _date(value: str | None, name: str) -> date | None:
    return None if value is None else parse_date(value, name)


@app.command("snapshots")
@handle_errors
def snapshots(
    directory: Annotated[
        Path,
        typer.Argument(help="Folder of odds/<season>/*.json[.gz] and events/<season>/... files."),
    ],
    season: Annotated[
        list[str] | None,
        typer.Option("--season", help="Only this season folder (repeatable), e.g. 2023-2024."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="First file date to import (YYYY-MM-DD).", callback=day_option),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last file date to import (YYYY-MM-DD).", callback=day_option),
    ] = None,
    max_file_mb: Annotated[
        int | None,
        typer.Option(
            "--max-file-mb",
            min=1,
            max=65_536,
            help="Refuse files (or gzip contents) larger than this; default IMPORT_MAX_FILE_MB.",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Import a folder of recorded historical responses through the ingestion pipeline.

    Gzip or plain JSON; events files upsert events only. Importing twice adds nothing.
    A file that cannot be read or parsed is listed with its reason and the others are
    stored; the exit code is then 1.

    Example: odds import snapshots data/the_odds_api_snapshots --season 2023-2024
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from oddscore.config import get_settings
    from oddscore.ingestion.files import import_snapshots, list_archive
    from oddscore.ingestion.pipeline import IngestOptions
    from oddscore.storage.engine import Database

    first, last = _date(start, "--from"), _date(end, "--to")
    seasons = season or None
    settings = get_settings()
    max_bytes = (max_file_mb or settings.data_quality.import_max_file_mb) * 1024 * 1024
    total = len(list_archive(directory, seasons=seasons, start=first, end=last))
    if total == 0:
        raise fail(f"no .json or .json.gz files under {directory}")

    async def go() -> Any:
        db = Database.from_settings(settings.database)
        options = IngestOptions.from_settings(settings, expect_bookmakers=False)
        try:
            with Progress(
                TextColumn("[bold]importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[name]}"),
                TimeElapsedColumn(),
                console=console if not json_output else None,
                disable=json_output,
                transient=False,
            ) as progress:
                task = progress.add_task("import", total=total, name="")
                return await import_snapshots(
                    db,
                    directory,
                    options=options,
                    seasons=seasons,
                    start=first,
                    end=last,
                    on_file=lambda entry, _: progress.update(task, advance=1, name=entry.path.name),
                    max_file_bytes=max_bytes,
                )
        finally:
            await db.dispose()

    summary = run(go())
    totals = summary.result.as_dict()
    totals.pop("rejection_reasons")
    refused = totals.pop("refusal_reasons")
    if json_output:
        print_json(
            {
                "files": summary.files,
                "odds_files": summary.odds_files,
                "events_files": summary.events_files,
                **totals,
                "refused": refused,
                "failures": summary.failures,
            }
        )
    else:
        print_table(
            [(k, v) for k, v in {"files": summary.files, **totals}.items()],
            ["", "count"],
            title="import",
        )
        print_refused(refused)
        for path, problem in summary.failures:
            console.print(f"[yellow]skipped[/] {path}: {problem}", highlight=False, soft_wrap=True)
        if summary.failures:
            stored = summary.odds_files + summary.events_files
            console.print(
                f"{len(summary.failures)} of {summary.files} files not imported (listed "
                f"above); the other {stored} were stored."
            )
    if summary.failures:
        raise typer.Exit(code=1)

"""``odds validate``: the data-quality findings, and re-checking stored data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    fail,
    handle_errors,
    print_json,
    print_table,
    run,
)
from oddscore.cli.options import time_option


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    from oddscore.clock import parse_timestamp

    try:
        text = value if "T" in value else f"{value}T00:00:00Z"
        return parse_timestamp(text)
    except ValueError:
        raise fail(f"{name} must be a date or UTC time like 2024-01-31, got {value!r}") from None


@handle_errors
def validate(
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this snapshot date/time (UTC).", callback=time_option),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Before this snapshot date/time (UTC).", callback=time_option),
    ] = None,
    issue_type: Annotated[
        str | None, typer.Option("--type", help="Only this issue type, e.g. in_play.")
    ] = None,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck", help="Re-validate stored snapshots with the current rules first."
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Report data-quality findings by type, bookmaker and day (and what validation excluded).

    Example: odds validate --since 2024-01-01 --recheck
    """
    from dataclasses import asdict

    from oddscore.config import get_settings
    from oddscore.ingestion.pipeline import IngestOptions
    from oddscore.ingestion.report import recheck as run_recheck
    from oddscore.ingestion.report import validation_report
    from oddscore.ingestion.validation import ISSUE_TYPES
    from oddscore.storage.engine import Database

    start, end = _moment(since, "--since"), _moment(until, "--until")
    if issue_type is not None and issue_type not in ISSUE_TYPES:
        raise fail(
            f"--type {issue_type!r} is not a data-quality issue type; one of: "
            f"{', '.join(sorted(ISSUE_TYPES))}"
        )
    settings = get_settings()

    async def go() -> tuple[Any, Any]:
        db = Database.from_settings(settings.database)
        try:
            rechecked = None
            if recheck:
                options = IngestOptions.from_settings(settings, expect_bookmakers=False)
                rechecked = await run_recheck(db, options=options, since=start, until=end)
            report = await validation_report(db, since=start, until=end, issue_type=issue_type)
            return rechecked, report
        finally:
            await db.dispose()

    rechecked, report = run(go())
    data = asdict(report)
    if rechecked is not None:
        data["recheck"] = asdict(rechecked)
    if json_output:
        print_json(data)
        return
    if rechecked is not None:
        console.print(
            f"rechecked {rechecked.snapshots} snapshots: {rechecked.findings} findings, "
            f"{rechecked.rows_changed} odds rows changed"
        )
    console.print(
        f"{report.findings} findings; {report.excluded_rows} odds rows excluded, "
        f"{report.flagged_rows} stored rows flagged invalid"
    )
    print_table(
        report.by_type,
        ["issue_type", "severity", "action", "findings", "rows_excluded"],
        title="by type",
    )
    print_table(report.by_book[:20], ["bookmaker", "findings"], title="by bookmaker")
    print_table(report.by_day[-31:], ["day", "findings"], title="by day (last 31)")

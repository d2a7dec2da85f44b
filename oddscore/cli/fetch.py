"""``odds fetch``: one live collection now (odds or scores), stored through the pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    handle_errors,
    print_json,
    print_refused,
    print_table,
    run,
)

if TYPE_CHECKING:
    from oddscore.config import Settings
    from oddscore.ingestion.paid_calls import PaidCallOutcome
    from oddscore.ingestion.pipeline import IngestResult
    from oddscore.provider.client import OddsApiClient
    from oddscore.storage.engine import Database

app = typer.Typer(help="Fetch from The Odds API now and store the result.", no_args_is_help=True)

R = TypeVar("R")

SportOption = Annotated[
    str | None, typer.Option("--sport", help="Sport key (default: the first of SPORTS).")
]


async def _with_provider(
    settings: Settings, call: Callable[[Database, OddsApiClient], Awaitable[Any]]
) -> Any:
    """Run ``call`` with the configured database and client; both are closed afterwards."""
    from oddscore.provider.client import OddsApiClient
    from oddscore.storage.engine import Database

    db = Database.from_settings(settings.database)
    try:
        async with OddsApiClient.from_settings(settings.api) as client:
            return await call(db, client)
    finally:
        await db.dispose()


def _stored_or_note(outcome: PaidCallOutcome[R], json_output: bool) -> R | None:
    """What the call stored; the ledger's note when it paid nothing (a saved answer was
    stored, or this minute's call was made already)."""
    if outcome.note and not json_output:
        console.print(f"[yellow]{outcome.note}[/yellow]")
    if outcome.stored is None and json_output:
        print_json({"stored": False, "note": outcome.note})
    return outcome.stored


def _show(data: dict[str, Any], title: str, json_output: bool) -> None:
    if json_output:
        print_json(data)
    else:
        print_table(list(data.items()), ["", "count"], title=title)


@app.command("current")
@handle_errors
def current(sport: SportOption = None, json_output: JsonOption = False) -> None:
    """Fetch current odds for the configured books and markets and store them.

    Example: odds fetch current --sport basketball_nba
    """
    from oddscore.config import get_settings
    from oddscore.ingestion.fetch import fetch_current

    settings = get_settings()
    key = sport or settings.collection.sports[0]
    outcome = run(
        _with_provider(
            settings, lambda db, client: fetch_current(db, client, sport=key, settings=settings)
        )
    )
    result = _stored_or_note(outcome, json_output)
    if result is None:
        return
    result.raise_if_rejected()
    data = result.as_dict()
    data.pop("rejection_reasons")
    if json_output:
        print_json(data)
        return
    data.pop("excluded_by")  # a dict, said in words by nothing_stored
    refused = data.pop("refusal_reasons")
    print_table(list(data.items()), ["", "count"], title=f"odds for {key}")
    print_refused(refused)
    empty = nothing_stored(result, sport=key)
    if empty:
        console.print(f"[yellow]{empty}[/yellow]")


# Short reasons for the exclusion rules (oddscore.ingestion.validation's table), so the
# one-line summary says why in words a bettor reads without the rule book.
_EXCLUSION_REASONS = {
    "in_play": "quoted at or after tip-off: those games have started",
    "unknown_market": "not back odds (lay or unknown markets)",
    "duplicate_outcome": "exact repeats of an outcome",
    "price_out_of_range": "prices that cannot be read",
}


def nothing_stored(result: IngestResult, *, sport: str) -> str | None:
    """One line saying why a fetch stored no odds rows, or None when it stored some: a user
    must never read a table of counts and then find an empty odds table."""
    if result.odds_rows:
        return None
    snapshots = result.snapshots_inserted
    if result.records_refused and not snapshots:
        return (
            f"Nothing stored: the {result.records_refused} listed games were refused (listed "
            "above: values the database cannot hold or times out of range)."
        )
    if result.odds_excluded:
        reasons = "; ".join(
            f"{count} {_EXCLUSION_REASONS.get(issue, issue)} ({issue})"
            for issue, count in sorted(result.excluded_by.items(), key=lambda kv: -kv[1])
        )
        return (
            f"No odds stored: all {result.odds_excluded} quotes were excluded: {reasons}. "
            f"{snapshots} raw snapshots kept, {result.findings} findings "
            "(odds validate lists them)."
        )
    if result.snapshots_skipped and not snapshots:
        return (
            f"No new odds stored: the {result.snapshots_skipped} snapshots of this "
            "response were stored before."
        )
    if snapshots:
        return f"No odds stored: no book quoted the {snapshots} listed games of {sport}."
    if result.findings:
        return (
            f"Nothing stored: validation dropped every snapshot ({result.findings} "
            "findings; odds validate lists them)."
        )
    return f"Nothing stored: the provider listed no games for {sport}."


@app.command("scores")
@handle_errors
def scores(
    sport: SportOption = None,
    days: Annotated[
        int | None,
        typer.Option("--days", min=1, max=3, help="Also completed games this many days back."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch scores: finished games become final with their score, started ones live.

    Example: odds fetch scores --days 3
    """
    from dataclasses import asdict

    from oddscore.config import get_settings
    from oddscore.ingestion.fetch import fetch_scores

    settings = get_settings()
    key = sport or settings.collection.sports[0]
    outcome = run(
        _with_provider(settings, lambda db, client: fetch_scores(db, client, sport=key, days=days))
    )
    result = _stored_or_note(outcome, json_output)
    if result is None:
        return
    data = asdict(result)
    if json_output:
        print_json(data)
        return
    refused = data.pop("refusal_reasons")
    _show(data, f"scores for {key}", json_output)
    print_refused(refused)

"""``odds db``: create and migrate the database, and find and merge rows stored twice."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, run

if TYPE_CHECKING:
    from oddscore.ingestion.duplicates import DuplicateReport

app = typer.Typer(
    help="Create and migrate the database; find and merge duplicates.", no_args_is_help=True
)


@app.command("upgrade")
@handle_errors
def upgrade(
    revision: str = typer.Argument("head", help="Alembic revision to migrate to."),
) -> None:
    """Apply the migrations to DATABASE_URL (creates the SQLite file if needed).

    Example: odds db upgrade
    """
    from oddscore.config import get_settings
    from oddscore.logs import redact
    from oddscore.storage.migrate import upgrade as run_upgrade

    url = get_settings().database.url
    run_upgrade(url, revision)
    console.print(f"database at {redact(url)} is at revision {revision}")


@app.command("doctor")
@handle_errors
def doctor(
    fix: bool = typer.Option(
        False, "--fix", help="Merge the duplicates (one transaction; every odds row kept once)."
    ),
    json_output: JsonOption = False,
) -> None:
    """List rows stored twice (events under two ids of one game, an alias id stored as an
    event, odds rows repeated within a snapshot); with --fix, merge them. Exits 1 when
    duplicates are left.

    Example: odds db doctor --fix
    """
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.ingestion import store
    from oddscore.ingestion.duplicates import describe, find_duplicates, merge_duplicates
    from oddscore.storage.engine import Database

    async def go() -> tuple[DuplicateReport, DuplicateReport | None]:
        db = Database.from_settings(get_settings().database)

        async def find() -> DuplicateReport:
            # Through a session: a database without the schema gets its one-line answer.
            async with db.session() as session:
                conn = await session.connection()
                found: DuplicateReport = await conn.run_sync(find_duplicates)
                return found

        try:
            left, merged = await find(), None
            if fix and left:
                now = utcnow()
                merged = await store.transaction(
                    db, lambda conn: merge_duplicates(conn, now), doing="merging duplicates"
                )
                left = await find()
            return left, merged
        finally:
            await db.dispose()

    left, merged = run(go())
    if json_output:
        print_json(
            {
                "merged": None if merged is None else _report_json(merged),
                "left": _report_json(left),
            }
        )
    else:
        if merged is not None:
            for line in describe(merged):
                console.print(f"merged {line}", highlight=False, soft_wrap=True)
            console.print(f"merged: {merged.summary()}", highlight=False)
        for line in describe(left):
            console.print(line, highlight=False, soft_wrap=True)
        if left:
            console.print(f"found: {left.summary()}; run `odds db doctor --fix` to merge them")
        else:
            console.print("no duplicates")
    if left:
        raise typer.Exit(code=1)


def _report_json(report: DuplicateReport) -> dict[str, Any]:
    return {
        "duplicate_events": report.duplicate_events,
        "repeated_odds_rows": report.repeated_odds_rows,
        "groups": [asdict(group) for group in report.groups],
    }

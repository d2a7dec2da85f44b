"""``odds db``: create and migrate the database."""

from __future__ import annotations

import typer

from oddscore.cli.common import console, handle_errors

app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)


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

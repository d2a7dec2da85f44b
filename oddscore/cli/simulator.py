"""``odds simulator``: serve the local simulator of The Odds API v4."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oddscore.cli.common import console, handle_errors

app = typer.Typer(
    help="Run a local simulator of The Odds API v4 (no key, no credits).", no_args_is_help=True
)


@app.command("serve")
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (local only by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")] = 8765,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="The key the simulator accepts (default: ODDS_API_KEY, else the demo key).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 0,
    quota: Annotated[
        int | None,
        typer.Option(help="Usage credits of the account (default: ODDS_API_QUOTA).", min=0),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            help="Serve the historical endpoints from a recorded archive "
            "(odds/<season>/*.json[.gz], events/<season>/*.json[.gz]).",
            exists=True,
            file_okay=False,
            dir_okay=True,
        ),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Inject a failure, KIND[:ARG][xTIMES][@PATH], repeatable: status:503x3, "
            "rate_limit:2 (Retry-After), rate_limitx2, slow:5, reset, truncated, malformedx*, "
            "quota:N (the account runs dry after N credits).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the simulated API: synthetic NBA, EPL and MLB markets, or history with --replay.

    Point ODDS_API_BASE_URL at the printed address to develop without a key or credits.

    Example: odds simulator serve --port 8765 --seed 7
    """
    import uvicorn

    from oddscore.cli.common import fail
    from oddscore.config import get_settings
    from oddscore.logs import register_secret
    from oddscore.simulator import FaultPlan, create_app, parse_fault, resolve_api_key

    settings = get_settings()
    key, source = resolve_api_key(api_key)
    register_secret(key)
    credits = settings.api.quota if quota is None else quota
    # Always a plan: an empty one costs nothing and lets POST /simulator/faults add rules.
    plan = FaultPlan()
    dry_after: int | None = None
    if fault:
        for spec in fault:
            if spec.startswith("quota:"):
                dry_after = int(spec.removeprefix("quota:"))
                continue
            try:
                plan.add(parse_fault(spec))
            except ValueError as exc:
                raise fail(str(exc)) from exc
    application = create_app(
        api_key=key,
        seed=seed,
        quota=credits,
        replay_dir=replay,
        bookmakers=settings.collection.bookmakers,
        faults=plan,
    )
    if dry_after is not None:
        plan.exhaust_after(dry_after)
    history = f"replay of {replay}" if replay else "synthetic"
    console.print(
        f"simulated The Odds API listening on http://{host}:{port} "
        f"(seed {seed}, {credits} credits, history: {history}, key: {source})",
        highlight=False,
        soft_wrap=True,
    )
    # No access log: every request line carries the key in its query string.
    uvicorn.run(application, host=host, port=port, access_log=False, log_level="warning")

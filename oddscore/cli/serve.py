"""``odds serve``: the read-only odds screen in the browser (board, EV, arbitrage, lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oddscore.cli.common import err_console, fail, handle_errors

_LOCAL = {"127.0.0.1", "localhost", "::1"}


@handle_errors
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to bind.")] = 8000,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Allow a --host other than the loopback address (anyone who can reach it "
            "sees the stored data).",
        ),
    ] = False,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results",
            help="Folder of saved backtest results (odds backtest run --output-json) to show.",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Serve the store as of this time (ISO 8601), e.g. to look around a demo or an "
            "archive; default: the real time.",
        ),
    ] = None,
    refresh: Annotated[
        int, typer.Option("--refresh", min=0, help="Board refresh interval in seconds (0 = off).")
    ] = 60,
) -> None:
    """Serve a local, read-only odds screen: board, EV, arbitrage, line movement, backtests.

    Example: odds serve --port 8000, then open http://127.0.0.1:8000
    """
    import uvicorn

    from oddscore.clock import Clock, FrozenClock, SystemClock
    from oddscore.config import get_settings
    from oddscore.web.app import WebConfig, create_app

    if host not in _LOCAL:
        if not allow_remote:
            raise fail(
                f"--host {host} would expose the stored data beyond this machine; "
                "add --allow-remote to do it anyway"
            )
        err_console.print(
            f"[bold yellow]warning:[/] serving on {host}: anyone who can reach this address "
            "sees the stored data (read-only, no authentication)",
            highlight=False,
        )
    if results is not None and not results.is_dir():
        raise fail(f"--results must be a folder, got {results}")
    clock: Clock = SystemClock()
    if at is not None:
        from oddscore.queries.session import parse_when

        when = parse_when(at)
        if when is None:
            raise fail("--at needs a time (ISO 8601)")
        clock = FrozenClock(when)
    config = WebConfig(get_settings(), clock, results, refresh)
    err_console.print(f"odds screen on http://{host}:{port} (Ctrl+C stops it)", highlight=False)
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")

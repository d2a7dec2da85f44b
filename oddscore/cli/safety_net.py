"""``odds safety-net``: the Prefect automations that keep the self-scheduled chains alive."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, print_table, run

app = typer.Typer(
    help="The safety net of the self-scheduled chains (Prefect automations).",
    no_args_is_help=True,
)


@app.command("apply")
@handle_errors
def apply(
    window: Annotated[
        int | None,
        typer.Option(
            "--window",
            min=60,
            help="Seconds a run may stay silent before it is marked crashed "
            "(default SAFETY_NET_WINDOW_SECONDS, 300).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Create (or replace) the safety-net automations on the Prefect server at
    PREFECT_API_URL: silent runs are marked crashed, and a crashed or failed run of a
    self-scheduled deployment restarts its chain. Run it after `prefect deploy --all`.

    Example: odds safety-net apply --window 300
    """
    import os
    from datetime import timedelta

    from oddscore.config import get_settings
    from oddscore.orchestration.safety_net import apply_safety_net

    seconds = window or get_settings().scheduler.safety_net_window_seconds
    net: Any = run(
        apply_safety_net(
            os.environ.get("PREFECT_API_URL"),
            api_key=os.environ.get("PREFECT_API_KEY"),
            window=timedelta(seconds=seconds),
        )
    )
    if json_output:
        from dataclasses import asdict

        print_json(asdict(net))
        return
    print_table([(name,) for name in net.automations], ["automation"], title="safety net")
    console.print(
        f"{len(net.chains)} chain(s) covered ({', '.join(net.chains)}); silent runs are "
        f"crashed after {net.window_seconds} s; {net.removed} older automation(s) replaced "
        f"on {net.api_url}",
        highlight=False,
    )

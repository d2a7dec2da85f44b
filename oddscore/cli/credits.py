"""``odds credits``: credits paid for live calls against credits whose answer was stored."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, print_table, run


def _short(error: str | None, width: int = 80) -> str | None:
    """The first line of a stored error, cut to ``width`` (the table is for a terminal)."""
    if not error:
        return None
    line = error.splitlines()[0]
    return line if len(line) <= width else line[: width - 3] + "..."


@handle_errors
def credits(
    days: Annotated[
        int, typer.Option("--days", min=1, help="Look back this many days from --until.")
    ] = 30,
    since: Annotated[
        str | None, typer.Option("--since", help="From this UTC time instead (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this UTC time (default now).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Credits paid against credits stored, from the paid-call ledger; any difference is
    listed call by call, and the exit code is 1 when there is one.

    Example: odds credits --days 7
    """
    from datetime import timedelta

    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.queries.credits import credits_report
    from oddscore.queries.session import open_session, parse_when

    settings = get_settings()
    end = parse_when(until) or utcnow()
    start = parse_when(since) or end - timedelta(days=days)

    async def go() -> Any:
        async with open_session(settings) as session:
            return await credits_report(session, start, end)

    report = run(go())
    if json_output:
        from dataclasses import asdict

        data = asdict(report)
        data.update(difference=report.difference, ok=report.ok)
        for row, call in zip(data["unsettled"], report.unsettled, strict=True):
            row["why"] = call.why
        print_json(data)
    else:
        print_table(
            [
                ("from", f"{report.since:%Y-%m-%d %H:%M} UTC"),
                ("to", f"{report.until:%Y-%m-%d %H:%M} UTC"),
                ("calls paid", report.calls_paid),
                ("credits paid", report.credits_paid),
                ("credits stored", report.credits_stored),
                ("credits in fetch_logs", report.credits_logged),
                ("failed requests", report.calls_failed),
                ("credits billed outside the ledger", report.credits_unexplained),
            ],
            ["", "value"],
            title="paid-call credits",
        )
        if report.unsettled:
            print_table(
                [
                    (c.slot, c.endpoint, c.flow_name, c.credits, c.why, _short(c.error))
                    for c in report.unsettled
                ],
                ["slot", "endpoint", "flow", "credits", "why", "error"],
                title="calls whose credits are not matched by stored data",
            )
        if report.ok:
            console.print("[green]every credit paid is stored[/green]")
        else:
            console.print(
                f"[bold red]DIFFERENCE:[/] {report.credits_paid} credits paid, "
                f"{report.credits_stored} stored, {report.credits_logged} in fetch_logs, "
                f"{len(report.unsettled)} call(s) unsettled, "
                f"{report.credits_unexplained} billed to the key that the ledger cannot explain"
            )
    if not report.ok:
        raise typer.Exit(code=1)

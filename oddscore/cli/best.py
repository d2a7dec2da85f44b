"""``odds best``: the best available price per outcome, comparing only equal lines."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, print_table, run
from oddscore.cli.options import time_option


@handle_errors
def best(
    event: Annotated[str, typer.Argument(help="Event id, or a unique prefix of it.")],
    market: Annotated[
        list[str] | None, typer.Option("--market", "-m", help="Only this market (repeatable).")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="As-of time, ISO 8601 or 'now' (default: as `odds odds show`).",
            callback=time_option,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Best price per outcome across books; spreads and totals only compare equal points.

    Example: odds best 3f2a --market spreads
    """
    from oddscore.queries.best import best_prices
    from oddscore.queries.board import load_board, open_session, parse_when

    async def go() -> Any:
        async with open_session() as session:
            return await load_board(session, event, parse_when(at), markets=market or None)

    board = run(go())
    prices = best_prices(board.quotes)
    if json_output:
        from dataclasses import asdict

        print_json(
            {
                "event": asdict(board.event),
                "as_of": board.as_of,
                "best": [asdict(p) for p in prices],
            }
        )
        return
    event_row = board.event
    print_table(
        [
            (
                p.market_key,
                p.outcome_name,
                "" if p.point is None else f"{p.point:+g}",
                f"{p.price:+d}",
                ", ".join(p.bookmakers),
                p.books_quoting,
            )
            for p in prices
        ],
        ["market", "outcome", "point", "best", "books", "quoting"],
        title=f"{event_row.away_team} @ {event_row.home_team}, as of "
        f"{board.as_of:%Y-%m-%d %H:%M} UTC",
    )
    if not prices:
        console.print("no quotes observed in the window before that time")

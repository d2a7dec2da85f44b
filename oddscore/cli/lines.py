"""``odds lines``: how each book's line moved for one event, as a table, JSON or PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, print_table, run


@handle_errors
def lines(
    event: Annotated[str, typer.Argument(help="Event id, or a unique prefix of it.")],
    book: Annotated[
        list[str] | None, typer.Option("--book", "-b", help="Only this bookmaker (repeatable).")
    ] = None,
    market: Annotated[
        list[str] | None, typer.Option("--market", "-m", help="Only this market (repeatable).")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Also write a PNG chart here (sharp books dashed)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Line movement per book, market and outcome over time (in-play quotes included, marked).

    Example: odds lines 3f2a --market spreads --plot spreads.png
    """
    from oddscore.queries.events import get_event, resolve_event_id
    from oddscore.queries.lines import line_movement
    from oddscore.queries.session import open_session

    async def go() -> Any:
        async with open_session() as session:
            found = await get_event(session, await resolve_event_id(session, event))
            points = await line_movement(
                session, found.id, bookmakers=book or None, markets=market or None
            )
            return found, points

    found, points = run(go())
    if plot is not None:
        from oddscore.config import get_settings
        from oddscore.queries.plot import plot_line_movement

        plot_line_movement(
            points, found, plot, sharp_books=get_settings().collection.sharp_bookmakers
        )
    if json_output:
        from dataclasses import asdict

        print_json(
            {
                "event": asdict(found),
                "points": [
                    {**asdict(p), "in_play": p.odds_timestamp >= found.commence_time}
                    for p in points
                ],
                "plot": plot,
            }
        )
        return
    print_table(
        [
            (
                f"{p.odds_timestamp:%Y-%m-%d %H:%M}",
                p.bookmaker_key,
                p.market_key,
                p.outcome_name,
                "" if p.point is None else f"{p.point:+g}",
                f"{p.price:+d}",
                "in-play" if p.odds_timestamp >= found.commence_time else "",
            )
            for p in points
        ],
        ["observed (UTC)", "book", "market", "outcome", "point", "price", ""],
        title=f"{found.away_team} @ {found.home_team}, tip-off "
        f"{found.commence_time:%Y-%m-%d %H:%M} UTC",
    )
    if plot is not None:
        console.print(f"chart written to {plot}")

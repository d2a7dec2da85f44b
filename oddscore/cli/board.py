"""``odds odds``: one event's board of prices as of a time."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, run
from oddscore.cli.options import MAX_AGE_HOURS, time_option

app = typer.Typer(help="Read stored odds: an event's board as of a time.", no_args_is_help=True)

BookOption = Annotated[
    list[str] | None, typer.Option("--book", "-b", help="Only this bookmaker (repeatable).")
]
MarketOption = Annotated[
    list[str] | None, typer.Option("--market", "-m", help="Only this market (repeatable).")
]
MaxAgeOption = Annotated[
    float,
    typer.Option(
        "--max-age",
        help="Ignore quotes older than this many hours at the as-of time (0 = no limit).",
        callback=MAX_AGE_HOURS,
    ),
]


@app.command("show")
@handle_errors
def show(
    event: Annotated[str, typer.Argument(help="Event id, or a unique prefix of it.")],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="As-of time, ISO 8601 (UTC if no offset) or 'now'. Default: now, or just "
            "before tip-off once the game has started.",
            callback=time_option,
        ),
    ] = None,
    book: BookOption = None,
    market: MarketOption = None,
    max_age: MaxAgeOption = 24.0,
    json_output: JsonOption = False,
) -> None:
    """Each book's latest price per market and outcome, as of a time (never a later quote).

    Example: odds odds show 3f2a --at 2024-01-09T23:00:00Z
    """
    from datetime import timedelta

    from oddscore.queries.board import load_board, open_session, parse_when

    async def go() -> Any:
        async with open_session() as session:
            return await load_board(
                session,
                event,
                parse_when(at),
                bookmakers=book or None,
                markets=market or None,
                max_staleness=timedelta(hours=max_age) if max_age > 0 else None,
            )

    board = run(go())
    if json_output:
        from dataclasses import asdict

        print_json(
            {
                "event": asdict(board.event),
                "as_of": board.as_of,
                "quotes": [asdict(q) for q in board.quotes],
            }
        )
        return
    _print_board(board)


def _cell(point: float | None, price: int) -> str:
    sign = f"{price:+d}"
    return sign if point is None else f"{point:+g} {sign}"


def _print_board(board: Any) -> None:
    from rich.table import Table

    from oddscore.config import get_settings

    event = board.event
    title = (
        f"{event.away_team} @ {event.home_team}  ({event.commence_time:%Y-%m-%d %H:%M} UTC)\n"
        f"as of {board.as_of:%Y-%m-%d %H:%M:%S} UTC"
    )
    if not board.quotes:
        console.print(title)
        console.print("no quotes observed in the window before that time")
        return
    sharp = set(get_settings().collection.sharp_bookmakers)
    books = sorted({q.bookmaker_key for q in board.quotes}, key=lambda b: (b not in sharp, b))
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for q in board.quotes:
        rows.setdefault((q.market_key, q.outcome_name), {})[q.bookmaker_key] = _cell(
            q.point, q.price
        )
    table = Table(title=title, header_style="bold")
    table.add_column("market")
    table.add_column("outcome")
    for book in books:
        table.add_column(f"{book}*" if book in sharp else book, justify="right")
    for (market, outcome), cells in sorted(rows.items()):
        table.add_row(market, outcome, *(cells.get(b, "") for b in books))
    console.print(table)
    oldest = max(q.age_seconds for q in board.quotes) / 3600
    console.print(f"* sharp book. Oldest quote shown: {oldest:.1f} h before the as-of time.")

"""``odds plot``: PNG charts of saved backtests and of the stored collection.

Line movement of one game is ``odds lines EVENT --plot FILE``; one backtest's equity curve is
also ``odds backtest run ... --plot FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, fail, handle_errors, print_json, run
from oddscore.cli.options import time_option

app = typer.Typer(help="Draw PNG charts: equity, CLV distribution, tier coverage.")

ResultsArgument = Annotated[
    list[str],
    typer.Argument(
        help="Backtest results written by --output-json (one or more; paths or s3://bucket/key)."
    ),
]


def _load(locations: list[str]) -> list[Any]:
    from oddscore.cli.backtest import load_result

    return [load_result(location) for location in locations]


@app.command("equity")
@handle_errors
def equity(
    results: ResultsArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG to write.")] = Path(
        "equity.png"
    ),
    as_json: JsonOption = False,
) -> None:
    """Bankroll after every settlement, with drawdown below, for one or more backtests.

    Example: odds plot equity flat.json basic_ev.json -o equity.png
    """
    from oddscore.charts.equity import save_equity_comparison

    loaded = _load(results)
    save_equity_comparison(loaded, output)
    _done(output, {r.strategy: r.summary.profit for r in loaded}, "profit", as_json)


@app.command("clv")
@handle_errors
def clv(
    results: ResultsArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG to write.")] = Path("clv.png"),
    as_json: JsonOption = False,
) -> None:
    """Histogram of per-bet closing line value for one or more backtests.

    Example: odds plot clv season.json -o clv.png
    """
    from oddscore.charts.clv import save_clv_distribution

    loaded = _load(results)
    save_clv_distribution(loaded, output)
    _done(output, {r.strategy: r.summary.clv_mean for r in loaded}, "clv_mean", as_json)


@app.command("coverage")
@handle_errors
def coverage(
    start: Annotated[
        str, typer.Option(help="First game day (YYYY-MM-DD, UTC).", callback=time_option)
    ],
    end: Annotated[
        str,
        typer.Option(help="Last game day, inclusive (YYYY-MM-DD, UTC).", callback=time_option),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG to write.")] = Path(
        "tier_coverage.png"
    ),
    sport: Annotated[
        str | None,
        typer.Option(help="Only this sport's games, labelled with its tier hours (default: all)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Share of games with a snapshot in each fetch tier, per game day (a heat map).

    Example: odds plot coverage --start 2023-10-24 --end 2024-04-14 -o coverage.png
    """
    from dataclasses import asdict

    from oddscore.charts.coverage import coverage_by_day, save_tier_coverage
    from oddscore.cli.backtest import parse_day
    from oddscore.queries.coverage import tier_coverage
    from oddscore.queries.session import open_session

    first, last = parse_day(start), parse_day(end, end=True)

    async def go() -> Any:
        async with open_session() as session:
            return await tier_coverage(session, start=first, end=last, sport_key=sport)

    found = run(go())
    if not found:
        games = f"{sport} games" if sport else "games"
        raise fail(f"no stored {games} between {start} and {end}")
    save_tier_coverage(found, output)
    days = coverage_by_day(found)
    if as_json:
        print_json({"plot": output, "days": [asdict(d) for d in days]})
        return
    console.print(f"tier coverage of {len(found)} games over {len(days)} days written to {output}")


def _done(output: Path, figures: dict[str, Any], name: str, as_json: bool) -> None:
    if as_json:
        print_json({"plot": output, name: figures})
        return
    console.print(f"chart written to {output}")

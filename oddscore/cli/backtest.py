"""``odds backtest``: replay stored odds through a strategy; show, compare and export results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    fail,
    handle_errors,
    print_json,
    print_table,
    run,
    working,
)
from oddscore.cli.options import DECISION_HOURS, STALENESS_HOURS, number_option, time_option

app = typer.Typer(help="Backtest strategies on the stored odds.", no_args_is_help=True)

SUMMARY_ROWS = (
    "total_bets",
    "wins",
    "losses",
    "pushes",
    "voids",
    "turnover",
    "profit",
    "yield",
    "roi",
    "win_rate",
    "average_odds",
    "final_bankroll",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_daily",
    "calmar",
    "profit_factor",
    "longest_win_streak",
    "longest_loss_streak",
    "clv_mean",
    "clv_beat_close_share",
    "yield_ci_low",
    "yield_ci_high",
    "t_stat",
    "expected_profit",
    "expected_profit_model",
)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.2f}"
    return str(value)


def parse_day(text: str, *, end: bool = False) -> datetime:
    """A date (UTC midnight) or an ISO timestamp; an --end date includes that whole day."""
    from datetime import UTC, timedelta

    from oddscore.clock import parse_timestamp

    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        return parse_timestamp(text)
    except ValueError:
        raise fail(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def load_result(location: str) -> Any:
    """A saved backtest result, from a local file or ``s3://bucket/key``; a clear error else."""
    from oddscore.backtest.results import BacktestResult

    try:
        return BacktestResult.load(location)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise fail(f"{location} is not a backtest result: {str(exc).splitlines()[0]}") from None
    except FileNotFoundError:
        raise fail(f"No such file or directory: {location}") from None
    except OSError as exc:  # S3 refused, no credentials, not a regular file
        raise fail(f"cannot read {location}: {exc.strerror or exc}") from None


ResultLocation = Annotated[
    str, typer.Argument(help="A result written by --output-json (a path or s3://bucket/key).")
]


def _summary_dict(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.summary.model_dump(by_alias=True)
    return data


MAX_AMOUNT = 1e12  # stakes and bankrolls: beyond any real book, far below float trouble
_AMOUNT = number_option(low=0, high=MAX_AMOUNT, low_open=True)
_SHARE = number_option(low=0, high=1, low_open=True)


@app.command("run")
@handle_errors
def run_command(
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="Registered strategy name.")],
    start: Annotated[
        str, typer.Option(help="First game day (YYYY-MM-DD, UTC).", callback=time_option)
    ],
    end: Annotated[
        str,
        typer.Option(help="Last game day, inclusive (YYYY-MM-DD, UTC).", callback=time_option),
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Strategy parameter KEY=VALUE.")
    ] = None,
    sizing: Annotated[str, typer.Option(help="flat | percentage | kelly.")] = "flat",
    stake: Annotated[
        float,
        typer.Option(
            help="Units per bet (flat) or percent of bankroll (percentage).", callback=_AMOUNT
        ),
    ] = 100.0,
    kelly_fraction: Annotated[
        float, typer.Option(help="Fraction of Kelly (kelly).", callback=_SHARE)
    ] = 0.25,
    bankroll: Annotated[
        float, typer.Option(help="Starting bankroll.", callback=_AMOUNT)
    ] = 10_000.0,
    decision_hours: Annotated[
        float,
        typer.Option(help="Decide this many hours before each tip-off.", callback=DECISION_HOURS),
    ] = 1.0,
    max_staleness: Annotated[
        float,
        typer.Option(
            help="Ignore quotes older than this many hours at decision time.",
            callback=STALENESS_HOURS,
        ),
    ] = 24.0,
    min_stake: Annotated[
        float,
        typer.Option(
            help="Skip stakes below this.", callback=number_option(low=0, high=MAX_AMOUNT)
        ),
    ] = 0.0,
    max_stake: Annotated[
        float | None, typer.Option(help="Cap every stake.", callback=_AMOUNT)
    ] = None,
    max_bet_pct: Annotated[
        float | None,
        typer.Option(help="Cap a bet at this fraction of the bankroll.", callback=_SHARE),
    ] = None,
    max_slate_pct: Annotated[
        float | None,
        typer.Option(help="Cap a slate at this fraction of the bankroll.", callback=_SHARE),
    ] = None,
    book_limit: Annotated[
        list[str] | None, typer.Option(help="Per-book stake limit BOOK=AMOUNT.")
    ] = None,
    haircut_minutes: Annotated[
        float | None,
        typer.Option(
            help="Fill at the worse of the quote and the next one within N minutes.",
            callback=number_option(low=0, high=7 * 24 * 60, low_open=True),
        ),
    ] = None,
    clv_books: Annotated[
        str | None,
        typer.Option(help="Comma-separated books whose no-vig close is the CLV reference."),
    ] = None,
    sport: Annotated[str, typer.Option(help="Sport key.")] = "basketball_nba",
    output_json: Annotated[
        Path | None, typer.Option("--output-json", help="Write the full result here.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the equity curve PNG here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a backtest of STRATEGY over the stored odds of the games in [START, END].

    Example: odds backtest run -s basic_ev --start 2023-10-24 --end 2024-06-17 -p min_ev=0.03
    """
    from oddscore.backtest.config import BacktestConfig
    from oddscore.backtest.engine import run_backtest
    from oddscore.backtest.strategies import parse_params
    from oddscore.storage.engine import Database

    limits = {}
    for item in book_limit or []:
        book, _, amount = item.partition("=")
        try:
            limits[book.strip()] = float(amount)
        except ValueError:
            raise fail(f"--book-limit is BOOK=AMOUNT, got {item!r}") from None
    config = BacktestConfig(
        start=parse_day(start),
        end=parse_day(end, end=True),
        sport_key=sport,
        decision_hours=decision_hours,
        max_staleness_hours=max_staleness,
        sizing=sizing,  # type: ignore[arg-type]  # validated by the model
        stake=stake,
        kelly_fraction=kelly_fraction,
        bankroll=bankroll,
        min_stake=min_stake,
        max_stake=max_stake,
        max_bet_pct=max_bet_pct,
        max_slate_pct=max_slate_pct,
        book_limits=limits,
        haircut_minutes=haircut_minutes,
        clv_books=[b.strip() for b in clv_books.split(",")] if clv_books else None,
    )
    params = parse_params(strategy, param or [])

    async def go() -> Any:
        async with Database.from_settings() as db:
            return await run_backtest(db, strategy, config, params)

    with working(f"backtesting {strategy}"):
        result = run(go())
    if output_json is not None:
        result.save(output_json)
    if plot is not None:
        from oddscore.backtest.plot import save_equity_plot

        save_equity_plot(result, plot)
    if as_json:
        print_json(_summary_dict(result))
        return
    _print_summary(result)
    if output_json is not None:
        console.print(f"result written to {output_json}")
    if plot is not None:
        console.print(f"equity curve written to {plot}")


def _print_summary(result: Any) -> None:
    from datetime import timedelta

    summary = _summary_dict(result)
    title = (
        f"{result.strategy} {result.start.date()} .. "
        f"{(result.end - timedelta(microseconds=1)).date()} "
        f"(decision {result.config.get('decision_hours')} h before tip)"
    )
    print_table(([k, _fmt(summary[k])] for k in SUMMARY_ROWS), ["metric", "value"], title=title)
    risk = summary.get("kelly_risk")
    if risk:
        print_table(
            (
                [
                    row["plan"],
                    row["slates"],
                    f"{row['mean_total_stake']:.2%}",
                    f"{row['growth']:+.4f}",
                    f"{row['volatility']:.4f}",
                    f"{row['drawdown_probability']:.1%}",
                ]
                for row in risk
            ),
            ["plan", "slates", "stake/slate", "E log growth", "volatility", "P(-50%)"],
            title="Kelly risk (model probabilities; slates as independent bets)",
        )


def _print_breakdown(name: str, rows: dict[str, Any]) -> None:
    print_table(
        (
            [
                key,
                b["bets"],
                _fmt(b["turnover"]),
                _fmt(b["profit"]),
                _fmt(b["yield"]),
                _fmt(b["clv_mean"]),
            ]
            for key, b in rows.items()
        ),
        [name, "bets", "turnover", "profit", "yield", "clv_mean"],
        title=f"by {name}",
    )


@app.command("show")
@handle_errors
def show(
    file: ResultLocation,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Breakdowns and every bet.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show the summary of a saved backtest result.

    Example: odds backtest show season.json --verbose
    """
    result = load_result(file)
    if as_json:
        print_json(result.model_dump(by_alias=True) if verbose else _summary_dict(result))
        return
    _print_summary(result)
    if not verbose:
        return
    summary = _summary_dict(result)
    for name in ("market", "book", "month", "tier"):
        _print_breakdown(name, summary[f"by_{name}"])
    print_table(
        (
            [
                b.commence_time.strftime("%Y-%m-%d %H:%M"),
                f"{b.away_team} @ {b.home_team}",
                b.book,
                b.market,
                b.outcome if b.point is None else f"{b.outcome} {b.point:+g}",
                b.price,
                _fmt(b.stake),
                b.result,
                _fmt(b.profit),
                _fmt(b.clv),
            ]
            for b in result.bets
        ),
        ["commence", "game", "book", "market", "bet", "price", "stake", "result", "profit", "clv"],
        title="bets",
    )


@app.command("compare")
@handle_errors
def compare(
    files: Annotated[
        list[str], typer.Argument(help="Two or more saved results (paths or s3://bucket/key).")
    ],
    as_json: JsonOption = False,
) -> None:
    """Compare the summaries of saved backtest results side by side.

    Example: odds backtest compare flat.json basic_ev.json
    """
    results = [load_result(f) for f in files]
    summaries = [_summary_dict(r) for r in results]
    if as_json:
        print_json({str(f): s for f, s in zip(files, summaries, strict=True)})
        return
    names = [f.rstrip("/").rsplit("/", 1)[-1] for f in files]
    columns = ["metric", *(f"{r.strategy} ({n})" for r, n in zip(results, names, strict=True))]
    print_table(([k, *(_fmt(s[k]) for s in summaries)] for k in SUMMARY_ROWS), columns)


@app.command("export")
@handle_errors
def export(
    file: ResultLocation,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
) -> None:
    """Export the bets of a saved backtest result as CSV.

    Example: odds backtest export season.json --output bets.csv
    """
    from oddscore.backtest.results import write_bets_csv

    rows = write_bets_csv(load_result(file), output)
    console.print(f"{rows} bets written to {output}")


@app.command("list-strategies")
@handle_errors
def list_strategies(as_json: JsonOption = False) -> None:
    """List the built-in and installed strategies and their parameters with defaults.

    A package adds one with an entry point in the "oddscore.strategies" group.

    Example: odds backtest list-strategies
    """
    from oddscore.backtest.strategies import strategy_table

    rows = strategy_table()
    if as_json:
        print_json(rows)
        return
    print_table(
        (
            [
                r["name"],
                r["source"],
                r["description"],
                ", ".join(f"{k}={v}" for k, v in r["params"].items()),
            ]
            for r in rows
        ),
        ["name", "source", "description", "params (defaults)"],
    )

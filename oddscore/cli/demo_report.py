"""The Rich rendering of ``odds demo``'s report (kept apart from the command for size)."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

__all__ = ["print_report"]


def _pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _table(title: str, *columns: str, left: int = 1) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        min_width=72,
    )
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < left else "right", no_wrap=index == 0)
    return table


def print_report(report: Any, console: Console) -> None:
    from oddscore.demo.pictures import PICTURES
    from oddscore.scheduling.tiers import tiers_for

    days = (report.end - report.start).days
    console.print(
        Panel.fit(
            f"[bold]odds demo[/] of {report.sport}: {days} simulated days, "
            f"{report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC "
            f"(seed {report.seed}), run in {report.elapsed_seconds:.0f} s of real time\n"
            "simulated The Odds API in-process, real client, real ingestion pipeline, "
            "real scheduling intelligence, one virtual clock",
        )
    )

    collected = _table("Collection", "", "value", left=2)
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(report.statuses.items()))
    collected.add_row("games in the window", f"{report.games} ({statuses or 'none'})")
    collected.add_row("games with a final score", str(report.finals))
    runs = ", ".join(f"{name} {n}" for name, n in sorted(report.runs.items()))
    collected.add_row("flow runs", runs)
    collected.add_row("snapshots stored (every listed game)", f"{report.snapshots:,}")
    collected.add_row("odds rows stored", f"{report.odds_rows:,}")
    collected.add_row(
        "games with a closing capture (<= 10 min to tip)",
        f"{report.closing_captured} of {report.games}",
    )
    console.print(collected)

    tiers = _table(
        "Snapshots per tier (games of the window)",
        "tier",
        "hours to tip",
        "snapshots",
        "games covered",
    )
    spans = {s.tier.value: s for s in tiers_for(report.sport)}
    for row in report.tiers:
        spec = spans[row.tier]
        upper = "+" if spec.max_hours is None else f"-{spec.max_hours:g}"
        tiers.add_row(
            row.tier,
            f"{spec.min_hours:g}{upper}",
            f"{row.snapshots:,}",
            f"{row.games} of {report.games}",
        )
    console.print(tiers)

    c = report.credits
    credits = _table("Credits", "", "credits", "calls")
    credits.add_row(
        "/odds on the intelligence's schedule",
        f"{c.by_endpoint.get('odds', 0):,}",
        f"{c.calls.get('odds', 0):,}",
    )
    credits.add_row(
        "/scores (settling games)",
        f"{c.by_endpoint.get('scores', 0):,}",
        f"{c.calls.get('scores', 0):,}",
    )
    credits.add_row(
        "/events (discovery, free)",
        f"{c.by_endpoint.get('events', 0):,}",
        f"{c.calls.get('events', 0):,}",
    )
    credits.add_row("[bold]total charged by the provider[/]", f"[bold]{c.used:,}[/]", "")
    credits.add_row(
        "/odds polled every 30 minutes instead (cost estimator)",
        f"{c.fixed_polling:,}",
        f"{c.fixed_polling_calls:,}",
    )
    saving = c.odds_saving
    credits.caption = f"one /odds call = {c.per_call} credits (3 markets, 8 books = 1 region); " + (
        "" if saving is None else f"the intelligence spent {_pct(saving, False)} less on /odds"
    )
    console.print(credits)

    q = report.quality
    quality = _table("Data quality (validation on the way in)", "finding", "count")
    for issue, count in list(q.by_issue.items())[:8]:
        quality.add_row(issue, f"{count:,}")
    if not q.by_issue:
        quality.add_row("none", "0")
    severities = ", ".join(f"{n:,} {s}" for s, n in sorted(q.by_severity.items())) or "none"
    quality.caption = (
        f"by severity: {severities}; "
        f"odds rows flagged invalid: {q.invalid_rows:,} of {q.odds_rows:,}"
    )
    console.print(quality)

    strategies = _table(
        "Strategies (decided 1 h before tip, 100 units a bet, CLV against Pinnacle's no-vig close)",
        "strategy",
        "bets",
        "W-L",
        "profit",
        "yield",
        "ROI",
        "CLV",
        "beat close",
        "max DD",
    )
    for s in report.strategies:
        colour = "green" if s.profit > 0 else "red" if s.profit < 0 else ""
        strategies.add_row(
            s.strategy,
            str(s.bets),
            f"{s.wins}-{s.losses}",
            f"[{colour}]{s.profit:+,.0f}[/]" if colour else f"{s.profit:+,.0f}",
            _pct(s.yield_),
            _pct(s.roi),
            _pct(s.clv_mean),
            _pct(s.beat_close, False),
            _pct(s.max_drawdown, False),
        )
    strategies.caption = (
        "a few days are far too few to judge a strategy by its profit; CLV is the faster signal"
    )
    console.print(strategies)

    if report.pictures:
        pictures = _table("Pictures", "file", "shows", left=2)
        for name, path in report.pictures.items():
            pictures.add_row(str(path), PICTURES.get(name, ""))
        console.print(pictures)
    db = report.database
    console.print(
        "\n[bold]Look around[/] (the demo's database is a normal one):\n"
        f"  DATABASE_URL=sqlite:///{db} uv run odds status show --verbose"
        f" --at {report.end:%Y-%m-%dT%H:%MZ}\n"
        f"  DATABASE_URL=sqlite:///{db} uv run odds lines {(report.line_event or '')[:8]}"
        " --plot lines.png\n"
        f"  uv run odds backtest show {db.parent / 'backtest-basic_ev.json'} --verbose\n"
        f"  request log: {db.parent / 'demo.log'}\n"
        "[bold]The odds screen in the browser[/] (then open http://127.0.0.1:8000):\n"
        f"  DATABASE_URL=sqlite:///{db} uv run odds serve --at {report.end:%Y-%m-%dT%H:%MZ}"
        f" --results {db.parent}",
        highlight=False,
    )

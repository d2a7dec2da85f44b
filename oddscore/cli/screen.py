"""``odds screen``: the low-hold screen and middles over the games starting soon."""

from __future__ import annotations

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
)

app = typer.Typer(help="Screens over upcoming games: lowest hold per market, middles.")

AtOption = Annotated[
    str, typer.Option("--at", help="As-of time, ISO 8601 or 'now'; games starting after it.")
]
HoursOption = Annotated[
    float, typer.Option("--hours", min=0.5, help="Games commencing within this many hours.")
]
LimitOption = Annotated[int, typer.Option("--limit", min=1, help="Show at most this many rows.")]


def _leg(q: Any) -> dict[str, Any]:
    return {
        "book": q.book,
        "outcome": q.outcome,
        "point": q.point,
        "decimal": q.decimal,
        "observed_at": q.observed_at,
    }


def _label(q: Any) -> str:
    if q.point is None:
        point = ""
    elif q.outcome in ("Over", "Under"):
        point = f" {q.point:g}"  # a total's line has no sign
    else:
        point = f" {q.point:+g}"
    return f"{q.outcome}{point} {q.decimal:.3f} @ {q.book}"


def _when(at: str) -> Any:
    from oddscore.queries.board import parse_when

    when = parse_when(at)
    if when is None:
        raise fail("--at needs a time (ISO 8601) or 'now'")
    return when


def _rules() -> Any:
    from datetime import timedelta

    from oddscore.analytics.arbitrage import ArbitrageRules
    from oddscore.config import BettingSettings

    betting = BettingSettings()
    return ArbitrageRules(
        timedelta(minutes=betting.arb_max_quote_age_minutes),
        timedelta(minutes=betting.arb_max_leg_gap_minutes),
        betting.commission,
    )


@app.command("lowhold")
@handle_errors
def lowhold(
    at: AtOption = "now",
    hours: HoursOption = 36.0,
    market: Annotated[
        list[str] | None, typer.Option("--market", "-m", help="Only this market (repeatable).")
    ] = None,
    limit: LimitOption = 20,
    json_output: JsonOption = False,
) -> None:
    """Per game and market, the lowest two-way hold across books, lowest first.

    Hold is 1 - 1/B with B the sum of 1/d over the best fresh price per side (after
    commission); below 0 is an arbitrage. Example: odds screen lowhold --at now --hours 24
    """
    from oddscore.analytics.arbitrage import lowest_hold
    from oddscore.queries.board import open_session
    from oddscore.queries.screen import upcoming_boards

    when = _when(at)
    markets = market or ["h2h", "spreads", "totals"]
    rules = _rules()

    async def go() -> Any:
        async with open_session() as session:
            return await upcoming_boards(session, when, hours, markets)

    rows = []
    for event, boards in run(go()):
        for key in markets:
            found = lowest_hold(boards.get(key, ()), key, as_of=when, rules=rules)
            if found is not None:
                rows.append((event, key, found))
    rows.sort(key=lambda r: r[2].booksum)
    rows = rows[:limit]
    if json_output:
        print_json(
            {
                "as_of": when,
                "screen": [
                    {
                        "event_id": e.id,
                        "commence_time": e.commence_time,
                        "home_team": e.home_team,
                        "away_team": e.away_team,
                        "market": key,
                        "booksum": h.booksum,
                        "hold": h.hold,
                        "legs": [_leg(q) for q in h.legs],
                    }
                    for e, key, h in rows
                ],
            }
        )
        return
    print_table(
        [
            (
                f"{e.away_team} @ {e.home_team}",
                f"{e.commence_time:%m-%d %H:%M}",
                key,
                f"{h.hold:+.2%}",
                " | ".join(_label(q) for q in h.legs),
            )
            for e, key, h in rows
        ],
        ["game", "tip (UTC)", "market", "hold", "best price per side"],
        title=f"lowest hold per game and market, as of {when:%Y-%m-%d %H:%M} UTC",
    )
    if not rows:
        console.print("no complete market with fresh quotes for games in that window")


@app.command("middles")
@handle_errors
def middles(
    at: AtOption = "now",
    hours: HoursOption = 36.0,
    history_days: Annotated[
        float, typer.Option("--history-days", min=1, help="Past games the distribution uses.")
    ] = 365.0,
    limit: LimitOption = 20,
    json_output: JsonOption = False,
) -> None:
    """Spread and total pairs across books that can both win, with P(both win) and EV.

    The final score is drawn from the residuals of the stored games of the last
    --history-days (final minus consensus closing line), whole-number lines push.
    Example: odds screen middles --at now --hours 24
    """
    from oddscore.analytics.arbitrage import find_middles
    from oddscore.analytics.middles import consensus_line, middle_value
    from oddscore.queries.board import open_session
    from oddscore.queries.screen import score_distribution, upcoming_boards

    when = _when(at)
    rules = _rules()
    markets = ["spreads", "totals"]

    async def go() -> Any:
        async with open_session() as session:
            boards = await upcoming_boards(session, when, hours, markets)
            dists = {m: await score_distribution(session, when, m, history_days) for m in markets}
            return boards, dists

    boards, dists = run(go())
    rows = []
    for event, by_market in boards:
        for key in markets:
            quotes = by_market.get(key, [])
            for middle in find_middles(quotes, key, as_of=when, rules=rules):
                side = "Over" if key == "totals" else middle.low.outcome
                line = consensus_line(quotes, side)
                if line is None:
                    continue
                center = line if key == "totals" else -line
                rows.append((event, key, middle_value(middle, key, dists[key], center, rules)))
    rows.sort(key=lambda r: -r[2].ev)
    rows = rows[:limit]
    if json_output:
        print_json(
            {
                "as_of": when,
                "history_games": {m: len(d.residuals) for m, d in dists.items()},
                "middles": [
                    {
                        "event_id": e.id,
                        "commence_time": e.commence_time,
                        "home_team": e.home_team,
                        "away_team": e.away_team,
                        "market": key,
                        "width": v.middle.width,
                        "p_both": v.p_both,
                        "p_push": v.p_push,
                        "ev": v.ev,
                        "stakes": list(v.stakes),
                        "legs": [_leg(v.middle.low), _leg(v.middle.high)],
                    }
                    for e, key, v in rows
                ],
            }
        )
        return
    print_table(
        [
            (
                f"{e.away_team} @ {e.home_team}",
                key,
                f"{v.middle.width:g}",
                f"{_label(v.middle.low)} | {_label(v.middle.high)}",
                f"{v.p_both:.1%}",
                f"{v.ev:+.2%}",
            )
            for e, key, v in rows
        ],
        ["game", "market", "width", "legs", "both win", "EV"],
        title=f"middles as of {when:%Y-%m-%d %H:%M} UTC (balanced stakes, EV per unit staked)",
    )
    if not rows:
        console.print("no middle among fresh quotes for games in that window")

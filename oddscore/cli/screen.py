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

app = typer.Typer(
    help="Screens over upcoming games: the board, EV, arbitrage, lowest hold, middles."
)

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
    from oddscore.queries.session import parse_when

    when = parse_when(at)
    if when is None:
        raise fail("--at needs a time (ISO 8601) or 'now'")
    return when


def _rules() -> Any:
    from oddscore.screens.opportunities import rules_from_settings

    return rules_from_settings()


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
    """Per game and market, the lowest hold across books, lowest first.

    Hold is 1 - 1/B with B the sum of 1/d over the best fresh price per outcome (after
    commission; home, draw and away in a three-way moneyline); below 0 is an arbitrage.
    Example: odds screen lowhold --at now --hours 24
    """
    from oddscore.analytics.arbitrage import lowest_hold
    from oddscore.queries.session import open_session
    from oddscore.screens.boards import upcoming_boards
    from oddscore.sports import profile_for

    when = _when(at)
    markets = market or ["h2h", "spreads", "totals"]
    rules = _rules()

    async def go() -> Any:
        async with open_session() as session:
            return await upcoming_boards(session, when, hours, markets)

    rows = []
    for event, boards in run(go()):
        for key in markets:
            outcomes = profile_for(event.sport_key).outcome_count(key)
            found = lowest_hold(
                boards.get(key, ()), key, as_of=when, rules=rules, outcomes=outcomes
            )
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
    from oddscore.queries.session import open_session
    from oddscore.screens.boards import score_distribution, upcoming_boards

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


DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Games of this UTC day (YYYY-MM-DD) instead of --hours."),
]
BooksOption = Annotated[
    list[str] | None, typer.Option("--book", "-b", help="Only this bookmaker (repeatable).")
]
MarketsOption = Annotated[
    list[str] | None, typer.Option("--market", "-m", help="Only this market (repeatable).")
]


def _boards(
    when: Any, hours: float, day: str | None, market: list[str] | None, book: list[str] | None
) -> Any:
    from datetime import UTC, datetime

    from oddscore.cli.common import parse_date
    from oddscore.config import get_settings
    from oddscore.queries.session import open_session
    from oddscore.screens.opportunities import MARKETS, screen_boards

    first = parse_date(day, "--date") if day else None
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) if first else None
    sharp = get_settings().collection.sharp_bookmakers

    async def go() -> Any:
        async with open_session() as session:
            return await screen_boards(
                session,
                when,
                hours=hours,
                day=start,
                markets=market or MARKETS,
                bookmakers=book or None,
                sharp_books=sharp,
            )

    return run(go()), sharp


@app.command("board")
@handle_errors
def board(
    at: AtOption = "now",
    hours: HoursOption = 36.0,
    date: DateOption = None,
    market: MarketsOption = None,
    book: BooksOption = None,
    json_output: JsonOption = False,
) -> None:
    """Every game of the slate by books: best price per outcome and line, no-vig fair price.

    Each game is read as of --at, or just before tip-off once it has started. The fair price
    de-vigs the sharp books' complete sets (every book's when no sharp book quotes the game).
    Example: odds screen board --hours 24 --market h2h
    """
    from oddscore.screens.opportunities import board_payload

    when = _when(at)
    boards, _sharp = _boards(when, hours, date, market, book)
    if json_output:
        print_json(board_payload(when, boards))
        return
    rows = []
    for b in boards:
        fair = {(f.market_key, f.outcome_name, f.point): f for f in b.fair}
        for p in b.best:
            f = fair.get((p.market_key, p.outcome_name, p.point))
            rows.append(
                (
                    f"{b.event.away_team} @ {b.event.home_team}",
                    p.market_key,
                    p.outcome_name if p.point is None else f"{p.outcome_name} {p.point:+g}",
                    f"{p.price:+d}",
                    ", ".join(p.bookmakers),
                    "" if f is None else f"{f.decimal:.3f}",
                )
            )
    print_table(
        rows,
        ["game", "market", "outcome", "best", "books", "fair (decimal)"],
        title=f"board as of {when:%Y-%m-%d %H:%M} UTC",
    )
    if not boards:
        console.print("no quoted game in that window")


@app.command("ev")
@handle_errors
def ev(
    at: AtOption = "now",
    hours: HoursOption = 36.0,
    date: DateOption = None,
    market: MarketsOption = None,
    book: BooksOption = None,
    min_ev: Annotated[
        float, typer.Option("--min-ev", help="Smallest EV per unit staked listed (0.02 = 2%).")
    ] = 0.0,
    bankroll: Annotated[
        float, typer.Option("--bankroll", min=0.0, help="Bankroll the stakes are sized on.")
    ] = 1000.0,
    kelly: Annotated[
        float, typer.Option("--kelly", min=0.0, max=1.0, help="Fraction of full Kelly staked.")
    ] = 0.25,
    json_output: JsonOption = False,
) -> None:
    """Prices beating the sharp books' no-vig fair price, with a fractional-Kelly stake.

    Example: odds screen ev --min-ev 0.02 --bankroll 1000 --kelly 0.25
    """
    from oddscore.analytics.devig import DevigMethod
    from oddscore.screens.opportunities import ev_list, ev_payload

    when = _when(at)
    boards, sharp = _boards(when, hours, date, market, book)
    method = DevigMethod.MULTIPLICATIVE
    bets = ev_list(boards, sharp_books=sharp, min_ev=min_ev, bankroll=bankroll, kelly=kelly)
    if json_output:
        print_json(ev_payload(when, sharp, method, bets))
        return
    print_table(
        [
            (
                f"{b.event.away_team} @ {b.event.home_team}",
                b.quote.market_key,
                b.quote.outcome_name
                if b.quote.point is None
                else f"{b.quote.outcome_name} {b.quote.point:+g}",
                b.quote.bookmaker_key,
                f"{b.quote.price:+d}",
                f"{1.0 / b.fair_probability:.3f}",
                f"{b.ev:+.2%}",
                f"{b.stake:.2f}",
            )
            for b in bets
        ],
        ["game", "market", "bet", "book", "price", "fair", "EV", "stake"],
        title=f"EV against {', '.join(sharp)} as of {when:%Y-%m-%d %H:%M} UTC",
    )
    if not bets:
        console.print("no price at or above that EV among games a sharp book quotes")


@app.command("arbs")
@handle_errors
def arbs(
    at: AtOption = "now",
    hours: HoursOption = 36.0,
    date: DateOption = None,
    market: MarketsOption = None,
    book: BooksOption = None,
    outlay: Annotated[
        float, typer.Option("--outlay", min=0.0, help="Total staked over the legs.")
    ] = 100.0,
    json_output: JsonOption = False,
) -> None:
    """Arbitrages among fresh quotes, after commission, with balanced stakes.

    Staleness and commission come from ARB_MAX_QUOTE_AGE_MINUTES, ARB_MAX_LEG_GAP_MINUTES and
    BOOK_COMMISSION. Example: odds screen arbs --hours 24 --outlay 500
    """
    from oddscore.screens.opportunities import arbitrage_list, arbitrage_payload

    when = _when(at)
    rules = _rules()
    boards, _sharp = _boards(when, hours, date, market, book)
    found = arbitrage_list(boards, rules, outlay)
    if json_output:
        print_json(arbitrage_payload(when, rules, found))
        return
    print_table(
        [
            (
                f"{b.event.away_team} @ {b.event.home_team}",
                key,
                f"{a.profit:+.2%}",
                " | ".join(_label(q) for q in a.legs),
                " | ".join(f"{s:.2f}" for s in a.stakes),
            )
            for b, key, a in found
        ],
        ["game", "market", "profit", "legs", "stakes"],
        title=f"arbitrages as of {when:%Y-%m-%d %H:%M} UTC (after commission)",
    )
    if not found:
        console.print("no arbitrage among fresh quotes for games in that window")

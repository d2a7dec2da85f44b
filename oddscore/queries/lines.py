"""Line movement and closing lines: how each book's price moved, and where it ended pre-tip.

Only quotes observed strictly before commence count as closing: anything at or after tip-off
is in-play, whatever its price, and must never be mistaken for the close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from oddscore.queries.plain import fetch, in_list, utc_required
from oddscore.queries.types import ClosingQuote, LinePoint

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["closing_lines", "line_movement", "lines_frame"]


async def line_movement(
    session: AsyncSession,
    event_id: str,
    *,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    pregame_only: bool = False,
    valid_only: bool = True,
) -> list[LinePoint]:
    """Every observation of one event, per book, market and outcome in time order."""
    where = [
        "o.event_id = :event_id",
        *in_list("o.bookmaker_key", "books", bookmakers),
        *in_list("o.market_key", "markets", markets),
    ]
    tables = "odds o"
    if pregame_only:
        tables += " JOIN events e ON e.id = o.event_id"
        where.append("o.odds_timestamp < e.commence_time")
    if valid_only:
        where.append("o.is_valid")
    rows = await fetch(
        session,
        "SELECT o.bookmaker_key, o.market_key, o.outcome_name, o.point, o.price, "
        f"o.odds_timestamp FROM {tables} WHERE {' AND '.join(where)} "
        "ORDER BY o.market_key, o.bookmaker_key, o.outcome_name, o.odds_timestamp, o.id",
        {"event_id": event_id, "books": bookmakers, "markets": markets},
    )
    return [
        LinePoint(book, market, outcome, point, price, utc_required(taken))
        for book, market, outcome, point, price, taken in rows
    ]


def lines_frame(points: Iterable[LinePoint]) -> pd.DataFrame:
    """A line-movement series as a DataFrame with a UTC ``odds_timestamp`` column."""
    import pandas as pd

    columns = ["bookmaker_key", "market_key", "outcome_name", "point", "price", "odds_timestamp"]
    frame = pd.DataFrame.from_records(
        [
            (p.bookmaker_key, p.market_key, p.outcome_name, p.point, p.price, p.odds_timestamp)
            for p in points
        ],
        columns=columns,
    )
    frame["odds_timestamp"] = pd.to_datetime(frame["odds_timestamp"], utc=True)
    return frame


async def closing_lines(
    session: AsyncSession,
    event_ids: Sequence[str],
    *,
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    valid_only: bool = True,
) -> list[ClosingQuote]:
    """The last pre-tip quote per event, book, market, outcome and point, in one statement.

    A book that moved its spread from -5 to -6 before tip has a closing quote at both
    points (a bet at -5 is graded against the -5 close); ``is_final`` marks the quotes of
    the book's last pre-tip observation of the market, its closing line proper. For the
    final closing lines of a whole season, :func:`oddscore.queries.asof.odds_before_tip`
    with a lead of a millisecond probes the index instead of ranking every quote.
    """
    if not event_ids:
        return []
    from sqlalchemy import and_, func, select

    from oddscore.queries._sql import EVENTS, ODDS, in_filter

    OD = ODDS.c
    EV = EVENTS.c
    where = [
        OD.event_id.in_(list(event_ids)),
        OD.odds_timestamp < EV.commence_time,
        *in_filter(OD.bookmaker_key, bookmakers),
        *in_filter(OD.market_key, markets),
    ]
    if valid_only:
        where.append(OD.is_valid.is_(True))
    per_point = [OD.event_id, OD.bookmaker_key, OD.market_key, OD.outcome_name, OD.point]
    rank = func.row_number().over(
        partition_by=per_point, order_by=[OD.odds_timestamp.desc(), OD.id.desc()]
    )
    last_seen = func.max(OD.odds_timestamp).over(
        partition_by=[OD.event_id, OD.bookmaker_key, OD.market_key]
    )
    ranked = (
        select(
            OD.event_id,
            EV.commence_time,
            OD.bookmaker_key,
            OD.market_key,
            OD.outcome_name,
            OD.point,
            OD.price,
            OD.odds_timestamp,
            rank.label("rank"),
            last_seen.label("last_seen"),
        )
        .select_from(ODDS.join(EVENTS, EV.id == OD.event_id))
        .where(and_(*where))
        .subquery("ranked")
    )
    r = ranked.c
    statement = (
        select(
            r.event_id,
            r.commence_time,
            r.bookmaker_key,
            r.market_key,
            r.outcome_name,
            r.point,
            r.price,
            r.odds_timestamp,
            (r.odds_timestamp == r.last_seen).label("is_final"),
        )
        .where(r.rank == 1)
        .order_by(r.event_id, r.market_key, r.bookmaker_key, r.outcome_name, r.point)
    )
    result = await session.execute(statement)
    return [_closing(row) for row in result.tuples()]


def _closing(row: Any) -> ClosingQuote:
    event_id, commence, book, market, outcome, point, price, taken, is_final = row
    return ClosingQuote(
        event_id, commence, book, market, outcome, point, price, taken, bool(is_final)
    )

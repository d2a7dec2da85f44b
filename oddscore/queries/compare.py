"""Bookmaker comparison: one event's board as a DataFrame with implied probabilities.

Each row is one book's quote; ``implied`` is the raw implied probability (margin included),
``booksum`` the sum of the book's implied probabilities over the outcomes of that market in
the same observation, and ``fair`` the proportional no-vig probability ``implied / booksum``
(the simplest de-vig; :mod:`oddscore.analytics.devig` has the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from oddscore.prices.odds import american_to_decimal, american_to_implied
from oddscore.queries.asof_one import DEFAULT_MAX_STALENESS, odds_as_of
from oddscore.queries.types import Quote

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["COMPARISON_COLUMNS", "bookmaker_comparison", "compare_books"]

COMPARISON_COLUMNS = [
    "market_key",
    "outcome_name",
    "point",
    "bookmaker_key",
    "sharp",
    "price",
    "decimal",
    "implied",
    "booksum",
    "fair",
    "best",
    "odds_timestamp",
]


def bookmaker_comparison(
    quotes: Iterable[Quote], *, sharp_books: Sequence[str] = ()
) -> pd.DataFrame:
    """Quotes side by side; ``best`` marks the top price per (market, outcome, point)."""
    import pandas as pd

    rows = [
        {
            "market_key": q.market_key,
            "outcome_name": q.outcome_name,
            "point": q.point,
            "bookmaker_key": q.bookmaker_key,
            "sharp": q.bookmaker_key in sharp_books,
            "price": q.price,
            "decimal": american_to_decimal(q.price),
            "implied": american_to_implied(q.price),
            "odds_timestamp": q.odds_timestamp,
        }
        for q in quotes
        if not -100 < q.price < 100
    ]
    frame = pd.DataFrame(rows, columns=[c for c in COMPARISON_COLUMNS if c not in _DERIVED])
    if frame.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    frame["booksum"] = frame.groupby(["market_key", "bookmaker_key"])["implied"].transform("sum")
    frame["fair"] = frame["implied"] / frame["booksum"]
    # groupby drops NaN keys; h2h has no point, so group on a filled copy.
    line = frame["point"].fillna(float("inf"))
    top = frame.groupby([frame["market_key"], frame["outcome_name"], line])["decimal"].transform(
        "max"
    )
    frame["best"] = frame["decimal"] == top
    frame["odds_timestamp"] = pd.to_datetime(frame["odds_timestamp"], utc=True)
    return (
        frame[COMPARISON_COLUMNS]
        .sort_values(
            ["market_key", "outcome_name", "point", "decimal"], ascending=[True, True, True, False]
        )
        .reset_index(drop=True)
    )


_DERIVED = {"booksum", "fair", "best"}


async def compare_books(
    session: AsyncSession,
    event_id: str,
    at: datetime,
    *,
    markets: Sequence[str] | None = None,
    bookmakers: Sequence[str] | None = None,
    sharp_books: Sequence[str] = (),
    max_staleness: timedelta | None = DEFAULT_MAX_STALENESS,
) -> pd.DataFrame:
    """The comparison of one event's as-of board at ``at``."""
    quotes = await odds_as_of(
        session,
        event_id,
        at,
        markets=markets,
        bookmakers=bookmakers,
        max_staleness=max_staleness,
    )
    return bookmaker_comparison(quotes, sharp_books=sharp_books)

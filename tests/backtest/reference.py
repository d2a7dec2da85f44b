"""The query layer as the reference for the backtest loader's as-of rule."""

from __future__ import annotations

from datetime import timedelta

from oddscore.backtest.data import load_backtest_data
from oddscore.backtest.market import MarketQuote
from oddscore.queries.asof import odds_before_tip
from oddscore.queries.types import Quote
from oddscore.storage import Database

Row = tuple[object, ...]


def _from_query(quotes: list[Quote]) -> set[Row]:
    return {
        (
            q.event_id,
            q.bookmaker_key,
            q.market_key,
            q.outcome_name,
            q.point,
            q.price,
            q.odds_timestamp,
        )
        for q in quotes
        if not -100 < q.price < 100
    }


def _from_loader(sets: dict[str, list[MarketQuote]]) -> set[Row]:
    return {
        (event_id, q.book, q.market, q.outcome, q.point, q.price, q.quote_time)
        for event_id, quotes in sets.items()
        for q in quotes
    }


async def assert_loader_matches_query_layer(
    db: Database, start: object, end: object, decision_hours: float, staleness_hours: float
) -> int:
    """The loader's decision and closing sets equal ``odds_before_tip``'s; returns their size."""
    data = await load_backtest_data(
        db,
        start,
        end,
        decision_hours=decision_hours,
        max_staleness_hours=staleness_hours,  # type: ignore[arg-type]
    )
    async with db.session() as session:
        decision = await odds_before_tip(
            session,
            start,  # type: ignore[arg-type]
            end,  # type: ignore[arg-type]
            lead=timedelta(hours=decision_hours),
            max_staleness=timedelta(hours=staleness_hours),
        )
        closing = await odds_before_tip(
            session,
            start,  # type: ignore[arg-type]
            end,  # type: ignore[arg-type]
            lead=timedelta(milliseconds=1),
            max_staleness=None,
        )
    assert _from_loader(data.decision) == _from_query(decision)
    assert _from_loader(data.closing) == _from_query(closing)
    return len(decision)

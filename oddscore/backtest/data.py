"""Loading a whole backtest range set-based: a fixed number of statements, whatever its size.

* the events commencing in the range (the schedule, with results kept apart from strategies);
* every event's quotes as of its own decision time ``commence - decision_hours``, no older
  than ``max_staleness`` (the query layer's :func:`~oddscore.queries.asof.odds_before_tip`);
* every event's closing quotes, the last observed strictly before commence (for CLV only;
  strategies never see them);
* with an execution haircut, the first quote after the decision time within the window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, select

from oddscore.analytics.odds import american_to_decimal
from oddscore.backtest.market import MarketQuote
from oddscore.clock import as_utc
from oddscore.queries._sql import EVENTS, ODDS, shift_time
from oddscore.queries.asof import odds_before_tip
from oddscore.queries.types import Quote
from oddscore.storage.engine import Database

__all__ = ["BacktestData", "EventInfo", "load_backtest_data"]

# Closing = observed at or before commence minus this: strictly before tip-off for the
# whole-second timestamps providers send (SQLite keeps milliseconds in shifted times).
_BEFORE_TIP = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: str
    home_team: str
    away_team: str
    commence_time: datetime
    status: str
    home_score: int | None
    away_score: int | None
    completed_at: datetime | None


QuoteKey = tuple[str, str, str]  # book, market, outcome


@dataclass
class BacktestData:
    events: list[EventInfo]
    decision: dict[str, list[MarketQuote]]
    closing: dict[str, list[MarketQuote]]
    next_quotes: dict[str, dict[QuoteKey, MarketQuote]] = field(default_factory=dict)

    @property
    def quote_rows(self) -> int:
        return sum(len(v) for v in self.decision.values()) + sum(
            len(v) for v in self.closing.values()
        )


def _market_quotes(quotes: Iterable[Quote]) -> dict[str, list[MarketQuote]]:
    out: dict[str, list[MarketQuote]] = defaultdict(list)
    for q in quotes:
        if -100 < q.price < 100:
            continue  # not a price; validation flags these, strict or not
        out[q.event_id].append(
            MarketQuote(
                book=q.bookmaker_key,
                market=q.market_key,
                outcome=q.outcome_name,
                point=q.point,
                price=q.price,
                decimal=american_to_decimal(q.price),
                quote_time=q.odds_timestamp,
            )
        )
    return out


async def _next_quotes(
    db: Database,
    start: datetime,
    end: datetime,
    lead: timedelta,
    window: timedelta,
    sport_key: str,
    bookmakers: Sequence[str] | None,
    markets: Sequence[str] | None,
) -> dict[str, dict[QuoteKey, MarketQuote]]:
    """The first quote per book, market and outcome in (decision, decision + window], pre-tip."""
    decision = shift_time(EVENTS.c.commence_time, -lead)
    where = [
        EVENTS.c.sport_key == sport_key,
        EVENTS.c.commence_time >= start,
        EVENTS.c.commence_time < end,
        ODDS.c.odds_timestamp > decision,
        ODDS.c.odds_timestamp <= shift_time(EVENTS.c.commence_time, window - lead),
        ODDS.c.odds_timestamp < EVENTS.c.commence_time,
        ODDS.c.is_valid.is_(True),
    ]
    if bookmakers is not None:
        where.append(ODDS.c.bookmaker_key.in_(list(bookmakers)))
    if markets is not None:
        where.append(ODDS.c.market_key.in_(list(markets)))
    statement = (
        select(
            ODDS.c.event_id,
            ODDS.c.bookmaker_key,
            ODDS.c.market_key,
            ODDS.c.outcome_name,
            ODDS.c.point,
            ODDS.c.price,
            ODDS.c.odds_timestamp,
        )
        .select_from(ODDS.join(EVENTS, EVENTS.c.id == ODDS.c.event_id))
        .where(and_(*where))
        .order_by(ODDS.c.odds_timestamp.desc())
    )
    out: dict[str, dict[QuoteKey, MarketQuote]] = defaultdict(dict)
    async with db.session() as session:
        rows = (await session.execute(statement)).tuples().all()
    for event_id, book, market, outcome, point, price, ts in rows:
        if -100 < price < 100:
            continue
        # Rows come newest first, so the last write per key is the earliest quote.
        out[event_id][(book, market, outcome)] = MarketQuote(
            book, market, outcome, point, price, american_to_decimal(price), as_utc(ts)
        )
    return out


async def load_backtest_data(
    db: Database,
    start: datetime,
    end: datetime,
    *,
    decision_hours: float,
    max_staleness_hours: float | None,
    sport_key: str = "basketball_nba",
    bookmakers: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    haircut_minutes: float | None = None,
) -> BacktestData:
    """Everything a backtest of events commencing in ``[start, end)`` reads, set-based."""
    start, end = as_utc(start), as_utc(end)
    lead = timedelta(hours=decision_hours)
    staleness = None if max_staleness_hours is None else timedelta(hours=max_staleness_hours)
    events_stmt = (
        select(
            EVENTS.c.id,
            EVENTS.c.home_team,
            EVENTS.c.away_team,
            EVENTS.c.commence_time,
            EVENTS.c.status,
            EVENTS.c.home_score,
            EVENTS.c.away_score,
            EVENTS.c.completed_at,
        )
        .where(
            EVENTS.c.sport_key == sport_key,
            EVENTS.c.commence_time >= start,
            EVENTS.c.commence_time < end,
        )
        .order_by(EVENTS.c.commence_time, EVENTS.c.id)
    )
    async with db.session() as session:
        events = [EventInfo(*row) for row in (await session.execute(events_stmt)).tuples()]
        decision = await odds_before_tip(
            session,
            start,
            end,
            lead=lead,
            max_staleness=staleness,
            bookmakers=bookmakers,
            markets=markets,
            sport_key=sport_key,
        )
        closing = await odds_before_tip(
            session,
            start,
            end,
            lead=_BEFORE_TIP,
            max_staleness=None,
            bookmakers=bookmakers,
            markets=markets,
            sport_key=sport_key,
        )
    data = BacktestData(events, _market_quotes(decision), _market_quotes(closing))
    if haircut_minutes:
        data.next_quotes = await _next_quotes(
            db,
            start,
            end,
            lead,
            timedelta(minutes=haircut_minutes),
            sport_key,
            bookmakers,
            markets,
        )
    return data

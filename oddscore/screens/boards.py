"""What the screens read: the boards of the games starting soon, and past games' residuals.

* :func:`upcoming_boards` - every event commencing in ``[at, at + hours)``, each as of ``at``
  (one statement), as analytics :class:`~oddscore.analytics.arbitrage.Quote` rows carrying
  their observation time, so the staleness and leg-gap rules can be applied;
* :func:`score_distribution` - the residuals of the games that finished before ``at``: final
  total minus the consensus closing total, or home margin plus the consensus closing home
  point (each game counted from both teams' side, so the distribution serves either team).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.analytics.arbitrage import Quote
from oddscore.analytics.middles import ScoreDistribution, consensus_line
from oddscore.clock import as_utc
from oddscore.exceptions import QueryError
from oddscore.prices.odds import american_to_decimal
from oddscore.queries.asof import odds_as_of_many, odds_before_tip
from oddscore.queries.events import list_events
from oddscore.queries.types import EventSummary

__all__ = ["upcoming_boards", "score_distribution"]

# The closing line: each book's last observation before tip.
_CLOSE = timedelta(milliseconds=1)


async def upcoming_boards(
    session: AsyncSession,
    at: datetime,
    hours: float,
    markets: list[str],
) -> list[tuple[EventSummary, dict[str, list[Quote]]]]:
    """Each event commencing in ``[at, at + hours)`` with its quotes as of ``at`` per market."""
    at = as_utc(at)
    events = await list_events(session, start=at, end=at + timedelta(hours=hours))
    rows = await odds_as_of_many(session, [(e.id, at) for e in events], markets=markets)
    boards: dict[str, dict[str, list[Quote]]] = defaultdict(lambda: defaultdict(list))
    for q in rows:
        boards[q.event_id][q.market_key].append(
            Quote(
                q.bookmaker_key,
                q.outcome_name,
                american_to_decimal(q.price),
                q.point,
                q.odds_timestamp,
            )
        )
    return [(e, dict(boards[e.id])) for e in events if e.id in boards]


async def score_distribution(
    session: AsyncSession, at: datetime, market: str, days: float = 365.0
) -> ScoreDistribution:
    """Residuals of the scored games that started in the ``days`` before ``at``."""
    if market not in ("spreads", "totals"):
        raise QueryError(f"score residuals exist for spreads and totals, not {market!r}")
    at = as_utc(at)
    start = at - timedelta(days=days)
    games = [
        e
        for e in await list_events(session, start=start, end=at)
        if e.home_score is not None and e.away_score is not None
    ]
    if not games:
        raise QueryError(
            f"no scored game in the {days:g} days before {at:%Y-%m-%d %H:%M} UTC: "
            "load results first (odds results load)"
        )
    closing = await odds_before_tip(
        session, start, at, lead=_CLOSE, markets=[market], event_ids=[g.id for g in games]
    )
    by_event: dict[str, list[Quote]] = defaultdict(list)
    for q in closing:
        by_event[q.event_id].append(
            Quote(q.bookmaker_key, q.outcome_name, american_to_decimal(q.price), q.point)
        )
    residuals: list[float] = []
    for g in games:
        assert g.home_score is not None and g.away_score is not None
        if market == "totals":
            line = consensus_line(by_event.get(g.id, ()), "Over")
            if line is not None:
                residuals.append(g.home_score + g.away_score - line)
        else:
            line = consensus_line(by_event.get(g.id, ()), g.home_team)
            if line is not None:
                r = g.home_score - g.away_score + line
                residuals.extend((r, -r))
    if not residuals:
        raise QueryError(f"no scored game before {at:%Y-%m-%d} has a closing {market} line")
    return ScoreDistribution(tuple(residuals))

"""The screens over a slate: the board of every game by books, the EV list, the arbitrage list.

Shared by the ``odds screen`` commands and the web app (``odds serve``), so both show the same
numbers from one computation:

* :func:`slate_board` - each game's as-of board, its best price per outcome and line
  (:func:`oddscore.queries.best.best_prices`, as ``odds best``) and the no-vig fair price
  from the sharp reference (de-vigged complete sets, the backtests' ``MarketView``);
* :func:`ev_list` - every non-sharp price whose EV against that fair price reaches a minimum,
  with a fractional-Kelly stake;
* :func:`arbitrage_list` - every arbitrage under the realism rules
  (:func:`oddscore.analytics.arbitrage.find_arbitrages`), with balanced stakes.

Each game is read as of ``min(at, tip - 1 us)`` (:func:`oddscore.queries.board.default_as_of`):
a game that has started shows its closing board, never in-play prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.analytics.arbitrage import Arbitrage, ArbitrageRules, find_arbitrages
from oddscore.analytics.arbitrage import Quote as ArbQuote
from oddscore.analytics.devig import DevigMethod
from oddscore.analytics.ev import expected_value
from oddscore.analytics.kelly import fractional_kelly
from oddscore.analytics.odds import american_to_decimal
from oddscore.backtest.market import EventView, MarketQuote, MarketView
from oddscore.clock import as_utc
from oddscore.config import BettingSettings
from oddscore.queries.asof import odds_as_of_many
from oddscore.queries.best import best_prices
from oddscore.queries.board import default_as_of
from oddscore.queries.events import list_events
from oddscore.queries.types import BestPrice, EventSummary, Quote
from oddscore.sports import profile_for

__all__ = [
    "EvBet",
    "FairPrice",
    "GameBoard",
    "arbitrage_list",
    "arbitrage_payload",
    "board_payload",
    "ev_list",
    "ev_payload",
    "rules_from_settings",
    "screen_boards",
    "slate_board",
    "slate_events",
]

MARKETS = ("h2h", "spreads", "totals")


@dataclass(frozen=True, slots=True)
class FairPrice:
    """The no-vig probability of one outcome at one line, from the reference books' sets."""

    market_key: str
    outcome_name: str
    point: float | None
    probability: float
    decimal: float


@dataclass(frozen=True, slots=True)
class GameBoard:
    event: EventSummary
    as_of: datetime
    quotes: list[Quote]
    best: list[BestPrice]
    fair: list[FairPrice]
    reference: tuple[str, ...]  # the books the fair prices come from


@dataclass(frozen=True, slots=True)
class EvBet:
    event: EventSummary
    as_of: datetime
    quote: Quote
    decimal: float
    fair_probability: float
    ev: float  # per unit staked
    stake: float  # fractional Kelly, in units of the bankroll given


async def slate_events(
    session: AsyncSession, at: datetime, hours: float, day: datetime | None = None
) -> list[EventSummary]:
    """Games commencing in ``[at, at + hours)``, or on the UTC day starting at ``day``."""
    if day is not None:
        start = as_utc(day)
        return await list_events(session, start=start, end=start + timedelta(days=1))
    at = as_utc(at)
    return await list_events(session, start=at, end=at + timedelta(hours=hours))


def _market_view(game: EventSummary, as_of: datetime, quotes: Sequence[Quote]) -> MarketView:
    rows = tuple(
        MarketQuote(
            q.bookmaker_key,
            q.market_key,
            q.outcome_name,
            q.point,
            q.price,
            american_to_decimal(q.price),
            q.odds_timestamp,
        )
        for q in quotes
        if not -100 < q.price < 100  # not an American price; validation has flagged it
    )
    return MarketView(
        EventView(game.id, game.home_team, game.away_team, game.commence_time), as_of, rows
    )


def _fair_prices(
    view: MarketView, reference: Sequence[str], method: DevigMethod
) -> list[FairPrice]:
    fair: dict[tuple[str, str, float | None], FairPrice] = {}
    for q in view.quotes:
        key = (q.market, q.outcome, q.point)
        if key in fair:
            continue
        point_of = None if q.market == "h2h" else (q.outcome, q.point)
        found = view.fair_probabilities(q.market, reference, method, point_of=point_of)
        if found is None or q.outcome not in found:
            continue
        p = found[q.outcome]
        fair[key] = FairPrice(q.market, q.outcome, q.point, p, 1.0 / p)
    return sorted(
        fair.values(),
        key=lambda f: (f.market_key, f.outcome_name, f.point is None, f.point or 0.0),
    )


def _reference(quotes: Sequence[Quote], sharp: Sequence[str]) -> tuple[str, ...]:
    """The sharp books that quote the game, else every book (a consensus of the market)."""
    books = sorted({q.bookmaker_key for q in quotes})
    present = tuple(b for b in sharp if b in books)
    return present or tuple(books)


async def slate_board(
    session: AsyncSession,
    events: Sequence[EventSummary],
    now: datetime,
    *,
    markets: Sequence[str] | None = None,
    bookmakers: Sequence[str] | None = None,
    sharp_books: Sequence[str] = ("pinnacle",),
    method: DevigMethod = DevigMethod.MULTIPLICATIVE,
) -> list[GameBoard]:
    """Each game's board as of ``now`` (its closing board once started), in one statement.

    ``bookmakers`` picks the books shown (and bet, and compared for the best price); the fair
    price still comes from the sharp books, whether or not they are among them.
    """
    targets = [(e.id, default_as_of(e, now)) for e in events]
    rows = await odds_as_of_many(session, targets, markets=markets)
    by_event: dict[str, list[Quote]] = {}
    for q in rows:
        by_event.setdefault(q.event_id, []).append(q)
    shown = None if bookmakers is None else set(bookmakers)
    boards = []
    for event, (_id, as_of) in zip(events, targets, strict=True):
        every = by_event.get(event.id, [])
        reference = _reference(every, sharp_books)
        quotes = every if shown is None else [q for q in every if q.bookmaker_key in shown]
        boards.append(
            GameBoard(
                event,
                as_of,
                quotes,
                best_prices(quotes),
                _fair_prices(_market_view(event, as_of, every), reference, method),
                reference,
            )
        )
    return boards


async def screen_boards(
    session: AsyncSession,
    now: datetime,
    *,
    hours: float = 36.0,
    day: datetime | None = None,
    markets: Sequence[str] | None = MARKETS,
    bookmakers: Sequence[str] | None = None,
    sharp_books: Sequence[str] = ("pinnacle",),
    method: DevigMethod = DevigMethod.MULTIPLICATIVE,
) -> list[GameBoard]:
    """The boards of the slate (:func:`slate_events`) as of ``now``, games without quotes left
    out."""
    events = await slate_events(session, now, hours, day)
    boards = await slate_board(
        session,
        events,
        now,
        markets=markets,
        bookmakers=bookmakers,
        sharp_books=sharp_books,
        method=method,
    )
    return [b for b in boards if b.quotes]


def rules_from_settings(betting: BettingSettings | None = None) -> ArbitrageRules:
    """The arbitrage realism rules configured (ARB_MAX_QUOTE_AGE_MINUTES, ...)."""
    betting = betting or BettingSettings()
    return ArbitrageRules(
        timedelta(minutes=betting.arb_max_quote_age_minutes),
        timedelta(minutes=betting.arb_max_leg_gap_minutes),
        betting.commission,
    )


def ev_list(
    boards: Sequence[GameBoard],
    *,
    sharp_books: Sequence[str],
    min_ev: float = 0.0,
    bankroll: float = 1000.0,
    kelly: float = 0.25,
) -> list[EvBet]:
    """Non-sharp prices with EV >= ``min_ev`` against the board's fair price, best first.

    Only games whose fair price comes from sharp books are screened (never a consensus the
    price itself helped to make). The stake is ``kelly`` times full Kelly of ``bankroll``.
    """
    sharp = set(sharp_books)
    found = []
    for board in boards:
        if not board.reference or not set(board.reference) <= sharp:
            continue
        fair = {(f.market_key, f.outcome_name, f.point): f.probability for f in board.fair}
        for q in board.quotes:
            if q.bookmaker_key in sharp or -100 < q.price < 100:
                continue
            p = fair.get((q.market_key, q.outcome_name, q.point))
            if p is None:
                continue
            decimal = american_to_decimal(q.price)
            ev = expected_value(p, decimal)
            if ev >= min_ev:
                stake = bankroll * fractional_kelly(p, decimal, kelly)
                found.append(EvBet(board.event, board.as_of, q, decimal, p, ev, stake))
    found.sort(key=lambda b: (-b.ev, b.event.commence_time, b.quote.bookmaker_key))
    return found


def _arb_quote(q: Quote) -> ArbQuote:
    return ArbQuote(
        q.bookmaker_key, q.outcome_name, american_to_decimal(q.price), q.point, q.odds_timestamp
    )


def arbitrage_list(
    boards: Sequence[GameBoard], rules: ArbitrageRules, outlay: float = 100.0
) -> list[tuple[GameBoard, str, Arbitrage]]:
    """Every arbitrage of every game and market under ``rules``, the lowest booksum first."""
    found = []
    for board in boards:
        by_market: dict[str, list[ArbQuote]] = {}
        for q in board.quotes:
            if not -100 < q.price < 100:
                by_market.setdefault(q.market_key, []).append(_arb_quote(q))
        sport = profile_for(board.event.sport_key)
        for market, quotes in sorted(by_market.items()):
            complete = sport.outcome_count(market)
            for arb in find_arbitrages(
                quotes, market, outlay, as_of=board.as_of, rules=rules, outcomes=complete
            ):
                found.append((board, market, arb))
    found.sort(key=lambda item: item[2].booksum)
    return found


def _event(e: EventSummary) -> dict[str, Any]:
    return asdict(e)


def board_payload(at: datetime, boards: Sequence[GameBoard]) -> dict[str, Any]:
    """What ``odds screen board --json`` prints and ``/api/board`` answers."""
    return {
        "as_of": at,
        "games": [
            {
                "event": _event(b.event),
                "as_of": b.as_of,
                "reference": list(b.reference),
                "best": [asdict(p) for p in b.best],
                "fair": [asdict(f) for f in b.fair],
                "quotes": [{**asdict(q), "age_seconds": q.age_seconds} for q in b.quotes],
            }
            for b in boards
        ],
    }


def ev_payload(
    at: datetime,
    sharp_books: Sequence[str],
    method: DevigMethod,
    bets: Sequence[EvBet],
) -> dict[str, Any]:
    """What ``odds screen ev --json`` prints and ``/api/ev`` answers."""
    return {
        "as_of": at,
        "sharp_books": list(sharp_books),
        "devig_method": method.value,
        "bets": [
            {
                "event_id": b.event.id,
                "commence_time": b.event.commence_time,
                "home_team": b.event.home_team,
                "away_team": b.event.away_team,
                "as_of": b.as_of,
                "book": b.quote.bookmaker_key,
                "market": b.quote.market_key,
                "outcome": b.quote.outcome_name,
                "point": b.quote.point,
                "price": b.quote.price,
                "decimal": b.decimal,
                "fair_probability": b.fair_probability,
                "fair_decimal": 1.0 / b.fair_probability,
                "ev": b.ev,
                "stake": b.stake,
                "observed_at": b.quote.odds_timestamp,
            }
            for b in bets
        ],
    }


def arbitrage_payload(
    at: datetime, rules: ArbitrageRules, found: Sequence[tuple[GameBoard, str, Arbitrage]]
) -> dict[str, Any]:
    """What ``odds screen arbs --json`` prints and ``/api/arbitrage`` answers."""
    return {
        "as_of": at,
        "max_quote_age_minutes": _minutes(rules.max_quote_age),
        "max_leg_gap_minutes": _minutes(rules.max_leg_gap),
        "arbitrages": [
            {
                "event_id": b.event.id,
                "commence_time": b.event.commence_time,
                "home_team": b.event.home_team,
                "away_team": b.event.away_team,
                "market": market,
                "booksum": a.booksum,
                "profit": a.profit,
                "stakes": list(a.stakes),
                "leg_gap_seconds": None if a.leg_gap is None else a.leg_gap.total_seconds(),
                "legs": [
                    {
                        "book": q.book,
                        "outcome": q.outcome,
                        "point": q.point,
                        "decimal": q.decimal,
                        "effective": eff,
                        "observed_at": q.observed_at,
                    }
                    for q, eff in zip(a.legs, a.effective, strict=True)
                ],
            }
            for b, market, a in found
        ],
    }


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60.0

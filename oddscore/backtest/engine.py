"""The backtest engine: a time-ordered replay that cannot look ahead.

1. Events are grouped into slates (one US game day: commence minus 6 hours, by date) and the
   slates are replayed in order of their first decision time.
2. Before a slate, every game that has ended by then is settled, in end-time order: pushes
   and voids refund, the strategy hears the result (:meth:`on_result`), and the bankroll moves.
3. Each event of the slate is shown to the strategy as of its own decision time
   ``commence - decision_hours``: the latest quotes observed at or before it, no older than
   the maximum staleness. The strategy never sees a score or a later quote.
4. The slate's bets are sized together from the settled bankroll minus pending stakes, then
   limited (see :class:`~oddscore.backtest.config.BacktestConfig`).
5. A bet settles at its game's end (``completed_at``, else commence + ``settle_hours``).

CLV uses the closing quotes, which the engine reads only after the fact.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from oddscore.analytics.consensus import exchange_effective_odds
from oddscore.analytics.kelly import simultaneous_kelly
from oddscore.backtest.board import Board
from oddscore.backtest.closing import Closing, closing_values
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.data import BacktestData, EventInfo, load_backtest_data
from oddscore.backtest.grading import BetResult, grade, settle_profit
from oddscore.backtest.market import EventView, MarketQuote, MarketView
from oddscore.backtest.metrics import compute_summary
from oddscore.backtest.results import BacktestResult, Bet
from oddscore.backtest.slates import slate_key
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy, EventResult
from oddscore.backtest.strategies.registry import create_strategy
from oddscore.collector import no_collections
from oddscore.exceptions import BacktestError
from oddscore.scheduling.tiers import TierSpec, tier_for, tiers_for
from oddscore.sports import SportProfile, profile_for
from oddscore.storage.engine import Database

__all__ = [
    "board_of",
    "load_for_config",
    "load_scope",
    "run_backtest",
    "simulate",
    "slate_key",
]


@dataclass(slots=True)
class _Pending:
    event: EventInfo
    quote: MarketQuote
    price: int
    decimal: float
    stake: float
    decision_time: datetime
    probability: float | None


def _end_time(event: EventInfo, config: BacktestConfig) -> datetime:
    if event.completed_at is not None and event.completed_at > event.commence_time:
        return event.completed_at
    return event.commence_time + timedelta(hours=config.settle_hours)


def _has_result(event: EventInfo) -> bool:
    return (
        event.home_score is not None
        and event.away_score is not None
        and event.status not in ("cancelled", "postponed")
    )


def _execute(
    intent: BetIntent, event_id: str, data: BacktestData, config: BacktestConfig
) -> tuple[int, float] | None:
    """The price obtained: the decision quote, or with a haircut the worse of it and the next;
    the decimal is after the book's commission (the American price is the one quoted)."""
    q = intent.quote
    nxt = data.next_quotes.get(event_id, {}).get((q.book, q.market, q.outcome))
    if nxt is not None and nxt.point != q.point:
        return None  # the line moved before the bet could be placed
    price, decimal = (
        (q.price, q.decimal)
        if nxt is None or q.decimal <= nxt.decimal
        else (nxt.price, nxt.decimal)
    )
    rate = config.commission.get(q.book, 0.0)
    return price, exchange_effective_odds(decimal, rate) if rate else decimal


def _size(
    intents: Sequence[tuple[EventInfo, BetIntent, int, float]],
    available: float,
    config: BacktestConfig,
) -> list[float]:
    """Stakes for one slate, sized together from the available bankroll, then limited."""
    if available <= 0 or not intents:
        return [0.0] * len(intents)
    if config.sizing == "flat":
        stakes = [config.stake * intent.share for _, intent, _, _ in intents]
    elif config.sizing == "percentage":
        stakes = [available * config.stake / 100.0 * intent.share for _, intent, _, _ in intents]
    else:
        probabilities = []
        for _, intent, _, _ in intents:
            if intent.probability is None:
                raise BacktestError("kelly sizing needs strategies that give a probability")
            probabilities.append(intent.probability)
        fractions = simultaneous_kelly(
            probabilities,
            [decimal for *_, decimal in intents],
            fraction=config.kelly_fraction,
        )
        stakes = [f * available for f in fractions]
    limited = []
    for stake, (_, intent, _, _) in zip(stakes, intents, strict=True):
        if config.max_bet_pct is not None:
            stake = min(stake, config.max_bet_pct * available)
        if config.max_stake is not None:
            stake = min(stake, config.max_stake)
        book_limit = config.book_limits.get(intent.quote.book)
        if book_limit is not None:
            stake = min(stake, book_limit)
        limited.append(stake)
    cap = available
    if config.max_slate_pct is not None:
        cap = min(cap, config.max_slate_pct * available)
    total = sum(limited)
    if total > cap:
        limited = [s * cap / total for s in limited]
    return [round(s, 2) if s >= max(config.min_stake, 0.01) else 0.0 for s in limited]


def _grade(pending: _Pending, profile: SportProfile) -> tuple[BetResult, float]:
    """The bet's result and net profit (what moves the bankroll)."""
    event = pending.event
    q = pending.quote
    if _has_result(event):
        assert event.home_score is not None and event.away_score is not None
        result = grade(
            q.market,
            q.outcome,
            q.point,
            home_team=event.home_team,
            away_team=event.away_team,
            home_score=event.home_score,
            away_score=event.away_score,
            three_way=profile.outcome_count(q.market) == 3,
        )
    else:
        result = BetResult.VOID
    return result, settle_profit(result, pending.stake, pending.decimal)


def _bet(
    pending: _Pending,
    result: BetResult,
    profit: float,
    closing: Closing,
    settled_at: datetime,
    tiers: tuple[TierSpec, ...],
) -> Bet:
    event = pending.event
    q = pending.quote
    closing_price, clv_p, clv = closing
    hours = (event.commence_time - q.quote_time).total_seconds() / 3600.0
    tier = tier_for(hours, tiers)
    ev = None if pending.probability is None else pending.probability * pending.decimal - 1.0
    return Bet(
        event_id=event.id,
        home_team=event.home_team,
        away_team=event.away_team,
        commence_time=event.commence_time,
        book=q.book,
        market=q.market,
        outcome=q.outcome,
        point=q.point,
        price=pending.price,
        decimal_odds=pending.decimal,
        stake=pending.stake,
        decision_time=pending.decision_time,
        quote_time=q.quote_time,
        tier=None if tier is None else tier.value,
        model_probability=pending.probability,
        expected_value=ev,
        result=result.value,
        profit=profit,
        settled_at=settled_at,
        closing_price=closing_price,
        clv_price=clv_p,
        clv=clv,
    )


def board_of(data: BacktestData) -> Board:
    """``data``'s decision quotes as a :class:`Board` (the loader's, or built from them)."""
    if data.board is not None:
        return data.board
    events = [(e.id, e.home_team, e.away_team) for e in data.events]
    return Board.from_quotes(events, data.decision)


def simulate(
    strategy: BettingStrategy[Any],
    data: BacktestData,
    config: BacktestConfig,
    views: dict[str, MarketView] | None = None,
    board: Board | None = None,
) -> BacktestResult:
    """Replay ``data`` through ``strategy``; pure and synchronous (tests mutate ``data``).

    ``views``: the boards shown, per event, kept across runs over the same ``data`` and
    ``config`` (a sweep), so each board is built, and its consensus computed, once.
    ``board``: ``data``'s decision quotes as arrays, likewise kept by a sweep; a strategy that
    can (:meth:`~BettingStrategy.decide_all`) decides every event from it in one pass.
    """
    if views is None:
        views = {}
    planned = None
    if type(strategy).decide_all is not BettingStrategy.decide_all:
        planned = strategy.decide_all(board if board is not None else board_of(data))
    lead = timedelta(hours=config.decision_hours)
    slates: dict[str, list[EventInfo]] = defaultdict(list)
    for event in data.events:
        slates[slate_key(event.commence_time)].append(event)
    ordered = sorted(slates.values(), key=lambda evs: min(e.commence_time for e in evs) - lead)
    ends = {event.id: _end_time(event, config) for event in data.events}
    profile = profile_for(config.sport_key)
    settled_bankroll = config.bankroll
    pending_stakes = 0.0
    settled: list[tuple[_Pending, BetResult, float]] = []
    queue: list[tuple[datetime, int, EventInfo]] = []
    by_event: dict[str, list[_Pending]] = defaultdict(list)
    counter = itertools.count()
    # Most strategies learn nothing from results: no EventResult per game for them.
    listens = type(strategy).on_result is not BettingStrategy.on_result

    def settle_until(moment: datetime | None) -> None:
        nonlocal settled_bankroll, pending_stakes
        while queue and (moment is None or queue[0][0] <= moment):
            _, _, event = heapq.heappop(queue)
            for pending in by_event.pop(event.id, []):
                result, profit = _grade(pending, profile)
                settled.append((pending, result, profit))
                pending_stakes -= pending.stake
                settled_bankroll += profit
            if listens and _has_result(event):
                assert event.home_score is not None and event.away_score is not None
                strategy.on_result(
                    EventResult(
                        event.id,
                        event.home_team,
                        event.away_team,
                        event.home_score,
                        event.away_score,
                        ends[event.id],
                    )
                )

    strategy.on_start()
    for slate in ordered:
        slate.sort(key=lambda e: (e.commence_time, e.id))
        settle_until(slate[0].commence_time - lead)
        chosen: list[tuple[EventInfo, BetIntent, int, float]] = []
        for event in slate:
            decision_time = event.commence_time - lead
            if planned is not None:
                intents = planned.get(event.id, ())
            else:
                view = views.get(event.id)
                if view is None:
                    view = views[event.id] = MarketView(
                        EventView(event.id, event.home_team, event.away_team, event.commence_time),
                        decision_time,
                        tuple(data.decision.get(event.id, ())),
                    )
                intents = strategy.decide(view)
            for intent in intents:
                if intent.quote.quote_time > decision_time:
                    raise BacktestError("a strategy returned a quote from after its decision time")
                executed = _execute(intent, event.id, data, config)
                if executed is not None:
                    chosen.append((event, intent, *executed))
            heapq.heappush(queue, (ends[event.id], next(counter), event))
        stakes = _size(chosen, settled_bankroll - pending_stakes, config)
        for (event, intent, price, decimal), stake in zip(chosen, stakes, strict=True):
            if stake <= 0:
                continue
            by_event[event.id].append(
                _Pending(
                    event,
                    intent.quote,
                    price,
                    decimal,
                    stake,
                    event.commence_time - lead,
                    intent.probability,
                )
            )
            pending_stakes += stake
    settle_until(None)
    strategy.on_end()
    closings = closing_values([(p.event, p.quote, p.decimal) for p, _, _ in settled], data, config)
    tiers = tiers_for(config.sport_key)
    bets = [
        _bet(pending, result, profit, closing, ends[pending.event.id], tiers)
        for (pending, result, profit), closing in zip(settled, closings, strict=True)
    ]
    summary, curve, daily = compute_summary(
        bets,
        config.bankroll,
        config.start,
        config.end,
        kelly_fraction=config.kelly_fraction if config.sizing == "kelly" else None,
    )
    return BacktestResult(
        strategy=strategy.name,
        params=strategy.params.model_dump(mode="json"),
        config=config.model_dump(mode="json", exclude={"start", "end"}),
        start=config.start,
        end=config.end,
        summary=summary,
        bets=sorted(bets, key=lambda b: (b.settled_at, b.event_id, b.book, b.market, b.outcome)),
        equity_curve=curve,
        daily_equity=daily,
    )


def load_scope(
    config: BacktestConfig, strategies: Sequence[BettingStrategy[Any]] = ()
) -> tuple[list[str] | None, list[str] | None]:
    """The books and markets to load: the configuration's, narrowed to what the strategies
    can read (their union) plus the CLV reference books (a bet's closing set needs them).

    Loading more books or markets than a strategy reads never changes its results: complete
    outcome sets are per book and market, and a strategy reads only its own.
    """
    books, markets = config.bookmakers, config.markets
    if not strategies:
        return books, markets
    scopes = [strategy.quotes_used() for strategy in strategies]
    if all(used is not None for used, _ in scopes):
        wanted = {book for used, _ in scopes for book in used or ()}
        wanted |= set(config.clv_books or ())
        books = sorted(wanted if books is None else wanted & set(books))
    if all(used is not None for _, used in scopes):
        wanted = {market for _, used in scopes for market in used or ()}
        markets = sorted(wanted if markets is None else wanted & set(markets))
    return books, markets


async def load_for_config(
    db: Database, config: BacktestConfig, strategies: Sequence[BettingStrategy[Any]] = ()
) -> BacktestData:
    """What a backtest of ``config`` reads: its range, decision time, books and markets
    (only those ``strategies`` can use, when given: see :func:`load_scope`)."""
    books, markets = load_scope(config, strategies)
    return await load_backtest_data(
        db,
        config.start,
        config.end,
        decision_hours=config.decision_hours,
        max_staleness_hours=config.max_staleness_hours,
        sport_key=config.sport_key,
        bookmakers=books,
        markets=markets,
        haircut_minutes=config.haircut_minutes,
    )


async def run_backtest(
    db: Database,
    strategy: str | BettingStrategy[Any],
    config: BacktestConfig,
    params: dict[str, Any] | None = None,
) -> BacktestResult:
    """Load the range set-based from ``db`` and replay it through the strategy."""
    instance = create_strategy(strategy, params) if isinstance(strategy, str) else strategy
    with no_collections():
        return simulate(instance, await load_for_config(db, config, [instance]), config)

"""Closing prices and CLV of a backtest's bets, for all of them at once on a closing board.

For each bet: its closing price (the same book, market and outcome in the last observation
before tip, when still at the bet's point), the price CLV against it, and the no-vig CLV
against the de-vigged close of the reference books (``clv_books``, else the bet's own book)
at the bet's own line. The close is read only after the fact and never moves the bankroll,
so the engine computes it once the replay is over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from oddscore.analytics.clv import novig_clv, price_clv
from oddscore.backtest.board import Board
from oddscore.backtest.board_picks import fair_for
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.data import BacktestData, BoardQuotes, EventInfo
from oddscore.backtest.market import MarketQuote

__all__ = ["closing_values"]

Closing = tuple[int | None, float | None, float | None]  # price, price CLV, no-vig CLV


def _board(data: BacktestData, events: Sequence[EventInfo]) -> tuple[Board, dict[str, int]]:
    """The closing board of ``events`` and the index of each event on it: the loader's
    (selected on arrays from the scan the decision board came from), else one built from the
    closing quotes of ``events``."""
    if isinstance(data.closing, BoardQuotes):
        board = data.closing.board_of({e.id for e in events})
    else:
        listed = [(e.id, e.home_team, e.away_team) for e in events]
        board = Board.from_quotes(listed, {e.id: data.closing.get(e.id, []) for e in events})
    return board, {event_id: i for i, event_id in enumerate(board.event_ids)}


def closing_values(
    bets: Sequence[tuple[EventInfo, MarketQuote, float]],
    data: BacktestData,
    config: BacktestConfig,
) -> list[Closing]:
    """Per bet (its event, the quote bet on, the decimal obtained), in order."""
    if not bets:
        return []
    events = list({event.id: event for event, _, _ in bets}.values())
    board, index = _board(data, events)
    event = np.array([index[e.id] for e, _, _ in bets], dtype=np.int64)
    books, markets, outcomes = ({n: i for i, n in enumerate(names)} for names in
                                (board.books, board.markets, board.outcomes))  # fmt: skip
    book = np.array([books.get(q.book, -1) for _, q, _ in bets], dtype=np.int64)
    market = np.array([markets.get(q.market, -1) for _, q, _ in bets], dtype=np.int64)
    outcome = np.array([outcomes.get(q.outcome, -1) for _, q, _ in bets], dtype=np.int64)
    point = np.array([np.nan if q.point is None else q.point for _, q, _ in bets], dtype=float)
    # The first row of the same book, market and outcome (rows are sorted on those keys).
    b, m, o = len(board.books), len(board.markets), len(board.outcomes)
    keys = ((board.event * b + board.book) * m + board.market) * o + board.outcome
    wanted = ((event * b + book) * m + market) * o + outcome
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    known = (book >= 0) & (market >= 0) & (outcome >= 0) & (len(keys) > 0)
    found = known & (keys[at] == wanted) if len(keys) else known
    if len(keys):
        close_point = board.point[at]
        same = (close_point == point) | (np.isnan(close_point) & np.isnan(point))
        found &= same
    fair = np.full(len(bets), np.nan)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, (_, q, _) in enumerate(bets):
        groups[tuple(config.clv_books or [q.book])].append(i)
    for reference, members in groups.items():
        chosen = np.array(members, dtype=np.int64)
        fair[chosen] = fair_for(
            board,
            event[chosen],
            market[chosen],
            outcome[chosen],
            point[chosen],
            list(reference),
            config.clv_method,
            match_point=~np.isnan(point[chosen]),
        )
    out: list[Closing] = []
    for i, (_, _, decimal) in enumerate(bets):
        price = clv_p = clv = None
        if found[i]:
            row = int(at[i])
            price = int(board.price[row])
            clv_p = price_clv(decimal, float(board.decimal[row]))
        if not np.isnan(fair[i]):
            clv = novig_clv(decimal, float(fair[i]))
        out.append((price, clv_p, clv))
    return out

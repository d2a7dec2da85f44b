"""The ``flat`` and ``basic_ev`` decisions for a whole season at once, on a :class:`Board`.

Each function gives, for every event, exactly what the strategy's per-event ``decide`` gives
on that event's :class:`~oddscore.backtest.market.MarketView` (the same quotes, in the same
order, with bit-identical probabilities: the de-vig and the consensus add the same floats in
the same order), evaluated on arrays. A set may have any number of outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oddscore.analytics.devig import DevigMethod, DevigUndefinedError, devig
from oddscore.backtest.board import Board, BoolArray, FloatArray, IntArray
from oddscore.backtest.grading import DRAW

__all__ = ["EvCandidates", "best_ev", "ev_candidates", "fair_for", "fair_for_rows", "flat_rows"]


def _rows_of(board: Board, book: str, market: str) -> IntArray:
    b, m = board.code(board.books, book), board.code(board.markets, market)
    if b < 0 or m < 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(board.complete & (board.book == b) & (board.market == m))


def flat_rows(board: Board, book: str, market: str, outcome: str) -> IntArray:
    """Per event, the row ``flat`` bets (events without one are left out), in event order."""
    rows = _rows_of(board, book, market)
    if outcome in ("over", "under", "draw"):
        code = board.code(board.outcomes, DRAW if outcome == "draw" else outcome.capitalize())
        side: IntArray = rows[board.outcome[rows] == code]
        return side
    names = np.asarray(board.outcomes, dtype=object)[board.outcome[rows]]
    events = board.event[rows]
    home = rows[names == board.home_team[events]]
    away = rows[names == board.away_team[events]]
    # A set holds each outcome once: match the home and away rows of the same event.
    _, h_at, a_at = np.intersect1d(
        board.event[home], board.event[away], assume_unique=True, return_indices=True
    )
    home, away = home[h_at], away[a_at]
    favourite: IntArray
    if outcome in ("home", "away"):
        picked: IntArray = home if outcome == "home" else away
        return picked
    dh, da = board.decimal[home], board.decimal[away]
    ph, pa = board.point[home], board.point[away]
    ph0, pa0 = np.nan_to_num(ph, nan=0.0), np.nan_to_num(pa, nan=0.0)
    home_favourite = (dh < da) | ((dh == da) & (ph0 <= pa0))
    by_point = ~np.isnan(ph) & ~np.isnan(pa) & (ph != pa)
    home_favourite = np.where(by_point, ph < pa, home_favourite)
    if outcome == "favorite":
        favourite = np.where(home_favourite, home, away)
    else:
        favourite = np.where(home_favourite, away, home)
    return favourite


def _sequential_sum(values: FloatArray, starts: IntArray, sizes: IntArray) -> FloatArray:
    """Per group, the sum in row order, as Python's ``sum`` adds (bit for bit)."""
    total = values[starts].copy()
    for j in range(1, int(sizes.max(initial=1))):
        longer = sizes > j
        total[longer] += values[starts[longer] + j]
    return total


def _devig_sets(board: Board, rows: IntArray, method: DevigMethod) -> tuple[FloatArray, BoolArray]:
    """Fair probability per row of ``rows`` (whole complete sets, in board order), and per
    row whether its set could be de-vigged by ``method``."""
    probability = np.full(len(rows), np.nan)
    ok = np.ones(len(rows), dtype=bool)
    if not len(rows):
        return probability, ok
    sets = board.set_id[rows]
    starts = np.flatnonzero(np.r_[True, sets[1:] != sets[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    if method is DevigMethod.MULTIPLICATIVE:
        implied = 1.0 / board.decimal[rows]
        booksum = _sequential_sum(implied, starts, sizes)
        return implied / np.repeat(booksum, sizes), ok
    decimals = board.decimal[rows].tolist()
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        try:
            fair = devig(decimals[start : start + size], method).probabilities
        except DevigUndefinedError:
            ok[start : start + size] = False  # the consensus leaves this book out
            continue
        probability[start : start + size] = fair
    return probability, ok


def fair_for_rows(
    board: Board,
    rows: IntArray,
    reference: Sequence[str],
    method: DevigMethod,
    *,
    match_point: BoolArray,
) -> FloatArray:
    """For each row of ``rows``, the consensus no-vig probability of its outcome from the
    ``reference`` books' complete sets in its event and market: ``MarketView.
    fair_probabilities`` with ``point_of`` the row's own line where ``match_point``. NaN where
    it has none."""
    return fair_for(
        board,
        board.event[rows],
        board.market[rows],
        board.outcome[rows],
        board.point[rows],
        reference,
        method,
        match_point=match_point,
    )


def fair_for(
    board: Board,
    events: IntArray,
    markets: IntArray,
    outcomes: IntArray,
    points: FloatArray,
    reference: Sequence[str],
    method: DevigMethod,
    *,
    match_point: BoolArray,
) -> FloatArray:
    """:func:`fair_for_rows` for quotes given by their codes on ``board`` (-1: a market or
    outcome the board does not hold), which need not be rows of it."""
    n = len(events)
    out = np.full(n, np.nan)
    if not n or not len(board.event):
        return out
    n_markets, n_outcomes = len(board.markets), len(board.outcomes)
    # A book listed twice counts once (the consensus is per book).
    codes = list(dict.fromkeys(board.code(board.books, book) for book in reference))
    wanted = np.isin(board.book, [c for c in codes if c >= 0]) & board.complete
    # Only the events asked about: a season's closing board serves a few hundred bets.
    asked = np.zeros(len(board.event_ids), dtype=bool)
    asked[events[events >= 0]] = True
    wanted &= asked[board.event]
    sharp_rows = np.flatnonzero(wanted)
    if not len(sharp_rows):
        return out
    fair, devigged = _devig_sets(board, sharp_rows, method)
    # (set, outcome) -> sharp row position, for lookups by searchsorted.
    keys = board.set_id[sharp_rows] * n_outcomes + board.outcome[sharp_rows]
    signature = _signatures(board, sharp_rows)
    on_board = (markets >= 0) & (events >= 0)
    known_outcome = outcomes >= 0
    first_sig = np.full(n, -1, dtype=np.int64)
    total = np.zeros(n)
    count = np.zeros(n)
    outcome_in_names = np.zeros(n, dtype=bool)
    for code in codes:
        if code < 0:
            continue
        grid = np.full((len(board.event_ids), n_markets), -1, dtype=np.int64)
        mine = sharp_rows[board.book[sharp_rows] == code]
        grid[board.event[mine], board.market[mine]] = board.set_id[mine]
        set_k = np.where(on_board, grid[events, markets], -1)
        present = set_k >= 0
        at = np.searchsorted(keys, np.where(present, set_k * n_outcomes + outcomes, -1))
        at = np.minimum(at, max(len(keys) - 1, 0))
        found = present & known_outcome & (keys[at] == set_k * n_outcomes + outcomes)
        with np.errstate(invalid="ignore"):
            same_line = found & (board.point[sharp_rows[at]] == points)
        chosen = present & np.where(match_point, same_line, True)
        sig_k = np.where(present, signature[np.searchsorted(board.set_id[sharp_rows], set_k)], -2)
        first = chosen & (first_sig < 0)
        first_sig[first] = sig_k[first]
        outcome_in_names[first] = found[first]
        included = chosen & (sig_k == first_sig) & devigged[at]
        total[included] += fair[at][included]
        count[included] += 1.0
    usable = (count > 0) & outcome_in_names
    out[usable] = total[usable] / count[usable]
    return out


def _signatures(board: Board, rows: IntArray) -> IntArray:
    """Per row of ``rows`` (whole sets), an id of its set's outcome names (equal ids: equal
    names, in order; only equality is read)."""
    sets = board.set_id[rows]
    n = len(rows)
    if not n:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sets[1:] != sets[:-1]])
    sizes = np.diff(np.r_[starts, n])
    base = len(board.outcomes) + 1
    if int(sizes.max()) * np.log2(base) < 62:
        # Each set's codes as the digits of one integer (0 ends a shorter set): exact.
        outcome = board.outcome[rows] + 1
        key = outcome[starts].copy()
        for j in range(1, int(sizes.max())):
            key *= base
            longer = sizes > j
            key[longer] += outcome[starts[longer] + j]
        return np.repeat(key, sizes)
    names: dict[tuple[int, ...], int] = {}
    out = np.empty(n, dtype=np.int64)
    bounds = np.r_[starts, n].tolist()
    outcomes = board.outcome[rows].tolist()
    for start, stop in zip(bounds, bounds[1:], strict=False):
        out[start:stop] = names.setdefault(tuple(outcomes[start:stop]), len(names))
    return out


@dataclass(frozen=True)
class EvCandidates:
    """Every retail quote with a fair price, and its EV (independent of ``min_ev``)."""

    row: IntArray
    event: IntArray
    market_rank: IntArray  # position of its market in the strategy's market list
    ev: FloatArray
    probability: FloatArray


def ev_candidates(
    board: Board,
    sharp_books: Sequence[str],
    retail_books: Sequence[str] | None,
    method: DevigMethod,
    markets: Sequence[str],
) -> EvCandidates:
    """``basic_ev``'s candidates for every event, in the order it visits them."""
    key = ("ev_candidates", tuple(sharp_books), retail_books and tuple(retail_books), method,
           tuple(markets))  # fmt: skip
    found: EvCandidates | None = board.memo.get(key)
    if found is not None:
        return found
    market_list = list(dict.fromkeys(markets))
    sharp = {board.code(board.books, b) for b in sharp_books}
    book_rank = np.full(len(board.books), -1, dtype=np.int64)
    if retail_books is None:
        book_rank[:] = np.arange(len(board.books))
    else:
        for i, book in enumerate(reversed(retail_books)):
            code = board.code(board.books, book)
            if code >= 0:
                book_rank[code] = len(retail_books) - 1 - i  # its first position in the list
    for code in sharp:
        if code >= 0:
            book_rank[code] = -1
    market_rank = np.full(len(board.markets), -1, dtype=np.int64)
    for i, market in enumerate(market_list):
        code = board.code(board.markets, market)
        if code >= 0:
            market_rank[code] = i
    rows = np.flatnonzero(
        board.complete & (book_rank[board.book] >= 0) & (market_rank[board.market] >= 0)
    )
    # h2h has one line per event: its fair price ignores points; other markets match them.
    match = (np.asarray(board.markets, dtype=object)[board.market[rows]] != "h2h") & ~np.isnan(
        board.point[rows]
    )
    fair = fair_for_rows(board, rows, list(sharp_books), method, match_point=match)
    keep = ~np.isnan(fair)
    rows, fair = rows[keep], fair[keep]
    ev = fair * board.decimal[rows] - 1.0
    # Visiting order: market (list order), book (list or name order), outcome (name order).
    order = np.lexsort(
        (board.outcome[rows], book_rank[board.book[rows]], market_rank[board.market[rows]],
         board.event[rows])
    )  # fmt: skip
    rows, fair, ev = rows[order], fair[order], ev[order]
    found = EvCandidates(
        row=rows,
        event=board.event[rows],
        market_rank=market_rank[board.market[rows]],
        ev=ev,
        probability=fair,
    )
    board.memo[key] = found
    return found


def best_ev(
    candidates: EvCandidates, min_ev: float, max_bets_per_event: int
) -> tuple[IntArray, FloatArray]:
    """The rows ``basic_ev`` bets and their probabilities: per event and market the first
    highest EV of at least ``min_ev``, then per event the ``max_bets_per_event`` highest
    (ties in market order), grouped by event."""
    c = candidates
    at = np.flatnonzero(c.ev >= min_ev)
    # Per (event, market): highest EV, the first visited among equals (lexsort is stable).
    order = at[np.lexsort((-c.ev[at], c.market_rank[at], c.event[at]))]
    group = c.event[order] * (int(c.market_rank.max(initial=0)) + 1) + c.market_rank[order]
    best = order[np.r_[True, group[1:] != group[:-1]]] if len(order) else order
    # Per event: by EV, ties in market order; keep the first max_bets_per_event.
    ranked = best[np.lexsort((c.market_rank[best], -c.ev[best], c.event[best]))]
    events = c.event[ranked]
    starts = np.flatnonzero(np.r_[True, events[1:] != events[:-1]]) if len(ranked) else ranked
    position = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
    chosen = ranked[position < max_bets_per_event]
    return c.row[chosen], c.probability[chosen]

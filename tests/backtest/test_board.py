"""The array decisions (:meth:`decide_all` on a :class:`Board`) give exactly what the strategies'
per-event ``decide`` gives, on messy boards: two- and three-way sets, lines that differ
between books, one-sided and duplicated outcomes, sets spread over two observations, books
missing from events, and de-vig methods that refuse some sets."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from oddscore.analytics.odds import american_to_decimal
from oddscore.backtest.board import Board
from oddscore.backtest.data import _decimal_odds
from oddscore.backtest.engine import board_of, simulate
from oddscore.backtest.market import EventView, MarketQuote, MarketView
from oddscore.backtest.strategies.base import BetIntent, BettingStrategy
from oddscore.backtest.strategies.registry import create_strategy
from tests.backtest.synthetic import synthetic_market

T0 = datetime(2024, 1, 10, 23, 0, tzinfo=UTC)
BOOKS = ["betonlineag", "draftkings", "fanduel", "lowvig", "pinnacle", "zbook"]


def _price(rng: random.Random) -> int:
    price = rng.choice([-1, 1]) * rng.randint(100, 400)
    return price if rng.random() > 0.05 else -110  # some equal prices (ties)


def _quote(book: str, market: str, outcome: str, point: float | None, price: int, when: datetime):
    return MarketQuote(book, market, outcome, point, price, american_to_decimal(price), when)


def messy_board(games: int, seed: int) -> list[tuple[EventView, list[MarketQuote]]]:
    rng = random.Random(seed)
    out = []
    for n in range(games):
        home, away = f"Home {n % 7}", f"Away {n % 5}"
        tip = T0 + timedelta(hours=n)
        when = tip - timedelta(hours=2)
        quotes: list[MarketQuote] = []
        for book in BOOKS:
            if rng.random() < 0.15:
                continue  # the book has no price for this game
            at = when - timedelta(minutes=rng.choice([0, 0, 0, 5]))
            sides = [home, away] + (["Draw"] if rng.random() < 0.2 else [])
            if rng.random() < 0.1:
                sides = sides[:1]  # one side only
            if rng.random() < 0.05:
                sides = [*sides, sides[0]]  # an outcome twice
            for side in sides:
                # Rarely, one side observed at another time (not one snapshot).
                t = at - timedelta(minutes=1) if rng.random() < 0.03 else at
                quotes.append(_quote(book, "h2h", side, None, _price(rng), t))
            line = rng.choice([-3.5, -2.5, -3.5, 1.5])
            other = -line if rng.random() > 0.1 else -line + 1.0  # sometimes not opposite
            quotes.append(_quote(book, "spreads", home, line, _price(rng), at))
            if rng.random() > 0.05:
                quotes.append(_quote(book, "spreads", away, other, _price(rng), at))
            total = rng.choice([220.5, 221.5, 220.5])
            quotes.append(_quote(book, "totals", "Over", total, _price(rng), at))
            under = total if rng.random() > 0.1 else total + 1.0
            quotes.append(_quote(book, "totals", "Under", under, _price(rng), at))
        rng.shuffle(quotes)
        out.append((EventView(f"ev{n:04d}", home, away, tip), quotes))
    return out


def _board(games: list[tuple[EventView, list[MarketQuote]]]) -> Board:
    return Board.from_quotes(
        [(e.id, e.home_team, e.away_team) for e, _ in games], {e.id: q for e, q in games}
    )


def _per_event(
    strategy: BettingStrategy[Any], games: list[tuple[EventView, list[MarketQuote]]]
) -> dict[str, list[BetIntent]]:
    out = {}
    for event, quotes in games:
        intents = list(strategy.decide(MarketView(event, event.commence_time, tuple(quotes))))
        if intents:
            out[event.id] = intents
    return out


FLAT = [
    {"book": book, "market": market, "outcome": outcome}
    for book in ("draftkings", "pinnacle", "nobody")
    for market, outcomes in (
        ("h2h", ("home", "away", "favorite", "underdog")),
        ("spreads", ("home", "away", "favorite", "underdog")),
        ("totals", ("over", "under")),
    )
    for outcome in outcomes
]
BASIC_EV = [
    {"sharp_books": ["pinnacle"], "min_ev": 0.0},
    {"sharp_books": ["lowvig", "betonlineag"], "markets": ["h2h", "spreads", "totals"]},
    {"sharp_books": ["betonlineag", "lowvig", "pinnacle"], "markets": ["totals", "h2h"],
     "min_ev": 0.0, "max_bets_per_event": 3},
    {"sharp_books": ["pinnacle", "nobody"], "retail_books": ["zbook", "fanduel", "zbook",
     "pinnacle", "nobody"], "markets": ["spreads", "h2h"], "min_ev": 0.01,
     "max_bets_per_event": 2},
    {"sharp_books": ["lowvig", "pinnacle"], "devig_method": "additive",
     "markets": ["h2h", "spreads"], "min_ev": 0.0, "max_bets_per_event": 2},
    {"sharp_books": ["pinnacle", "lowvig"], "devig_method": "power",
     "markets": ["h2h", "totals"], "min_ev": 0.0},
]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_array_decisions_equal_the_per_event_ones(seed: int) -> None:
    games = messy_board(160, seed)
    board = _board(games)
    assert (board.complete & (board.outcome == board.code(board.outcomes, "Draw"))).any()
    assert not board.complete.all()  # some sets are incomplete or incompatible
    decided = 0
    for name, cases in (("flat", FLAT), ("basic_ev", BASIC_EV)):
        for params in cases:
            strategy = create_strategy(name, params)
            expected = _per_event(strategy, games)
            found = strategy.decide_all(board)
            assert found is not None
            assert {k: list(v) for k, v in found.items() if v} == expected, (name, params)
            decided += sum(len(v) for v in expected.values())
    assert decided > 1_000


def test_a_subclass_that_decides_its_own_way_is_asked_per_event() -> None:
    flat = type(create_strategy("flat", {}))

    class Contrarian(flat):  # type: ignore[misc, valid-type]
        def decide(self, view: MarketView) -> list[BetIntent]:
            return []

    board = _board(messy_board(10, 1))
    assert Contrarian(flat.Params()).decide_all(board) is None
    assert create_strategy("flat", {}).decide_all(board)


def test_an_empty_board_decides_nothing() -> None:
    board = Board.from_quotes([("ev", "A", "B")], {})
    for name, params in (("flat", {}), ("basic_ev", {"markets": ["h2h", "spreads"]})):
        assert not create_strategy(name, params).decide_all(board)


def test_simulate_on_the_board_equals_the_per_event_replay() -> None:
    data, _ = synthetic_market(400)
    from oddscore.backtest.config import BacktestConfig

    config = BacktestConfig(
        start=T0 - timedelta(days=400), end=T0 + timedelta(days=400), sizing="percentage",
        stake=2.0,
    )  # fmt: skip
    strategy = create_strategy("flat", {"book": "book", "outcome": "favorite"})

    class PerEvent(type(strategy)):  # type: ignore[misc]
        def decide(self, view: MarketView) -> list[BetIntent]:
            return list(super().decide(view))

    fast = simulate(strategy, data, config, board=board_of(data))
    slow = simulate(PerEvent(strategy.params), data, config)
    assert fast.summary.total_bets > 300
    assert fast.model_dump() == slow.model_dump()


def test_one_integer_key_sorts_rows_as_the_four_codes_do() -> None:
    """The board's (and the loader's) single stable sort on ``Board.sort_key`` is the
    lexicographic sort by event, book, market and outcome, ties kept in row order."""
    rng = np.random.default_rng(7)
    sizes = (40, 9, 3, 31)
    event, book, market, outcome = (rng.integers(0, size, 5_000) for size in sizes)
    names = [[f"n{i}" for i in range(size)] for size in sizes[1:]]
    key = Board.sort_key(event, book, market, outcome, *names)
    assert np.array_equal(
        np.argsort(key, kind="stable"), np.lexsort((outcome, market, book, event))
    )


def test_prices_become_decimals_bit_for_bit() -> None:
    prices = np.array([p for p in range(-20_000, 20_001) if not -100 < p < 100], dtype=np.int64)
    assert _decimal_odds(prices).tolist() == [american_to_decimal(p) for p in prices.tolist()]

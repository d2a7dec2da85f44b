"""Soccer's three-way moneyline through grading, flat and basic EV (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddscore.analytics.devig import devig
from oddscore.analytics.odds import american_to_decimal
from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.engine import run_backtest
from oddscore.backtest.grading import BetResult, grade, settle_profit
from oddscore.backtest.strategies.flat import FlatParams
from oddscore.exceptions import BacktestError
from oddscore.storage import Database
from tests.backtest.conftest import T0, Game, Q, seed

SOCCER = "soccer_epl"
G1 = Game(1, "Arsenal", "Chelsea", 1, 1)  # a draw
G2 = Game(2, "Liverpool", "Everton", 2, 0)
G3 = Game(3, "Tottenham Hotspur", "West Ham United", 0, 1, day=1)
GAMES = [G1, G2, G3]
# Pinnacle (sharp) and bet365 (retail): home, draw, away, two hours before kick-off.
PRICES = {
    G1: {"pinnacle": (150, 230, 190), "bet365": (140, 290, 180)},  # bet365's draw is long
    G2: {"pinnacle": (-200, 350, 500), "bet365": (-210, 320, 480)},
    G3: {"pinnacle": (110, 240, 250), "bet365": (105, 230, 240)},
}


def three_way(game: Game, book: str, prices: tuple[int, int, int]) -> list[Q]:
    home, draw, away = prices
    return [
        Q(game, book, "h2h", game.home, home),
        Q(game, book, "h2h", "Draw", draw),
        Q(game, book, "h2h", game.away, away),
    ]


def board() -> list[Q]:
    h2h = [q for g, books in PRICES.items() for b, p in books.items() for q in three_way(g, b, p)]
    # An Asian handicap on the draw: Arsenal -0.25, Chelsea +0.25.
    return [
        *h2h,
        Q(G1, "bet365", "spreads", G1.home, -105, -0.25),
        Q(G1, "bet365", "spreads", G1.away, -115, 0.25),
    ]


def config(**kw: Any) -> BacktestConfig:
    base: dict[str, Any] = {
        "start": T0 - timedelta(days=1),
        "end": T0 + timedelta(days=3),
        "sport_key": SOCCER,
    }
    return BacktestConfig(**(base | kw))


@pytest.fixture
async def soccer(db: Database) -> Database:
    await seed(db, GAMES, board(), sport=SOCCER)
    return db


def test_grading_a_draw() -> None:
    score = {"home_team": "A", "away_team": "B", "home_score": 1, "away_score": 1}
    assert grade("h2h", "Draw", None, **score, three_way=True) is BetResult.WIN
    assert grade("h2h", "A", None, **score, three_way=True) is BetResult.LOSS
    assert grade("h2h", "B", None, **score, three_way=True) is BetResult.LOSS
    assert grade("h2h", "A", None, **score) is BetResult.PUSH  # a two-way moneyline
    won = score | {"home_score": 2}
    assert grade("h2h", "Draw", None, **won, three_way=True) is BetResult.LOSS
    assert grade("h2h", "A", None, **won, three_way=True) is BetResult.WIN
    # Spreads and totals grade as before: a draw at home -0.5 loses, away +0.5 wins.
    assert grade("spreads", "A", -0.5, **score) is BetResult.LOSS
    assert grade("spreads", "B", 0.5, **score) is BetResult.WIN
    assert grade("totals", "Over", 2.0, **score) is BetResult.PUSH
    with pytest.raises(BacktestError, match="neither"):
        grade("spreads", "Draw", 0.5, **score)


@given(st.integers(0, 9), st.integers(0, 9))
def test_exactly_one_outcome_of_a_three_way_moneyline_wins(home: int, away: int) -> None:
    score = {"home_team": "A", "away_team": "B", "home_score": home, "away_score": away}
    results = [grade("h2h", o, None, **score, three_way=True) for o in ("A", "Draw", "B")]
    assert sorted(results) == sorted([BetResult.WIN, BetResult.LOSS, BetResult.LOSS])


@pytest.mark.parametrize(
    ("point", "margin", "expected", "profit"),
    [
        (-0.25, 0, "half_loss", -50.0),  # half on 0 pushes, half on -0.5 loses
        (-0.25, 1, "win", 90.0),
        (0.25, 0, "half_win", 45.0),  # half on 0 pushes, half on +0.5 wins
        (0.25, -1, "loss", -100.0),
        (-0.75, 1, "half_win", 45.0),  # half on -0.5 wins, half on -1 pushes
        (-0.75, 2, "win", 90.0),
        (-0.75, 0, "loss", -100.0),
        (-1.0, 1, "push", 0.0),
        (-1.5, 1, "loss", -100.0),  # a run line
    ],
)
def test_quarter_handicaps_settle_half_at_each_neighbouring_line(
    point: float, margin: int, expected: str, profit: float
) -> None:
    result = grade(
        "spreads", "A", point, home_team="A", away_team="B", home_score=1 + margin, away_score=1
    )
    assert result == expected
    assert settle_profit(result, 100.0, 1.9) == pytest.approx(profit)


@given(st.integers(0, 12), st.sampled_from([0.25, 0.75, 1.25, 2.25, 2.75, 3.25]))
def test_a_quarter_total_is_the_average_of_its_two_halves(goals: int, line: float) -> None:
    score = {"home_team": "A", "away_team": "B", "home_score": goals, "away_score": 0}
    for side in ("Over", "Under"):
        whole = settle_profit(grade("totals", side, line, **score), 100.0, 1.9)
        halves = [
            settle_profit(grade("totals", side, line + d, **score), 50.0, 1.9)
            for d in (-0.25, 0.25)
        ]
        assert whole == pytest.approx(sum(halves))


def test_the_draw_is_a_moneyline_outcome_only() -> None:
    assert FlatParams(outcome="draw").outcome == "draw"
    with pytest.raises(ValueError, match="moneyline"):
        FlatParams(market="spreads", outcome="draw")


async def test_flat_on_the_draw(soccer: Database) -> None:
    result = await run_backtest(soccer, "flat", config(), {"book": "bet365", "outcome": "draw"})
    graded = {b.event_id: (b.outcome, b.price, b.result, b.profit) for b in result.bets}
    assert graded == {
        G1.id: ("Draw", 290, "win", pytest.approx(290.0)),
        G2.id: ("Draw", 320, "loss", -100.0),
        G3.id: ("Draw", 230, "loss", -100.0),
    }
    assert result.summary.profit == pytest.approx(90.0)
    assert (result.summary.wins, result.summary.losses, result.summary.pushes) == (1, 2, 0)


async def test_flat_home_loses_on_a_draw(soccer: Database) -> None:
    result = await run_backtest(soccer, "flat", config(), {"book": "bet365"})
    graded = {b.event_id: b.result for b in result.bets}
    assert graded == {G1.id: "loss", G2.id: "win", G3.id: "loss"}
    # The same bets in a sport whose moneyline is two-way: the tie would be a push.
    nba = await run_backtest(soccer, "flat", config(sport_key="basketball_nba"), {"book": "bet365"})
    assert nba.bets == []  # the soccer games are not the NBA's


async def test_a_quarter_handicap_on_a_draw_loses_half(soccer: Database) -> None:
    params = {"book": "bet365", "market": "spreads", "outcome": "home"}
    result = await run_backtest(soccer, "flat", config(), params)
    (bet,) = result.bets
    assert (bet.point, bet.result, bet.profit) == (-0.25, "half_loss", -50.0)
    assert (result.summary.losses, result.summary.turnover, result.summary.profit) == (1, 100, -50)
    params["outcome"] = "away"
    (bet,) = (await run_backtest(soccer, "flat", config(), params)).bets
    assert (bet.result, bet.profit) == ("half_win", pytest.approx(100 / 115 * 100 / 2))


async def test_basic_ev_prices_the_draw_against_the_three_way_fair_line(soccer: Database) -> None:
    result = await run_backtest(
        soccer, "basic_ev", config(), {"retail_books": ["bet365"], "min_ev": 0.02}
    )
    (bet,) = result.bets
    assert (bet.event_id, bet.outcome, bet.price, bet.result) == (G1.id, "Draw", 290, "win")
    fair = devig([american_to_decimal(p) for p in PRICES[G1]["pinnacle"]]).probabilities
    assert bet.model_probability == pytest.approx(fair[1])
    assert bet.expected_value == pytest.approx(fair[1] * 3.9 - 1.0)
    # Every other bet365 price is below the fair line (EV < 2%): no other bet.
    for game, books in PRICES.items():
        sharp = devig([american_to_decimal(p) for p in books["pinnacle"]]).probabilities
        evs = [p * american_to_decimal(r) - 1 for p, r in zip(sharp, books["bet365"], strict=True)]
        assert sum(ev >= 0.02 for ev in evs) == (1 if game == G1 else 0)


@pytest.mark.parametrize("draw_priced_by_a_book", [True, False])
def test_home_and_away_alone_are_no_arbitrage_on_a_three_way_board(
    draw_priced_by_a_book: bool,
) -> None:
    """An exchange's fresh home and away at 2.2 each sum to 0.91: an arbitrage on a two-way
    board. Where a book also prices the draw (here too old for the 15-minute limit, so the
    finder never sees it), the market is three-way and the pair leaves the draw uncovered."""
    from datetime import UTC, datetime

    from oddscore.backtest.market import EventView, MarketQuote, MarketView
    from oddscore.backtest.strategies.arbitrage import (
        ArbitrageParams,
        ArbitrageStrategy,
        outcome_count,
    )

    at = datetime(2027, 2, 1, 18, tzinfo=UTC)
    quotes = [
        MarketQuote("exchange", "h2h", "Arsenal", None, 120, 2.2, at),
        MarketQuote("exchange", "h2h", "Chelsea", None, 120, 2.2, at),
    ]
    old = at - timedelta(hours=3)
    sharp = [("Arsenal", 150, 2.5), ("Chelsea", 190, 2.9)]
    if draw_priced_by_a_book:
        sharp.insert(1, ("Draw", 230, 3.3))
    quotes += [MarketQuote("pinnacle", "h2h", n, None, us, dec, old) for n, us, dec in sharp]
    view = MarketView(
        EventView("e", "Arsenal", "Chelsea", at + timedelta(hours=1)), at, tuple(quotes)
    )
    strategy = ArbitrageStrategy(
        ArbitrageParams(markets=["h2h"], max_quote_age_minutes=15, commission={})
    )
    legs = strategy.decide(view)
    assert outcome_count(view, "h2h") == (3 if draw_priced_by_a_book else 2)
    if draw_priced_by_a_book:
        assert legs == []
    else:
        assert sorted(leg.quote.outcome for leg in legs) == ["Arsenal", "Chelsea"]
        assert {leg.quote.book for leg in legs} == {"exchange"}

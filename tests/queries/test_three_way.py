"""Soccer's three-way moneyline on the board, best-line, EV and arbitrage queries (both
backends, rows stored straight through the models)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oddscore.analytics.arbitrage import ArbitrageRules
from oddscore.analytics.devig import devig
from oddscore.analytics.odds import american_to_decimal
from oddscore.queries.best import best_prices_as_of
from oddscore.queries.opportunities import arbitrage_list, ev_list, slate_board
from oddscore.storage import Database
from tests.queries.factories import Q, add_events, add_quotes, make_event

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KICK_OFF = AT + timedelta(hours=3)
FRESH = AT - timedelta(minutes=5)
HOME, AWAY = "Arsenal", "Chelsea"
PINNACLE = {HOME: 120, "Draw": 240, AWAY: 230}
BET365 = {HOME: 110, "Draw": 290, AWAY: 220}  # a long draw: +EV against Pinnacle's fair line
BETFAIR = {HOME: 160, "Draw": 230, AWAY: 200}  # a generous home price


def soccer(n: int, home: str = HOME, away: str = AWAY):  # type: ignore[no-untyped-def]
    event = make_event(n, commence=KICK_OFF, home=home, away=away)
    event.sport_key, event.sport_title = "soccer_epl", "EPL"
    return event


def h2h(book: str, prices: dict[str, int], at: datetime = FRESH) -> list[Q]:
    return [Q(book, "h2h", outcome, price, at=at) for outcome, price in prices.items()]


@pytest.fixture
async def stored(db: Database) -> Database:
    first, second = soccer(1), soccer(2, "Liverpool", "Everton")
    await add_events(db, [first, second])
    await add_quotes(
        db,
        first.id,
        [
            *h2h("pinnacle", PINNACLE),
            *h2h("bet365", {HOME: 105, "Draw": 250, AWAY: 210}, at=AT - timedelta(hours=2)),
            *h2h("bet365", BET365),
            *h2h("smarkets", BETFAIR),
            # After the as-of time: never on the board.
            *h2h("bet365", {HOME: 500, "Draw": 500, AWAY: 500}, at=AT + timedelta(minutes=1)),
        ],
    )
    # Nobody quotes the draw of the second game: home at one book and away at another sum
    # below 1, but the draw is uncovered: no arbitrage.
    await add_quotes(
        db,
        second.id,
        [
            Q("bet365", "h2h", "Liverpool", 150, at=FRESH),
            Q("unibet", "h2h", "Everton", 200, at=FRESH),
        ],
    )
    return db


async def test_best_lines_show_three_outcomes(stored: Database) -> None:
    async with stored.session() as session:
        best = await best_prices_as_of(session, soccer(1).id, AT)
    assert [(b.outcome_name, b.price, b.bookmakers, b.books_quoting) for b in best] == [
        (HOME, 160, ("smarkets",), 3),
        (AWAY, 230, ("pinnacle",), 3),
        ("Draw", 290, ("bet365",), 3),
    ]


async def test_the_board_prices_the_draw_against_the_three_way_fair_line(
    stored: Database,
) -> None:
    async with stored.session() as session:
        (board, _) = await slate_board(session, [soccer(1), soccer(2, "Liverpool", "Everton")], AT)
    fair = {f.outcome_name: f.probability for f in board.fair}
    expected = devig([american_to_decimal(PINNACLE[o]) for o in (HOME, AWAY, "Draw")])
    names = (HOME, AWAY, "Draw")
    assert fair == pytest.approx(dict(zip(names, expected.probabilities, strict=True)))
    assert sum(fair.values()) == pytest.approx(1.0)
    assert board.reference == ("pinnacle",)
    assert {(q.bookmaker_key, q.outcome_name): q.price for q in board.quotes}[
        ("bet365", "Draw")
    ] == 290
    bets = ev_list([board], sharp_books=["pinnacle"], min_ev=0.03)
    assert [(b.quote.bookmaker_key, b.quote.outcome_name) for b in bets] == [
        ("smarkets", HOME),  # 2.60 against fair 0.432: +12.4%
        ("bet365", "Draw"),  # 3.90 against fair 0.280: +9.1%
    ]
    assert bets[1].ev == pytest.approx(fair["Draw"] * 3.9 - 1.0)


async def test_an_arbitrage_needs_all_three_legs(stored: Database) -> None:
    async with stored.session() as session:
        boards = await slate_board(session, [soccer(1), soccer(2, "Liverpool", "Everton")], AT)
    found = arbitrage_list(boards, ArbitrageRules(commission={}))
    # Game 1: home 2.60 (smarkets) + draw 3.90 (bet365) + away 3.30 (pinnacle) = 0.9438.
    assert [(board.event.id, market) for board, market, _ in found] == [(soccer(1).id, "h2h")]
    arb = found[0][2]
    assert sorted((q.outcome, q.book) for q in arb.legs) == [
        (HOME, "smarkets"),
        (AWAY, "pinnacle"),
        ("Draw", "bet365"),
    ]
    assert arb.booksum == pytest.approx(1 / 2.6 + 1 / 3.9 + 1 / 3.3)

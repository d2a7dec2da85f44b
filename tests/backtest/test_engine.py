"""The engine on a hand-built database: known answers and the look-ahead audit (both backends)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from oddscore.backtest.config import BacktestConfig
from oddscore.backtest.data import EventInfo, load_backtest_data
from oddscore.backtest.engine import load_for_config, run_backtest
from oddscore.backtest.market import MarketView
from oddscore.backtest.results import BacktestResult
from oddscore.backtest.strategies import BetIntent, BettingStrategy, EventResult, StrategyParams
from oddscore.backtest.strategies.flat import FlatParams, FlatStrategy
from oddscore.exceptions import BacktestError
from oddscore.queries._sql import EVENTS
from oddscore.storage import Database, Odds
from tests.backtest.conftest import T0, Game, Q, h2h, seed
from tests.backtest.reference import assert_loader_matches_query_layer

G1 = Game(1, "Boston Celtics", "New York Knicks", 110, 100)
G2 = Game(2, "Denver Nuggets", "Los Angeles Lakers", 100, 105)
G3 = Game(3, "Miami Heat", "Chicago Bulls", 99, 98, day=1)
G4 = Game(4, "Utah Jazz", "Phoenix Suns", None, None, day=1)  # never got a result
GAMES = [G1, G2, G3, G4]


def board() -> list[Q]:
    quotes = [
        *h2h(G1, "draftkings", -150, 130),
        *h2h(G1, "pinnacle", -200, 180),
        *h2h(G2, "draftkings", 120, -140),
        *h2h(G2, "fanduel", -150, 110),
        *h2h(G2, "pinnacle", 105, -115),
        *h2h(G3, "draftkings", -110, -110),
        *h2h(G3, "pinnacle", -105, -105),
        *h2h(G4, "draftkings", 100, -120),
        # Closing quotes, 30 minutes before tip: after the 1-hour decision time.
        *h2h(G1, "draftkings", -170, 150, hours=0.5),
        *h2h(G1, "pinnacle", -190, 170, hours=0.5),
        *h2h(G2, "draftkings", 110, -130, hours=0.5),
        *h2h(G3, "draftkings", -120, 100, hours=0.5),
        # G3's spread moves from home -2.5 to -3.5 after the decision time.
        Q(G3, "draftkings", "spreads", G3.home, -110, -2.5),
        Q(G3, "draftkings", "spreads", G3.away, -110, 2.5),
        Q(G3, "draftkings", "spreads", G3.home, -105, -3.5, hours=0.5),
        Q(G3, "draftkings", "spreads", G3.away, -115, 3.5, hours=0.5),
    ]
    return quotes


def config(**kw: Any) -> BacktestConfig:
    base: dict[str, Any] = {
        "start": T0 - timedelta(days=1),
        "end": T0 + timedelta(days=3),
        "decision_hours": 1.0,
        "max_staleness_hours": 24.0,
    }
    base.update(kw)
    return BacktestConfig(**base)


@pytest.fixture
async def seeded(db: Database) -> Database:
    await seed(db, GAMES, board())
    return db


def decisions(result: BacktestResult) -> list[tuple[Any, ...]]:
    return [
        (b.event_id, b.book, b.market, b.outcome, b.point, b.price, b.stake, b.result, b.profit)
        for b in result.bets
    ]


async def test_flat_home_known_answer(seeded: Database) -> None:
    result = await run_backtest(seeded, "flat", config(), {"book": "draftkings"})
    s = result.summary
    expected = 100 * 100 / 150 - 100 + 100 * 100 / 110
    assert s.profit == pytest.approx(expected, abs=1e-4)
    assert (s.total_bets, s.wins, s.losses, s.pushes, s.voids) == (4, 2, 1, 0, 1)
    assert s.turnover == 300
    by_event = {b.event_id: b for b in result.bets}
    g1 = by_event[G1.id]
    assert (g1.price, g1.quote_time, g1.decision_time) == (
        -150,
        G1.commence - timedelta(hours=2),
        G1.commence - timedelta(hours=1),
    )
    assert g1.closing_price == -170
    assert g1.clv_price == pytest.approx((1 + 100 / 150) / (1 + 100 / 170) - 1)
    close_fair = (170 / 270) / (170 / 270 + 100 / 250)
    assert g1.clv == pytest.approx(close_fair * (1 + 100 / 150) - 1)
    assert g1.tier == "closing" and g1.settled_at == G1.commence + timedelta(hours=2, minutes=30)
    assert by_event[G4.id].result == "void" and by_event[G4.id].profit == 0
    assert all(b.quote_time <= b.decision_time < b.commence_time for b in result.bets)
    assert BacktestResult.from_json(result.to_json()) == result


async def test_quotes_after_the_decision_time_change_nothing(seeded: Database) -> None:
    before = await run_backtest(seeded, "basic_ev", config(), {"min_ev": 0.0})
    flat_before = await run_backtest(seeded, "flat", config())
    assert before.bets, "the audit needs bets to compare"
    # Rewrite every quote observed after its game's decision time, and add new late quotes.
    async with seeded.session() as session:
        for game in GAMES:
            await session.execute(
                update(Odds)
                .where(
                    Odds.event_id == game.id,
                    Odds.odds_timestamp > game.commence - timedelta(hours=1),
                )
                .values(price=900)
            )
    late = [q for g in GAMES for q in h2h(g, "draftkings", 500, -900, hours=0.99)]
    late += [q for g in GAMES for q in h2h(g, "pinnacle", -900, 500, hours=0.2)]
    await seed_quotes_only(seeded, late)
    after = await run_backtest(seeded, "basic_ev", config(), {"min_ev": 0.0})
    flat_after = await run_backtest(seeded, "flat", config())
    assert decisions(after) == decisions(before)
    assert decisions(flat_after) == decisions(flat_before)
    assert after.summary.profit == before.summary.profit
    # Only the closing line (a metric read after the fact) moved.
    assert [b.closing_price for b in flat_after.bets] != [b.closing_price for b in flat_before.bets]


async def seed_quotes_only(db: Database, quotes: list[Q]) -> None:
    await seed(db, [], quotes)


class OracleParams(StrategyParams):
    pass


class Oracle(BettingStrategy[OracleParams]):
    """Bets the winner when it knows it; otherwise the home team."""

    name = "oracle"
    Params = OracleParams

    def __init__(self, params: OracleParams, results: dict[str, str] | None = None) -> None:
        super().__init__(params)
        self.known = dict(results or {})

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        quotes = view.outcome_set("draftkings", "h2h")
        if quotes is None:
            return []
        winner = self.known.get(view.event.id, view.event.home_team)
        return [BetIntent(q) for q in quotes if q.outcome == winner]

    def on_result(self, result: EventResult) -> None:
        won = result.home_team if result.home_score > result.away_score else result.away_team
        self.known[result.event_id] = won


async def test_oracle_cannot_beat_the_market_without_results(seeded: Database) -> None:
    honest = await run_backtest(seeded, Oracle(OracleParams()), config())
    flat = await run_backtest(seeded, FlatStrategy(FlatParams()), config())
    # Results reach a strategy only after the game: the oracle is no better than flat home.
    assert decisions(honest) == decisions(flat)
    assert honest.summary.losses == 1
    cheat = {G1.id: G1.home, G2.id: G2.away, G3.id: G3.home}
    given = await run_backtest(seeded, Oracle(OracleParams(), cheat), config())
    assert given.summary.losses == 0 and given.summary.profit > honest.summary.profit


async def test_slate_is_sized_from_settled_bankroll_minus_pending(seeded: Database) -> None:
    result = await run_backtest(
        seeded, "flat", config(sizing="percentage", stake=10.0, bankroll=10_000.0)
    )
    stakes = {b.event_id: b.stake for b in result.bets}
    # Day 0: both games sized together from 10,000, the second not from 9,000.
    assert stakes[G1.id] == stakes[G2.id] == 1000.0
    # Day 1: after +666.67 and -1000 settle.
    day1 = round((10_000 + 1000 * 100 / 150 - 1000) * 0.10, 2)
    assert stakes[G3.id] == stakes[G4.id] == day1


async def test_limits_and_haircut(seeded: Database) -> None:
    capped = await run_backtest(
        seeded, "flat", config(stake=500.0, max_stake=300.0, book_limits={"draftkings": 200.0})
    )
    assert {b.stake for b in capped.bets} == {200.0}
    tiny = await run_backtest(seeded, "flat", config(stake=5.0, min_stake=10.0))
    assert tiny.bets == []
    haircut = await run_backtest(seeded, "flat", config(haircut_minutes=45.0))
    prices = {b.event_id: b.price for b in haircut.bets}
    # G1: decision -150, next quote -170 within 45 minutes: filled at the worse -170.
    # G2: +120 then +110: +110. G3: -110 then -120. G4: no later quote, -+100 stands.
    assert prices == {G1.id: -170, G2.id: 110, G3.id: -120, G4.id: 100}
    assert all(b.quote_time <= b.decision_time for b in haircut.bets)


async def test_staleness_and_strategies(seeded: Database) -> None:
    stale = await run_backtest(seeded, "flat", config(max_staleness_hours=0.5))
    assert stale.bets == []
    ev = await run_backtest(seeded, "basic_ev", config(), {"min_ev": 0.02})
    picks = {(b.event_id, b.book, b.outcome) for b in ev.bets}
    # G1: Pinnacle -200/+180 de-vigs home to 0.6498; DraftKings -150 pays 1.667: EV +8.3%.
    assert (G1.id, "draftkings", G1.home) in picks
    g1 = next(b for b in ev.bets if b.event_id == G1.id)
    p_home = (200 / 300) / (200 / 300 + 100 / 280)
    assert g1.model_probability == pytest.approx(p_home)
    assert g1.expected_value == pytest.approx(p_home * (1 + 100 / 150) - 1)
    # The G2 legs were seen 2 h before tip, an hour before the decision: too old to act on
    # under the default 15-minute limit; allowed 90 minutes, they are an arbitrage.
    stale_arb = await run_backtest(seeded, "arbitrage", config(stake=1000.0))
    assert stale_arb.bets == []
    arb = await run_backtest(
        seeded, "arbitrage", config(stake=1000.0), {"max_quote_age_minutes": 90}
    )
    legs = [b for b in arb.bets if b.event_id == G2.id]
    # DraftKings home +120 and FanDuel away +110: 1/2.2 + 1/2.1 < 1.
    assert {(b.book, b.outcome) for b in legs} == {("draftkings", G2.home), ("fanduel", G2.away)}
    assert sum(b.stake for b in legs) == pytest.approx(1000.0, abs=0.02)
    guaranteed = 1000.0 * (1 / (1 / 2.2 + 1 / 2.1) - 1)
    assert sum(b.profit for b in legs) == pytest.approx(guaranteed, abs=0.1)
    with pytest.raises(BacktestError):
        await run_backtest(seeded, "flat", config(sizing="kelly"))
    with pytest.raises(BacktestError):
        await run_backtest(seeded, "flat", config(), {"outcome": "over"})


async def test_loader_applies_the_query_layers_as_of_rule(seeded: Database) -> None:
    # Late quotes, a tie on time, and a stale one make the rule's edges count.
    extra = [*h2h(G1, "fanduel", -130, 110, hours=30.0), *h2h(G3, "fanduel", -125, 105, hours=1.0)]
    await seed_quotes_only(seeded, extra)
    c = config()
    for hours, staleness in ((1.0, 24.0), (1.0, 0.5), (0.0, 48.0), (2.0, 1.0)):
        size = await assert_loader_matches_query_layer(seeded, c.start, c.end, hours, staleness)
        assert size > 0 or staleness < 1


async def test_a_market_is_read_from_one_observation(seeded: Database) -> None:
    """At 1.5 h before tip, the latest observation before the decision time, DraftKings
    flags its G1 away price, FanDuel quotes only G2's home side and Pinnacle's G3 prices are
    both flagged: none of the missing prices may be filled in from the 2-hour quotes."""
    extra = [
        Q(G1, "draftkings", "h2h", G1.home, -160, hours=1.5),
        Q(G1, "draftkings", "h2h", G1.away, 140, hours=1.5, valid=False),
        Q(G2, "fanduel", "h2h", G2.home, -155, hours=1.5),
        Q(G3, "pinnacle", "h2h", G3.home, -105, hours=1.5, valid=False),
        Q(G3, "pinnacle", "h2h", G3.away, -105, hours=1.5, valid=False),
    ]
    await seed_quotes_only(seeded, extra)
    c = config()
    data = await load_backtest_data(
        seeded, c.start, c.end, decision_hours=1.0, max_staleness_hours=24.0
    )

    def board_of(game: Game, book: str) -> set[tuple[str, int]]:
        return {(q.outcome, q.price) for q in data.decision[game.id] if q.book == book}

    assert board_of(G1, "draftkings") == {(G1.home, -160)}
    assert board_of(G2, "fanduel") == {(G2.home, -155)}
    assert board_of(G3, "pinnacle") == set()
    assert board_of(G1, "pinnacle") == {(G1.home, -200), (G1.away, 180)}  # untouched
    for hours, staleness in ((1.0, 24.0), (2.0, 24.0), (0.0, 48.0)):
        await assert_loader_matches_query_layer(seeded, c.start, c.end, hours, staleness)


async def test_kelly_sizes_the_slate_together(seeded: Database) -> None:
    from oddscore.analytics.kelly import simultaneous_kelly

    result = await run_backtest(
        seeded, "basic_ev", config(sizing="kelly", kelly_fraction=0.25, bankroll=10_000.0)
    )
    day0 = [b for b in result.bets if b.event_id in (G1.id, G2.id)]
    assert len(day0) == 2
    probabilities = [b.model_probability for b in day0]
    assert all(p is not None for p in probabilities)
    fractions = simultaneous_kelly(
        [p for p in probabilities if p is not None], [b.decimal_odds for b in day0], 0.25
    )
    assert [b.stake for b in day0] == [round(f * 10_000, 2) for f in fractions]
    # Sized together: each stake is below its single-bet quarter Kelly.
    for bet, f in zip(day0, fractions, strict=True):
        p = bet.model_probability or 0.0
        single = 0.25 * (p * bet.decimal_odds - 1) / (bet.decimal_odds - 1)
        assert 0 < f < single


async def test_spread_bets_and_a_line_that_moves_before_execution(seeded: Database) -> None:
    spreads = {"book": "draftkings", "market": "spreads", "outcome": "home"}
    placed = await run_backtest(seeded, "flat", config(), spreads)
    (bet,) = placed.bets
    # Home -2.5 on a one-point home win loses; the close moved to -3.5, so no price CLV.
    assert (bet.event_id, bet.point, bet.price, bet.result) == (G3.id, -2.5, -110, "loss")
    assert bet.closing_price is None and bet.clv_price is None
    # With a 45-minute haircut the next quote is at another line: the bet is not filled.
    late = await run_backtest(seeded, "flat", config(haircut_minutes=45.0), spreads)
    assert late.bets == []
    away = await run_backtest(seeded, "flat", config(), {**spreads, "outcome": "away"})
    assert [(b.point, b.result) for b in away.bets] == [(2.5, "win")]


async def test_loader_filters_books_and_markets(seeded: Database) -> None:
    from oddscore.backtest.data import load_backtest_data

    c = config()
    full = await load_backtest_data(
        seeded, c.start, c.end, decision_hours=1.0, max_staleness_hours=24.0
    )
    some = await load_backtest_data(
        seeded,
        c.start,
        c.end,
        decision_hours=1.0,
        max_staleness_hours=24.0,
        bookmakers=["draftkings", "fanduel"],
        markets=["h2h"],
    )
    expected = {
        event: [q for q in quotes if q.book in ("draftkings", "fanduel") and q.market == "h2h"]
        for event, quotes in full.decision.items()
    }
    assert dict(some.decision) == {k: v for k, v in expected.items() if v}
    closing = {(q.book, q.market) for quotes in some.closing.values() for q in quotes}
    assert closing == {("draftkings", "h2h"), ("fanduel", "h2h")}


async def test_kelly_sizing_reports_full_against_fractional_kelly(seeded: Database) -> None:
    result = await run_backtest(
        seeded, "basic_ev", config(sizing="kelly", kelly_fraction=0.25), {"min_ev": 0.02}
    )
    assert result.bets
    risk = result.summary.kelly_risk
    assert risk is not None
    staked, full, quarter = risk
    assert (staked.plan, full.plan, quarter.plan) == ("as staked", "full Kelly", "0.25 Kelly")
    # The engine staked quarter Kelly of the same slates (rounded to cents).
    assert staked.growth == pytest.approx(quarter.growth, rel=1e-3)
    assert full.mean_total_stake == pytest.approx(4 * quarter.mean_total_stake)
    assert full.growth > quarter.growth > 0
    assert full.drawdown_probability > quarter.drawdown_probability
    flat = await run_backtest(seeded, "flat", config())
    assert flat.summary.kelly_risk is None  # no model probability: nothing to say


async def test_a_books_commission_is_charged_on_winnings(seeded: Database) -> None:
    # The flat DraftKings runs of test_flat_home_known_answer, as if DraftKings charged 5%
    # on net winnings: the two wins pay 95% of their profit, the loss costs the same.
    charged = await run_backtest(
        seeded, "flat", config(commission={"draftkings": 0.05}), {"book": "draftkings"}
    )
    expected = 0.95 * (100 * 100 / 150 + 100 * 100 / 110) - 100
    assert charged.summary.profit == pytest.approx(expected, abs=1e-4)
    g1 = next(b for b in charged.bets if b.event_id == G1.id)
    assert g1.price == -150  # as quoted
    assert g1.decimal_odds == pytest.approx(1 + (100 / 150) * 0.95)
    assert config().commission["betfair_ex_uk"] == 0.05  # exchanges charge by default


async def test_middles_learn_the_distribution_only_from_finished_games(db: Database) -> None:
    # Day 0: consensus total 220, final 221 (residual +1); nothing to learn from yet.
    # Day 1: Over 220 at A and Under 222 at B around a consensus of 221: with residual +1 the
    # final is drawn at 222, where the Over wins and the Under pushes: positive EV, bet both.
    first = Game(50, "Boston Celtics", "New York Knicks", 111, 110, day=0)
    second = Game(51, "Denver Nuggets", "Los Angeles Lakers", 111, 110, day=1)
    near = 1.05  # three minutes before the decision: fresh
    quotes = [
        Q(first, "a", "totals", "Over", -110, 220.0, near),
        Q(first, "a", "totals", "Under", -110, 220.0, near),
        Q(first, "b", "totals", "Over", -110, 220.0, near),
        Q(first, "b", "totals", "Under", -110, 222.0, near),  # a middle, but no history yet
        Q(second, "a", "totals", "Over", -105, 220.0, near),
        Q(second, "a", "totals", "Under", -115, 220.0, near),
        Q(second, "b", "totals", "Over", -115, 222.0, near),
        Q(second, "b", "totals", "Under", -110, 222.0, near),
    ]
    await seed(db, [first, second], quotes)
    result = await run_backtest(db, "middles", config(stake=100.0), {"min_history": 1})
    assert {b.event_id for b in result.bets} == {second.id}
    legs = {(b.book, b.outcome, b.point): b for b in result.bets}
    assert set(legs) == {("a", "Over", 220.0), ("b", "Under", 222.0)}
    d1, d2 = 1 + 100 / 105, 1 + 100 / 110
    share = (1 / d1) / (1 / d1 + 1 / d2)
    assert legs[("a", "Over", 220.0)].stake == pytest.approx(100 * share, abs=0.01)
    # The final total was 221: both legs win.
    assert all(b.result == "win" for b in result.bets)
    stale = await run_backtest(
        db, "middles", config(), {"min_history": 1, "max_quote_age_minutes": 1}
    )
    assert stale.bets == []


async def test_loader_reads_the_events_as_the_orm_gives_them(seeded: Database) -> None:
    """The events come through the driver; they equal what SQLAlchemy's UTCDateTime gives
    (a finished game with its end time, an unfinished one without)."""
    c = config()
    data = await load_for_config(seeded, c)
    async with seeded.session() as session:
        rows = (
            await session.execute(
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
                .where(EVENTS.c.commence_time >= c.start, EVENTS.c.commence_time < c.end)
                .order_by(EVENTS.c.commence_time, EVENTS.c.id)
            )
        ).all()
    assert data.events == [EventInfo(*row) for row in rows]
    assert {e.completed_at is None for e in data.events} == {True, False}
    assert all(e.commence_time.utcoffset() == timedelta(0) for e in data.events)


async def test_loader_reads_markets_and_outcomes_it_does_not_code(seeded: Database) -> None:
    """The loader codes the usual markets and outcomes in the database; a market or an
    outcome name outside them (here a three-way line with a "Tie", and a market of its own)
    still loads, through the plain scan, by the same rule."""
    extra = [
        Q(G1, "draftkings", "h2h_3_way", G1.home, 150, hours=2.5),
        Q(G1, "draftkings", "h2h_3_way", "Tie", 900, hours=2.5),
        Q(G1, "draftkings", "h2h_3_way", G1.away, 200, hours=2.5),
        Q(G2, "fanduel", "h2h", "Tie", 1500, hours=1.5),
    ]
    await seed_quotes_only(seeded, extra)
    c = config()
    assert await assert_loader_matches_query_layer(seeded, c.start, c.end, 1.0, 24.0) > 0
    from oddscore.backtest.data import load_backtest_data

    data = await load_backtest_data(
        seeded, c.start, c.end, decision_hours=1.0, max_staleness_hours=24.0
    )
    three_way = [q.outcome for q in data.decision[G1.id] if q.market == "h2h_3_way"]
    assert sorted(three_way) == sorted([G1.home, G1.away, "Tie"])
    assert ("fanduel", "Tie") in {(q.book, q.outcome) for q in data.decision[G2.id]}


async def test_loader_scope_names_are_quoted(seeded: Database) -> None:
    """Book and market names reach the scan as literals on PostgreSQL: a quote in one is a
    name like any other, never SQL."""
    from oddscore.backtest.data import load_backtest_data

    c = config()
    data = await load_backtest_data(
        seeded,
        c.start,
        c.end,
        decision_hours=1.0,
        max_staleness_hours=24.0,
        bookmakers=["o'hara') OR (1=1", "draftkings"],
        markets=["h2h", "it's"],
    )
    found = {(q.book, q.market) for quotes in data.decision.values() for q in quotes}
    assert found == {("draftkings", "h2h")}

"""Odds math: properties (hypothesis) and hand-computed answers from BETTING_MATH.md."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oddscore.analytics.arbitrage import (
    NO_LIMITS,
    Quote,
    arbitrage_profit,
    arbitrage_stakes,
    find_arbitrages,
    find_middles,
)
from oddscore.analytics.clv import clv_probability, novig_clv, price_clv
from oddscore.analytics.consensus import exchange_effective_odds, fair_line
from oddscore.analytics.devig import DevigMethod, DevigUndefinedError, devig
from oddscore.analytics.ev import edge, expected_value
from oddscore.analytics.kelly import (
    exclusive_kelly,
    fractional_kelly,
    kelly_fraction,
    simultaneous_kelly,
)
from oddscore.prices.odds import (
    american_to_decimal,
    american_to_implied,
    booksum,
    decimal_to_american,
    hold,
    margin,
)

american = st.one_of(st.integers(-5000, -101), st.integers(100, 5000))  # -100 is +100
decimal = st.floats(1.01, 50.0)
FITTED = [m for m in DevigMethod if m is not DevigMethod.WORST_CASE]


def market(n: int, vig: float) -> st.SearchStrategy[list[float]]:
    """n decimal prices whose implied probabilities sum to 1 + vig, each a real price (> 1:
    with a large vig one dominant weight would otherwise imply a probability of 1 or more)."""
    return (
        st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)
        .map(lambda w: [sum(w) / (x * (1.0 + vig)) for x in w])
        .filter(lambda prices: all(p > 1.0 + 1e-9 for p in prices))
    )


@given(american)
def test_american_decimal_round_trip(a: int) -> None:
    assert decimal_to_american(american_to_decimal(a)) == pytest.approx(a)
    assert 1.0 / american_to_decimal(a) == pytest.approx(american_to_implied(a))


@given(decimal)
def test_decimal_american_round_trip(d: float) -> None:
    assume(abs(d - 2.0) > 1e-9)
    assert american_to_decimal(decimal_to_american(d)) == pytest.approx(d)


@given(american, american)
def test_american_to_decimal_is_monotone(a: int, b: int) -> None:
    # +100 and -100 are the same price; otherwise a higher American number pays more.
    assume(a < b and not (a == -100 and b == 100))
    assert american_to_decimal(a) < american_to_decimal(b)


def test_known_conversions_and_margin() -> None:
    assert american_to_decimal(-110) == pytest.approx(1.909090909)
    assert american_to_decimal(150) == 2.5
    assert american_to_implied(-110) == pytest.approx(110 / 210)
    d = american_to_decimal(-110)
    assert booksum([d, d]) == pytest.approx(220 / 210)
    assert margin([d, d]) == pytest.approx(0.047619, abs=1e-6)
    assert hold([d, d]) == pytest.approx(0.045455, abs=1e-6)
    with pytest.raises(ValueError):
        american_to_decimal(50)


@settings(max_examples=60)
@given(
    st.integers(2, 5).flatmap(lambda n: st.floats(-0.02, 0.12).flatmap(lambda v: market(n, v))),
    st.sampled_from(FITTED),
)
def test_fitted_methods_sum_to_one_and_keep_order(prices: list[float], method: DevigMethod) -> None:
    try:
        result = devig(prices, method)
    except DevigUndefinedError:
        # Only the equal-margin methods, and only with a longshot below its margin share.
        assert method in (DevigMethod.ADDITIVE, DevigMethod.MARGIN_WEIGHTED)
        margin_share = (sum(1 / d for d in prices) - 1.0) / len(prices)
        assert min(1 / d for d in prices) <= margin_share
        return
    assert sum(result.probabilities) == pytest.approx(1.0, abs=1e-9)
    assert all(0.0 < p < 1.0 for p in result.probabilities)
    # A shorter price never gets a smaller fair probability.
    order = sorted(range(len(prices)), key=lambda i: prices[i])
    probs = [result.probabilities[i] for i in order]
    assert all(a >= b - 1e-9 for a, b in zip(probs, probs[1:], strict=False))
    assert result.margin == pytest.approx(sum(1 / d for d in prices) - 1.0)


@settings(max_examples=60)
@given(st.integers(2, 4).flatmap(lambda n: market(n, 0.06)))
def test_worst_case_never_beats_any_method(prices: list[float]) -> None:
    worst = devig(prices, "worst_case")
    for method in FITTED:
        try:
            fitted = devig(prices, method).probabilities
        except DevigUndefinedError:
            continue
        assert all(w <= f + 1e-12 for w, f in zip(worst.probabilities, fitted, strict=True))
    assert worst.parameter == pytest.approx(sum(worst.probabilities))
    assert worst.parameter <= 1.0 + 1e-12


@settings(max_examples=80)
@given(market(2, 0.045))
def test_shin_equals_additive_on_two_way_markets(prices: list[float]) -> None:
    shin = devig(prices, "shin").probabilities
    margin_share = (sum(1 / d for d in prices) - 1.0) / 2
    assume(min(1 / d for d in prices) > margin_share + 0.01)  # additive is defined
    additive = devig(prices, "additive").probabilities
    assert shin == pytest.approx(additive, abs=1e-9)


def test_devig_known_answers() -> None:
    # Home -200 / away +170: pi = 2/3 and 100/270, B = 1.037037.
    d = [american_to_decimal(-200), american_to_decimal(170)]
    pi = [2 / 3, 100 / 270]
    b = sum(pi)
    mult = devig(d, "multiplicative")
    assert mult.probabilities == pytest.approx([pi[0] / b, pi[1] / b])
    assert mult.parameter == pytest.approx(b)
    add = devig(d, "additive")
    assert add.probabilities == pytest.approx([pi[0] - (b - 1) / 2, pi[1] - (b - 1) / 2])
    assert add.parameter == pytest.approx((b - 1) / 2)
    power = devig(d, "power")
    k = power.parameter
    assert k > 1 and pi[0] ** k + pi[1] ** k == pytest.approx(1.0)
    shin = devig(d, "shin")
    assert 0 < shin.parameter < 0.1
    assert shin.probabilities == pytest.approx(add.probabilities)
    ratio = devig(d, "odds_ratio")
    c = ratio.parameter
    assert ratio.probabilities[0] / (1 - ratio.probabilities[0]) == pytest.approx(
        (pi[0] / (1 - pi[0])) / c
    )
    log = devig(d, "logarithmic")
    assert log.probabilities == pytest.approx(ratio.probabilities)
    assert log.parameter == pytest.approx(math.log(c))
    dmw = devig(d, "margin_weighted")
    fair_odds = [2 * di / (2 - (b - 1) * di) for di in d]
    assert dmw.probabilities == pytest.approx([1 / f for f in fair_odds])
    # -110/-110 de-vigs to 50/50 under every method.
    even = [american_to_decimal(-110)] * 2
    for method in FITTED:
        assert devig(even, method).probabilities == pytest.approx([0.5, 0.5])


def test_a_single_outcome_is_not_a_market() -> None:
    with pytest.raises(ValueError):
        devig([1.9], "shin")


def test_fair_line_weighted_and_robust() -> None:
    books = {"pinnacle": [0.6, 0.4], "circa": [0.62, 0.38], "soft": [0.7, 0.3]}
    assert fair_line(books, exclude="soft") == pytest.approx((0.61, 0.39))
    assert fair_line(books, {"pinnacle": 3.0, "circa": 1.0, "soft": 0.0}) == pytest.approx(
        (0.605, 0.395)
    )
    assert fair_line(books, robust=True) == pytest.approx((0.62, 0.38))
    assert exchange_effective_odds(3.0, 0.02) == pytest.approx(2.96)


def test_ev_edge_clv_known_answers() -> None:
    assert expected_value(0.55, 2.0) == pytest.approx(0.10)
    assert edge(0.55, 2.0) == pytest.approx(0.05)
    assert price_clv(2.1, 2.0) == pytest.approx(0.05)
    assert novig_clv(2.1, 0.5) == pytest.approx(0.05)
    assert clv_probability(2.0, 0.52) == pytest.approx(0.02)


@given(st.floats(0.01, 0.99), decimal)
def test_kelly_is_zero_without_edge_and_capped(p: float, d: float) -> None:
    f = fractional_kelly(p, d, 0.25, cap=0.05)
    assert 0.0 <= f <= 0.05
    if p * d <= 1.0:
        assert f == 0.0


def test_kelly_known_answers() -> None:
    assert kelly_fraction(0.55, 2.0) == pytest.approx(0.10)
    assert fractional_kelly(0.55, 2.0, 0.25) == pytest.approx(0.025)
    # Two independent bets placed together: each stake is below the single-bet Kelly stake.
    both = simultaneous_kelly([0.55, 0.55], [2.0, 2.0], fraction=1.0)
    assert 0.05 < both[0] < 0.10 and both[0] == pytest.approx(both[1], rel=1e-3)
    assert simultaneous_kelly([0.4, 0.55], [2.0, 2.0], fraction=1.0)[0] == 0.0
    assert sum(simultaneous_kelly([0.6] * 3, [2.0] * 3, fraction=1.0, cap=0.1)) == pytest.approx(
        0.1
    )
    # Mutually exclusive outcomes of one market: betting both sides of a fair coin at 2.1.
    stakes = exclusive_kelly([0.5, 0.5], [2.1, 2.1], fraction=1.0)
    assert stakes[0] == pytest.approx(stakes[1], rel=1e-3) and sum(stakes) > 0.5


@given(st.lists(st.floats(1.01, 20.0), min_size=2, max_size=4), st.floats(1.0, 1e5))
def test_arbitrage_profit_sign_and_balanced_payout(prices: list[float], outlay: float) -> None:
    total = sum(1 / d for d in prices)
    profit = arbitrage_profit(prices)
    assert (profit > 0) == (total < 1)
    stakes = arbitrage_stakes(prices, outlay)
    assert sum(stakes) == pytest.approx(outlay)
    payouts = [s * d for s, d in zip(stakes, prices, strict=True)]
    assert payouts == pytest.approx([outlay / total] * len(prices))
    assert payouts[0] - outlay == pytest.approx(outlay * profit)


def test_find_arbitrages_is_line_aware() -> None:
    quotes = [
        Quote("a", "Over", 2.10, 220.5),
        Quote("b", "Under", 2.05, 220.5),
        Quote("b", "Under", 2.50, 221.5),  # different line: not an arbitrage with Over 220.5
        Quote("a", "Home", 2.2, -4.5),
        Quote("b", "Away", 2.0, 4.5),
    ]
    totals = find_arbitrages(quotes[:3], "totals", outlay=100, rules=NO_LIMITS)
    assert len(totals) == 1
    assert totals[0].profit == pytest.approx(1 / (1 / 2.10 + 1 / 2.05) - 1)
    assert {q.point for q in totals[0].legs} == {220.5}
    spreads = find_arbitrages(quotes[3:], "spreads", rules=NO_LIMITS)
    assert len(spreads) == 1 and spreads[0].booksum == pytest.approx(1 / 2.2 + 1 / 2.0)
    h2h = find_arbitrages([Quote("a", "H", 1.9, None), Quote("b", "A", 1.9, None)], rules=NO_LIMITS)
    assert h2h == []
    middles = find_middles(quotes[:3], "totals", rules=NO_LIMITS)
    assert [(m.low.point, m.high.point) for m in middles] == [(220.5, 221.5)]

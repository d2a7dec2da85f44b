"""Three-way markets: de-vig against penaltyblog, arbitrage against a brute-force search.

penaltyblog (a dev dependency) implements every de-vig method we do but the worst case, for
any number of outcomes; the arbitrage oracle tries every choice of one quote per outcome.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from penaltyblog.implied import calculate_implied

from oddscore.analytics.arbitrage import (
    NO_LIMITS,
    ArbitrageRules,
    Quote,
    find_arbitrages,
    lowest_hold,
)
from oddscore.analytics.devig import DevigMethod, DevigUndefinedError, devig
from oddscore.analytics.ev import expected_value

ORACLE = {
    DevigMethod.MULTIPLICATIVE: "multiplicative",
    DevigMethod.ADDITIVE: "additive",
    DevigMethod.POWER: "power",
    DevigMethod.SHIN: "shin",
    DevigMethod.ODDS_RATIO: "odds_ratio",
    DevigMethod.LOGARITHMIC: "logarithmic",
    DevigMethod.MARGIN_WEIGHTED: "differential_margin_weighting",
}
OUTCOMES = ("Home", "Draw", "Away")
NOW = datetime(2025, 3, 1, 15, 0, tzinfo=UTC)


def three_way_markets() -> st.SearchStrategy[list[float]]:
    """Home/draw/away prices: a draw of 18-34%, a margin of 0.5-15% (penaltyblog's Shin
    solver needs one), longshots included."""
    return (
        st.tuples(st.floats(0.02, 0.96), st.floats(0.18, 0.34), st.floats(0.005, 0.15))
        .filter(lambda t: t[0] + t[1] < 0.995)
        .map(lambda t: [1.0 / (p * (1.0 + t[2])) for p in (t[0], t[1], 1.0 - t[0] - t[1])])
        .filter(lambda prices: all(d > 1.0 + 1e-6 for d in prices))
    )


@settings(max_examples=150, deadline=None)
@given(three_way_markets(), st.sampled_from(list(ORACLE)))
def test_three_way_devig_matches_penaltyblog(prices: list[float], method: DevigMethod) -> None:
    oracle = calculate_implied(prices, method=ORACLE[method]).probabilities
    if min(oracle) <= 0.0:  # additive and margin weighting on a longshot below its share
        with pytest.raises(DevigUndefinedError, match="undefined for this market"):
            devig(prices, method)
        return
    result = devig(prices, method)
    assert len(result.probabilities) == 3
    assert result.probabilities == pytest.approx(oracle, abs=1e-9)
    assert sum(result.probabilities) == pytest.approx(1.0, abs=1e-9)


def test_known_three_way_market() -> None:
    prices = [2.10, 3.40, 3.60]  # booksum 1.04809
    multiplicative = devig(prices, "multiplicative").probabilities
    assert multiplicative == pytest.approx([0.454343, 0.280624, 0.265033], abs=1e-6)
    shin = devig(prices, "shin")
    assert shin.probabilities == pytest.approx(
        calculate_implied(prices, method="shin").probabilities, abs=1e-12
    )
    # Shin moves probability from the longshots to the favourite, more than proportionally.
    assert shin.probabilities[0] > multiplicative[0]
    assert shin.probabilities[2] < multiplicative[2]
    # EV of the draw at a retail 3.80 against the sharp fair line.
    assert expected_value(multiplicative[1], 3.80) == pytest.approx(multiplicative[1] * 3.8 - 1)


def test_a_three_way_longshot_below_its_margin_share_is_refused_by_name() -> None:
    prices = [1.05, 14.0, 90.0]  # the 90.0 away longshot: 0.0111 < (1.0347 - 1) / 3
    for method in ("additive", "margin_weighted"):
        with pytest.raises(DevigUndefinedError, match="outcome 3"):
            devig(prices, method)
    assert all(0 < p < 1 for p in devig(prices, "worst_case").probabilities)


def _brute_force(
    quotes: list[Quote], rules: ArbitrageRules, as_of: datetime
) -> tuple[float, tuple[Quote, ...]] | None:
    """Every choice of one fresh quote per outcome within the leg gap: the lowest booksum."""
    best: tuple[float, tuple[Quote, ...]] | None = None
    per_outcome = [[q for q in quotes if q.outcome == name] for name in OUTCOMES]
    for legs in itertools.product(*per_outcome):
        times = [q.observed_at for q in legs if q.observed_at is not None]
        if rules.max_quote_age is not None and any(as_of - t > rules.max_quote_age for t in times):
            continue
        if rules.max_leg_gap is not None and max(times) - min(times) > rules.max_leg_gap:
            continue
        total = sum(1.0 / rules.effective(q) for q in legs)
        if best is None or total < best[0]:
            best = (total, legs)
    return best


def boards() -> st.SearchStrategy[list[Quote]]:
    """Up to six books quoting home/draw/away near a fair line, seen in the last 20 minutes:
    arbitrages are common (a generous book here, a stale one there)."""
    book = st.tuples(
        st.sampled_from(["pinnacle", "bet365", "betfair_ex_uk", "smarkets", "unibet", "sky"]),
        st.tuples(*(st.floats(-0.12, 0.08) for _ in OUTCOMES)),
        st.integers(0, 20),
    )
    return st.lists(book, min_size=1, max_size=6, unique_by=lambda b: b[0]).map(
        lambda books: [
            Quote(
                name,
                outcome,
                1.0 / (fair * (1.0 + edge)),
                None,
                NOW - timedelta(minutes=minutes),
            )
            for name, edges, minutes in books
            for outcome, fair, edge in zip(OUTCOMES, (0.45, 0.28, 0.27), edges, strict=True)
        ]
    )


@settings(max_examples=150, deadline=None)
@given(boards(), st.sampled_from(["limits", "none"]))
def test_three_leg_arbitrage_matches_brute_force(quotes: list[Quote], which: str) -> None:
    rules = ArbitrageRules() if which == "limits" else NO_LIMITS
    expected = _brute_force(quotes, rules, NOW)
    found = find_arbitrages(quotes, "h2h", 100.0, as_of=NOW, rules=rules, outcomes=3)
    hold = lowest_hold(quotes, "h2h", as_of=NOW, rules=rules, outcomes=3)
    if expected is None:
        assert found == [] and hold is None
        return
    assert hold is not None and hold.booksum == pytest.approx(expected[0], rel=1e-12)
    if expected[0] >= 1.0:
        assert found == []
        return
    (arb,) = found
    assert len(arb.legs) == 3 and {q.outcome for q in arb.legs} == set(OUTCOMES)
    assert arb.booksum == pytest.approx(expected[0], rel=1e-12)
    assert arb.profit == pytest.approx(1.0 / expected[0] - 1.0, rel=1e-9)
    # Balanced stakes: every outcome pays the same, the outlay plus the profit.
    payouts = [s * d for s, d in zip(arb.stakes, arb.effective, strict=True)]
    assert sum(arb.stakes) == pytest.approx(100.0)
    assert all(p == pytest.approx(100.0 * (1.0 + arb.profit)) for p in payouts)


def test_two_legs_of_a_three_way_market_are_no_arbitrage() -> None:
    # Home 2.6 at one book, away 2.9 at another: 1/2.6 + 1/2.9 = 0.73, but the draw is
    # uncovered. With the sport's three outcomes this is no arbitrage; without, the old
    # two-way reading would have called it one.
    quotes = [Quote("a", "Home", 2.6, None, NOW), Quote("b", "Away", 2.9, None, NOW)]
    assert find_arbitrages(quotes, "h2h", as_of=NOW, outcomes=3) == []
    assert lowest_hold(quotes, "h2h", as_of=NOW, outcomes=3) is None
    assert len(find_arbitrages(quotes, "h2h", as_of=NOW)) == 1
    with_draw = [*quotes, Quote("c", "Draw", 4.0, None, NOW)]
    (arb,) = find_arbitrages(with_draw, "h2h", as_of=NOW, outcomes=3)
    assert arb.booksum == pytest.approx(1 / 2.6 + 1 / 2.9 + 1 / 4.0)
    assert math.isclose(sum(arb.stakes), 100.0)

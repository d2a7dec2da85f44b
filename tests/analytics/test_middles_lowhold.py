"""Middles and the low-hold screen: properties and brute force (issue #23, tools)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.analytics.arbitrage import NO_LIMITS, Middle, Quote, find_middles, lowest_hold
from oddscore.analytics.middles import ScoreDistribution, consensus_line, middle_value

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
BOOKS = ["draftkings", "fanduel", "betmgm", "lowvig", "betfair_ex_uk"]
half_points = st.integers(-30, 30).map(lambda x: x / 2)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _results(market: str, middle: Middle, score: int) -> tuple[int, int]:
    """+1 win, 0 push, -1 loss of each leg at a whole-number score (total or team margin)."""
    assert middle.low.point is not None and middle.high.point is not None
    if market == "totals":
        return _sign(score - middle.low.point), _sign(middle.high.point - score)
    return _sign(score + middle.low.point), _sign(middle.high.point - score)


totals_quote = st.builds(
    Quote,
    book=st.sampled_from(BOOKS),
    outcome=st.sampled_from(["Over", "Under"]),
    decimal=st.floats(1.7, 2.2),
    point=half_points.map(lambda x: 220 + x),
    observed_at=st.just(NOW),
)
spread_quote = st.builds(
    Quote,
    book=st.sampled_from(BOOKS),
    outcome=st.sampled_from(["Away", "Home"]),
    decimal=st.floats(1.7, 2.2),
    point=half_points,
    observed_at=st.just(NOW),
)


@settings(max_examples=300)
@given(
    st.one_of(
        st.tuples(st.just("totals"), st.lists(totals_quote, max_size=8)),
        st.tuples(st.just("spreads"), st.lists(spread_quote, max_size=8)),
    )
)
def test_a_middles_two_legs_can_both_win_for_some_final_score(
    case: tuple[str, list[Quote]],
) -> None:
    market, quotes = case
    for middle in find_middles(quotes, market, as_of=NOW):
        scores = range(-400, 401) if market == "spreads" else range(0, 500)
        assert any(_results(market, middle, s) == (1, 1) for s in scores)
    # Brute force the other way: every pair of best prices that can both win is found.
    found = {
        (m.low.outcome, m.low.point, m.high.outcome, m.high.point)
        for m in find_middles(quotes, market, as_of=NOW)
    }
    for a, b in itertools.permutations(quotes, 2):
        if a.outcome == b.outcome or a.point is None or b.point is None:
            continue
        if market == "totals" and a.outcome != "Over":
            continue
        if market == "spreads" and a.outcome > b.outcome:
            continue
        pair = Middle(a, b, 0.0)
        scores = range(-400, 401) if market == "spreads" else range(0, 500)
        if any(_results(market, pair, s) == (1, 1) for s in scores):
            assert (a.outcome, a.point, b.outcome, b.point) in found


def test_a_half_point_window_without_a_whole_number_is_no_middle() -> None:
    # Home -3 and Away +3.5: Home must win by 4+, Away needs Home to win by 3 or less.
    quotes = [Quote("a", "Home", 1.9, -3.0, NOW), Quote("b", "Away", 1.9, 3.5, NOW)]
    assert find_middles(quotes, "spreads", as_of=NOW) == []
    quotes = [Quote("a", "Home", 1.9, -2.5, NOW), Quote("b", "Away", 1.9, 3.5, NOW)]
    (middle,) = find_middles(quotes, "spreads", as_of=NOW)
    assert middle.width == 1.0


def test_middle_value_equals_the_sum_over_past_games_with_pushes() -> None:
    # Over 220 at 1.95 and Under 222 at 1.90: both win at 221; 220 pushes the Over, 222 the
    # Under. Residuals are whole numbers and the center is too: every game lands on a score.
    residuals = (-3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 5, -8)
    dist = ScoreDistribution(tuple(float(r) for r in residuals))
    middle = Middle(Quote("a", "Over", 1.95, 220.0, NOW), Quote("b", "Under", 1.90, 222.0, NOW), 2)
    value = middle_value(middle, "totals", dist, center=221.0, rules=NO_LIMITS)
    s1 = (1 / 1.95) / (1 / 1.95 + 1 / 1.90)
    s2 = 1 - s1
    expected = 0.0
    for r in residuals:
        t = 221 + r
        over = 0.0 if t == 220 else (s1 * 0.95 if t > 220 else -s1)
        under = 0.0 if t == 222 else (s2 * 0.90 if t < 222 else -s2)
        expected += (over + under) / len(residuals)
    assert value.ev == pytest.approx(expected, abs=1e-12)
    assert value.p_both == pytest.approx(3 / 12)  # residual 0 three times: T = 221
    assert value.p_push == pytest.approx(4 / 12)  # T = 220 (twice) or 222 (twice)
    assert value.stakes == pytest.approx((s1, s2))


def test_half_point_centres_split_between_the_two_scores() -> None:
    dist = ScoreDistribution((0.0, 1.0))
    assert dist.pmf(220.5) == pytest.approx({220: 0.25, 221: 0.5, 222: 0.25})
    with pytest.raises(ValueError, match="at least one"):
        ScoreDistribution(())
    quotes = [
        Quote("a", "Over", 1.9, 220.5),
        Quote("b", "Over", 1.9, 221.5),
        Quote("c", "Over", 1.9, 223.0),
    ]
    assert consensus_line(quotes, "Over") == 221.5


def _oracle_hold(quotes: list[Quote]) -> float | None:
    homes = [q for q in quotes if q.outcome == "Home"]
    aways = [q for q in quotes if q.outcome == "Away"]
    sums = [1 / h.decimal + 1 / a.decimal for h, a in itertools.product(homes, aways)]
    return min(sums) if sums else None


h2h_quote = st.builds(
    Quote,
    book=st.sampled_from(["draftkings", "fanduel", "betmgm", "lowvig"]),
    outcome=st.sampled_from(["Home", "Away"]),
    decimal=st.floats(1.5, 3.0),
    point=st.none(),
    observed_at=st.integers(0, 3).map(lambda m: NOW - timedelta(minutes=m)),
)


@settings(max_examples=200)
@given(st.lists(h2h_quote, max_size=8))
def test_the_lowest_hold_is_the_best_pair_across_books(quotes: list[Quote]) -> None:
    found = lowest_hold(quotes, "h2h", as_of=NOW)
    expected = _oracle_hold(quotes)
    if expected is None:
        assert found is None
        return
    assert found is not None
    assert found.booksum == pytest.approx(expected, abs=1e-12)
    assert found.hold == pytest.approx(1 - 1 / expected, abs=1e-12)

"""De-vig at the edges against penaltyblog (issue #23, error 3).

penaltyblog's additive and differential-margin-weighting methods apply the formulas without
clipping, so they are the oracle twice over: where every probability they give is positive
ours must equal them, and where one is <= 0 the method is undefined for the market and ours
must say so instead of clipping it to 0 (which gave infinite fair odds and NaN EVs).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from penaltyblog.implied import calculate_implied

from oddscore.analytics.devig import DevigMethod, DevigUndefinedError, devig
from oddscore.backtest.market import EventView, MarketQuote, MarketView

ORACLE = {
    DevigMethod.ADDITIVE: "additive",
    DevigMethod.MARGIN_WEIGHTED: "differential_margin_weighting",
}
# pi = 0.980, 0.040, 0.0083 (B = 1.0287): the 120.0 longshot is below its margin share 0.0096.
# Only a market of three or more outcomes can do this: in a two-way market pi_long < M/2
# would need pi_fav > 1.
LONGSHOT_MARKET = [1.02, 25.0, 120.0]


def markets() -> st.SearchStrategy[list[float]]:
    """Two to four prices with margins from 0 to 25%, weights log-uniform so that longshots
    (down to ~1/400 of the favourite) are common."""
    weights = st.lists(st.floats(-6.0, 0.0).map(math.exp), min_size=2, max_size=4)
    return (
        st.tuples(weights, st.floats(0.0, 0.25))
        .map(lambda wv: [sum(wv[0]) / (w * (1.0 + wv[1])) for w in wv[0]])
        .filter(lambda prices: all(d > 1.0 + 1e-6 for d in prices))
    )


@settings(max_examples=100, deadline=None)
@given(markets(), st.sampled_from(list(ORACLE)))
def test_equal_margin_methods_match_penaltyblog_or_say_undefined(
    prices: list[float], method: DevigMethod
) -> None:
    oracle = calculate_implied(prices, method=ORACLE[method]).probabilities
    if min(oracle) > 0.0:
        assert devig(prices, method).probabilities == pytest.approx(oracle, abs=1e-12)
    else:
        with pytest.raises(DevigUndefinedError, match="undefined for this market"):
            devig(prices, method)


@settings(max_examples=100, deadline=None)
@given(markets(), st.sampled_from(list(DevigMethod)))
def test_no_method_returns_a_zero_probability_or_infinite_odds(
    prices: list[float], method: DevigMethod
) -> None:
    try:
        result = devig(prices, method)
    except DevigUndefinedError:
        assert method in ORACLE
        return
    assert all(0.0 < p < 1.0 for p in result.probabilities)
    assert all(math.isfinite(d) and d > 1.0 for d in result.fair_odds)
    assert math.isfinite(result.parameter)


def test_a_longshot_below_its_margin_share_is_named() -> None:
    # Before #23 the 80.0 longshot was clipped to probability 0: fair odds inf, EV NaN.
    assert min(calculate_implied(LONGSHOT_MARKET, method="additive").probabilities) < 0
    with pytest.raises(DevigUndefinedError, match="outcome 3"):
        devig(LONGSHOT_MARKET, "additive")
    with pytest.raises(DevigUndefinedError, match="margin_weighted"):
        devig(LONGSHOT_MARKET, "margin_weighted")
    # The worst case takes the minimum over the methods defined for the market.
    worst = devig(LONGSHOT_MARKET, "worst_case")
    assert all(0.0 < p < 1.0 for p in worst.probabilities)
    for method in (DevigMethod.MULTIPLICATIVE, DevigMethod.POWER, DevigMethod.SHIN):
        fitted = devig(LONGSHOT_MARKET, method).probabilities
        assert all(w <= f + 1e-12 for w, f in zip(worst.probabilities, fitted, strict=True))


def _quote(book: str, outcome: str, decimal: float, at: datetime) -> MarketQuote:
    american = round(100 * (decimal - 1)) if decimal >= 2 else round(-100 / (decimal - 1))
    return MarketQuote(book, "h2h", outcome, None, american, decimal, at)


def test_the_consensus_leaves_out_a_book_the_method_cannot_devig() -> None:
    at = datetime(2024, 1, 1, tzinfo=UTC)
    names = ("Away", "Draw", "Home")
    fine = [24.0, 60.0, 1.03]
    quotes = tuple(
        _quote(book, name, price, at)
        for book, prices in (("lopsided", [25.0, 120.0, 1.02]), ("sharp", fine))
        for name, price in zip(names, prices, strict=True)
    )
    view = MarketView(EventView("e", "Home", "Away", at + timedelta(hours=1)), at, quotes)
    fair = view.fair_probabilities("h2h", ["lopsided", "sharp"], DevigMethod.ADDITIVE)
    assert fair is not None
    assert [fair[n] for n in names] == pytest.approx(devig(fine, "additive").probabilities)
    assert view.fair_probabilities("h2h", ["lopsided"], DevigMethod.ADDITIVE) is None

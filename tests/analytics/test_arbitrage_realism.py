"""Arbitrage realism against brute force (issue #23, error 4): staleness, leg gap, commission.

The oracle enumerates every combination of one quote per outcome, keeps those whose legs are
all fresh and close enough together, prices each leg after its book's commission, and takes
the lowest booksum: slow and obviously right.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.analytics.arbitrage import (
    DEFAULT_COMMISSION,
    NO_LIMITS,
    ArbitrageRules,
    Quote,
    find_arbitrages,
)
from oddscore.config import BettingSettings

NOW = datetime(2024, 1, 10, 23, 0, tzinfo=UTC)
BOOKS = ["draftkings", "fanduel", "betmgm", "betfair_ex_uk", "matchbook"]


def ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def test_a_leg_quoted_hours_ago_is_no_arbitrage() -> None:
    quotes = [Quote("a", "Home", 2.10, None, ago(1)), Quote("b", "Away", 2.10, None, ago(180))]
    assert len(find_arbitrages(quotes, rules=NO_LIMITS)) == 1  # the finder before #23
    assert find_arbitrages(quotes, as_of=NOW) == []
    # Without an explicit moment the newest quote given is "now": the 3-hour leg is still stale.
    assert find_arbitrages(quotes) == []
    # A quote whose time is unknown cannot be checked, so it is not acted on.
    assert find_arbitrages([Quote("a", "Home", 2.1), Quote("b", "Away", 2.1)]) == []


def test_legs_too_far_apart_are_replaced_by_a_closer_pair() -> None:
    quotes = [
        Quote("a", "Home", 2.15, None, ago(1)),
        Quote("b", "Away", 2.12, None, ago(12)),  # fresh, but 11 minutes from the Home leg
        Quote("c", "Away", 2.05, None, ago(3)),  # worse, but within 5 minutes of it
    ]
    (arb,) = find_arbitrages(quotes, as_of=NOW)
    assert [q.book for q in arb.legs] == ["a", "c"]
    assert arb.leg_gap == timedelta(minutes=2)
    assert arb.profit == pytest.approx(1 / (1 / 2.15 + 1 / 2.05) - 1)
    tight = ArbitrageRules(max_leg_gap=timedelta(minutes=1))
    assert find_arbitrages(quotes, as_of=NOW, rules=tight) == []


def test_exchange_commission_is_charged_and_reported() -> None:
    # Betfair 2.05 against DraftKings 2.00: booksum 0.9878 as quoted, an arbitrage of 1.2%;
    # after 5% commission Betfair pays 1 + 1.05 * 0.95 = 1.9975 and the booksum is 1.0006.
    quotes = [
        Quote("betfair_ex_uk", "Home", 2.05, None, ago(1)),
        Quote("draftkings", "Away", 2.00, None, ago(1)),
    ]
    assert DEFAULT_COMMISSION["betfair_ex_uk"] == 0.05
    assert find_arbitrages(quotes, rules=ArbitrageRules(commission={})) != []
    assert find_arbitrages(quotes, as_of=NOW) == []
    wide = [quotes[0], Quote("draftkings", "Away", 2.10, None, ago(1))]
    (arb,) = find_arbitrages(wide, as_of=NOW, outlay=100.0)
    assert arb.effective == pytest.approx((1.9975, 2.10))
    assert arb.profit == pytest.approx(1 / (1 / 1.9975 + 1 / 2.10) - 1)
    # The balanced stakes pay the same after commission whichever side wins.
    net = [s * d for s, d in zip(arb.stakes, arb.effective, strict=True)]
    assert net == pytest.approx([100.0 * (1 + arb.profit)] * 2)


def _oracle(quotes: list[Quote], rules: ArbitrageRules) -> float | None:
    """Lowest after-commission booksum of a fresh, close h2h pair; None if none is < 1."""
    best = None
    homes = [q for q in quotes if q.outcome == "Home"]
    aways = [q for q in quotes if q.outcome == "Away"]
    for home, away in itertools.product(homes, aways):
        assert home.observed_at is not None and away.observed_at is not None
        if rules.max_quote_age is not None and (
            NOW - home.observed_at > rules.max_quote_age
            or NOW - away.observed_at > rules.max_quote_age
        ):
            continue
        if (
            rules.max_leg_gap is not None
            and abs(home.observed_at - away.observed_at) > rules.max_leg_gap
        ):
            continue
        total = 0.0
        for q in (home, away):
            rate = rules.commission.get(q.book, 0.0)
            total += 1 / (1 + (q.decimal - 1) * (1 - rate))
        best = total if best is None or total < best else best
    return best if best is not None and best < 1 else None


quote = st.builds(
    Quote,
    book=st.sampled_from(BOOKS),
    outcome=st.sampled_from(["Home", "Away"]),
    decimal=st.floats(1.80, 2.30),
    point=st.none(),
    observed_at=st.integers(0, 40).map(ago),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(quote, min_size=2, max_size=8),
    st.sampled_from(
        [
            ArbitrageRules(),
            NO_LIMITS,
            ArbitrageRules(max_quote_age=timedelta(minutes=30), max_leg_gap=None),
            ArbitrageRules(max_quote_age=None, max_leg_gap=timedelta(minutes=2)),
        ]
    ),
)
def test_the_finder_equals_brute_force(quotes: list[Quote], rules: ArbitrageRules) -> None:
    found = find_arbitrages(quotes, "h2h", as_of=NOW, rules=rules)
    expected = _oracle(quotes, rules)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].booksum == pytest.approx(expected, abs=1e-12)
        assert found[0].profit == pytest.approx(1 / expected - 1, abs=1e-12)


def test_commission_comes_from_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_COMMISSION", "betfair_ex_uk=0.02, novig=0.01")
    monkeypatch.setenv("ARB_MAX_LEG_GAP_MINUTES", "2")
    configured = BettingSettings()
    # Listed books are overridden or added; the other exchanges keep their defaults.
    assert configured.commission["betfair_ex_uk"] == 0.02
    assert configured.commission["novig"] == 0.01
    assert configured.commission["matchbook"] == DEFAULT_COMMISSION["matchbook"]
    assert configured.arb_max_leg_gap_minutes == 2
    monkeypatch.setenv("BOOK_COMMISSION", "betfair_ex_uk:0.02")
    with pytest.raises(ValueError, match="book=rate"):
        BettingSettings()
    monkeypatch.setenv("BOOK_COMMISSION", "betfair_ex_uk=1.5")
    with pytest.raises(ValueError, match="less than 1"):
        BettingSettings()

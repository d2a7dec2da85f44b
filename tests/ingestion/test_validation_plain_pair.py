"""The two-sided market shortcut of ``check_markets`` finds exactly what the full check finds.

``_plain_pair`` lets a book's market skip the full check when it is the clean common case;
whatever it lets through, the full check must find nothing in, and everything else must
reach the full check. Both are compared on every shape of a two-outcome market: names,
lines, prices at the band and pick'em edges, two-way and three-way sports.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.ingestion import validation
from oddscore.ingestion.quotes import Quote
from oddscore.ingestion.validation import ValidationRules, check_markets
from oddscore.sports import profile_for

HOME, AWAY = "Boston Celtics", "Miami Heat"
RULES = ValidationRules()
UPDATED = datetime(2024, 1, 5, 18, 0, tzinfo=UTC)

names = st.sampled_from([HOME, AWAY, "Over", "Under", "Draw", "Someone Else"])
points = st.sampled_from([None, 0.0, 1.5, -1.5, 2.5, 220.5, -220.5, 221.0])
# The edges: pick'em range (-130..-100), identical prices in band (+100, -135), band limits.
prices = st.sampled_from([-10000, -400, -135, -130, -110, -100, 100, 105, 300, 10000])
markets = st.sampled_from(["h2h", "spreads", "totals", "h2h_h1", "spreads_q1", "h2h_lay"])
sports = st.sampled_from(["basketball_nba", "soccer_epl"])
descriptions = st.sampled_from([None, None, "Player"])


def quote(market: str, name: str, price: int, point: float | None, description: str | None):
    return Quote("book", "Book", market, name, description, price, price, point, UPDATED)


def full_check(*args):
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(validation, "_plain_pair", lambda *_: False)
        return check_markets(*args)


@settings(max_examples=1500)
@given(
    market=markets,
    sport=sports,
    outcomes=st.lists(st.tuples(names, prices, points, descriptions), min_size=1, max_size=3),
    same_teams=st.booleans(),
)
def test_the_shortcut_finds_what_the_full_check_finds(
    market: str,
    sport: str,
    outcomes: list[tuple[str, int, float | None, str | None]],
    same_teams: bool,
) -> None:
    away = HOME if same_teams else AWAY
    quotes = [quote(market, *outcome) for outcome in outcomes]
    args = ("e1", HOME, away, quotes, RULES, profile_for(sport))
    assert check_markets(*args) == full_check(*args)


@pytest.mark.parametrize(
    ("market", "first", "second", "shortcut"),
    [
        ("h2h", (HOME, -150, None), (AWAY, 130, None), True),
        ("spreads", (AWAY, -110, 4.5), (HOME, -110, -4.5), True),
        ("totals", ("Under", -110, 220.5), ("Over", -110, 220.5), True),
        ("h2h", (HOME, -110, None), (AWAY, -110, None), True),  # a pick'em
        ("h2h", (HOME, 100, None), (AWAY, 100, None), False),  # identical prices
        ("spreads", (HOME, -110, -4.5), (AWAY, -110, 3.5), False),  # asymmetric
        ("totals", ("Over", -110, 220.5), ("Under", -110, 221.5), False),  # mismatch
        ("h2h", (HOME, -110, None), ("Draw", -110, None), False),  # a side missing
        ("h2h", (HOME, -300, None), (AWAY, -300, None), False),  # overround out of band
        ("h2h_lay", (HOME, -150, None), (AWAY, 130, None), False),  # not back odds
    ],
)
def test_what_takes_the_shortcut(market: str, first, second, shortcut: bool) -> None:
    items = [quote(market, *first, None), quote(market, *second, None)]
    nba = profile_for("basketball_nba")
    assert validation._plain_pair(items, HOME, AWAY, market, RULES, nba) is shortcut
    # A three-way moneyline lacks its draw with two outcomes: never the shortcut.
    if market == "h2h":
        soccer = profile_for("soccer_epl")
        assert validation._plain_pair(items, HOME, AWAY, market, RULES, soccer) is False

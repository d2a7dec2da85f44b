"""Every validation rule as a pure function: what it finds and what it does to the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oddscore.ingestion.quotes import is_back_market, raw_quotes, to_american
from oddscore.ingestion.validation import (
    Action,
    PreviousQuote,
    ValidationRules,
    apply_findings,
    check_snapshot_time,
    implied_probability,
    validate_event,
)
from tests.ingestion.conftest import AWAY, HOME, NOW, TAKEN, TIP, book, event

RULES = ValidationRules()


def run(raw, *, taken=TAKEN, previous=None, books=None, markets=None):
    quotes, _ = raw_quotes(raw)
    findings = validate_event(
        event_id=raw["id"],
        home_team=raw["home_team"],
        away_team=raw["away_team"],
        commence_time=TIP,
        snapshot_time=taken,
        quotes=quotes,
        rules=RULES,
        previous=previous,
        expected_bookmakers=books,
        expected_markets=markets,
    )
    apply_findings(quotes, findings)
    return quotes, findings


def types(findings):
    return sorted(f.issue_type for f in findings)


def test_clean_event_has_no_findings() -> None:
    quotes, findings = run(event(books=[book("draftkings"), book("fanduel")]))
    assert findings == []
    assert len(quotes) == 12
    assert all(q.is_valid and not q.excluded and q.notes is None for q in quotes)


@pytest.mark.parametrize("price", [50, -99, 99, -10001, 12000])
def test_price_out_of_range_is_flagged(price: int) -> None:
    quotes, findings = run(event(books=[book(h2h=(price, 130))]))
    assert "price_out_of_range" in types(findings)
    bad = [q for q in quotes if q.price == price]
    assert bad and all(not q.is_valid and "price_out_of_range" in q.notes for q in bad)
    # Spreads and totals of the same book are untouched.
    assert all(q.is_valid for q in quotes if q.market_key != "h2h")


@pytest.mark.parametrize("price", [-100, 100, -10000, 10000])
def test_price_bounds_are_inclusive(price: int) -> None:
    _, findings = run(event(books=[book(h2h=(price, -price if price < 0 else -price))]))
    assert "price_out_of_range" not in types(findings)


def test_snapshot_in_the_future_is_dropped() -> None:
    finding = check_snapshot_time(NOW + timedelta(hours=1), NOW)
    assert finding is not None and finding.action == Action.DROP
    assert check_snapshot_time(NOW + timedelta(minutes=1), NOW) is None  # clock skew


def test_in_play_quotes_are_excluded_and_nothing_else_is_checked() -> None:
    quotes, findings = run(event(books=[book(h2h=(50, 50))]), taken=TIP + timedelta(minutes=30))
    assert types(findings) == ["in_play"]
    assert all(q.excluded for q in quotes)


def test_quote_at_tip_off_counts_as_in_play() -> None:
    quotes, findings = run(event(), taken=TIP)
    assert types(findings) == ["in_play"] and all(q.excluded for q in quotes)


def test_overround_band_flags_the_market() -> None:
    # +120 / +110: implied 0.931, below 0.98 (an arbitrage no book offers).
    quotes, findings = run(event(books=[book(h2h=(120, 110))]))
    assert types(findings) == ["overround_out_of_band"]
    assert [q.is_valid for q in quotes if q.market_key == "h2h"] == [False, False]
    # -400 / -300: 1.55, far above 1.15.
    _, findings = run(event(books=[book(h2h=(-400, -300))]))
    assert types(findings) == ["overround_out_of_band"]


def test_overround_band_can_differ_per_market() -> None:
    rules = ValidationRules(overround_bands={"h2h": (1.0, 1.03)})
    assert rules.band("h2h") == (1.0, 1.03) and rules.band("totals") == (0.98, 1.15)


def test_missing_side_is_flagged() -> None:
    raw = event(books=[book()])
    raw["bookmakers"][0]["markets"][0]["outcomes"].pop()  # the away moneyline
    quotes, findings = run(raw)
    assert types(findings) == ["missing_side"]
    lone = [q for q in quotes if q.market_key == "h2h"]
    assert len(lone) == 1 and not lone[0].is_valid


def test_spread_asymmetry_and_unequal_totals() -> None:
    raw = event(books=[book()])
    raw["bookmakers"][0]["markets"][1]["outcomes"][1]["point"] = 4.0  # home -3.5, away +4
    raw["bookmakers"][0]["markets"][2]["outcomes"][1]["point"] = 229.5
    quotes, findings = run(raw)
    assert types(findings) == ["spread_asymmetry", "totals_mismatch"]
    assert [q.is_valid for q in quotes] == [True, True, False, False, False, False]


def test_missing_point_is_flagged() -> None:
    raw = event(books=[book(h2h=None, total=None)])
    del raw["bookmakers"][0]["markets"][0]["outcomes"][0]["point"]
    _, findings = run(raw)
    assert "missing_point" in types(findings)


def test_unexpected_outcome_name() -> None:
    raw = event(books=[book(spread=None, total=None)])
    raw["bookmakers"][0]["markets"][0]["outcomes"][1]["name"] = "LA Lakers"
    _, findings = run(raw)
    assert types(findings) == ["missing_side", "unexpected_outcome"]


def test_identical_moneyline_prices_unless_a_pickem() -> None:
    _, findings = run(event(books=[book(h2h=(-110, -110))]))
    assert findings == []  # a genuine pick'em
    quotes, findings = run(event(books=[book(h2h=(-650, -650))]))
    assert "identical_prices" in types(findings)
    assert not any(q.is_valid for q in quotes if q.market_key == "h2h")


def test_duplicated_outcomes() -> None:
    raw = event(books=[book(spread=None, total=None)])
    outcomes = raw["bookmakers"][0]["markets"][0]["outcomes"]
    outcomes.append(dict(outcomes[0]))  # exact repeat
    quotes, findings = run(raw)
    assert types(findings) == ["duplicate_outcome"]
    assert [q.excluded for q in quotes] == [False, False, True]
    assert all(q.is_valid for q in quotes)
    # A repeat with another price is a conflict: both copies flagged, none dropped.
    outcomes[-1]["price"] = -140
    quotes, findings = run(raw)
    assert [f.severity.value for f in findings if f.issue_type == "duplicate_outcome"] == ["error"]
    assert [(q.excluded, q.is_valid) for q in quotes] == [
        (False, False),
        (False, True),
        (False, False),
    ]


def test_lay_and_unknown_markets_are_excluded() -> None:
    raw = event(books=[book("betfair", spread=None, total=None)])
    raw["bookmakers"][0]["markets"].append(
        {
            "key": "h2h_lay",
            "outcomes": [{"name": HOME, "price": -140}, {"name": AWAY, "price": 136}],
        }
    )
    quotes, findings = run(raw)
    assert types(findings) == ["unknown_market"]
    assert [(q.market_key, q.excluded) for q in quotes] == [
        ("h2h", False),
        ("h2h", False),
        ("h2h_lay", True),
        ("h2h_lay", True),
    ]
    assert not is_back_market("outrights_lay") and is_back_market("spreads_h1")
    assert is_back_market("player_points") and not is_back_market("mystery")


def test_line_and_price_jumps_are_noted_not_flagged() -> None:
    previous = {
        ("draftkings", "spreads", HOME, None): PreviousQuote(-110, 2.5, TAKEN - timedelta(days=1)),
        ("draftkings", "h2h", HOME, None): PreviousQuote(150, None, TAKEN - timedelta(days=1)),
    }
    quotes, findings = run(event(books=[book(h2h=(-250, 200))]), previous=previous)
    assert types(findings) == ["line_jump", "price_jump"]
    noted = {q.market_key: q for q in quotes if q.notes}
    assert noted["spreads"].is_valid and noted["spreads"].notes == ["line_jump"]
    assert noted["h2h"].is_valid and noted["h2h"].notes == ["price_jump"]
    # Small moves pass.
    previous = {("draftkings", "spreads", HOME, None): PreviousQuote(-110, -2.5, TAKEN)}
    _, findings = run(event(books=[book()]), previous=previous)
    assert findings == []


def test_stale_is_noted_and_a_future_last_update_is_flagged() -> None:
    stale = book("bovada", updated=TAKEN - timedelta(hours=5))
    ahead = book("fanduel", updated=TAKEN + timedelta(hours=1))
    quotes, findings = run(event(books=[stale, ahead]))
    assert types(findings) == ["future_last_update", "stale_quote"]
    assert {q.bookmaker_key: (q.is_valid, q.notes) for q in quotes} == {
        "bovada": (True, ["stale_quote"]),
        "fanduel": (False, ["future_last_update"]),
    }


def test_lay_prices_are_not_price_checked() -> None:
    raw = event(books=[book("betfair", h2h=None, spread=None, total=None)])
    raw["bookmakers"][0]["markets"] = [
        {"key": "h2h_lay", "outcomes": [{"name": HOME, "price": 10900}, {"name": AWAY, "price": 5}]}
    ]
    _, findings = run(raw)
    assert types(findings) == ["unknown_market"]


def test_missing_books_and_markets() -> None:
    _, findings = run(
        event(books=[book("draftkings", total=None)]),
        books=["draftkings", "pinnacle"],
        markets=["h2h", "spreads", "totals"],
    )
    by_type = {f.issue_type: f for f in findings}
    assert sorted(by_type) == ["missing_bookmakers", "missing_markets"]
    assert by_type["missing_bookmakers"].context == {"missing": ["pinnacle"]}
    assert by_type["missing_markets"].bookmaker_key == "draftkings"
    assert by_type["missing_markets"].action == Action.NONE


def test_price_conversion() -> None:
    assert to_american(1.91, "decimal") == -110
    assert to_american(2.5, "decimal") == 150
    assert to_american(1.0, "decimal") is None
    assert to_american(-110, "american") == -110
    assert implied_probability(-110) == pytest.approx(0.5238, abs=1e-4)
    assert implied_probability(150) == pytest.approx(0.4)


def test_decimal_payload_is_stored_as_american() -> None:
    raw = event(books=[book(h2h=None, spread=None, total=None)])
    raw["bookmakers"][0]["markets"] = [
        {"key": "h2h", "outcomes": [{"name": HOME, "price": 1.67}, {"name": AWAY, "price": 2.3}]}
    ]
    quotes, _ = raw_quotes(raw, "decimal")
    assert [q.price for q in quotes] == [-149, 130]

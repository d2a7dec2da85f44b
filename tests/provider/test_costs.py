"""The credit cost estimator against every rule of ODDS_API_V4.md section 5."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oddscore.exceptions import PlanningError
from oddscore.provider.costs import (
    endpoint_kind,
    estimate_cost,
    event_odds_cost,
    historical_events_cost,
    is_empty,
    markets_returned,
    odds_cost,
    regions_billed,
    scores_cost,
    split_csv,
)
from oddscore.provider.models import Bookmaker, EventOdds, HistoricalResponse, Market

BOOKS_8 = "pinnacle,circasports,draftkings,fanduel,betmgm,williamhill_us,betrivers,bovada"


def books(n: int) -> list[str]:
    return [f"book{i}" for i in range(n)]


def test_docs_example_three_markets_three_regions_is_nine() -> None:
    assert odds_cost(markets="h2h,spreads,totals", regions="us,uk,au") == 9


def test_docs_example_historical_is_ten_times() -> None:
    assert odds_cost(markets="h2h,spreads,totals", regions="us,uk,au", historical=True) == 90


@pytest.mark.parametrize(
    ("n_books", "regions"), [(1, 1), (8, 1), (10, 1), (11, 2), (20, 2), (21, 3)]
)
def test_bookmakers_count_one_region_per_started_group_of_ten(n_books: int, regions: int) -> None:
    assert regions_billed(bookmakers=books(n_books)) == regions


def test_bookmakers_replace_regions_when_both_are_given() -> None:
    assert regions_billed(regions="us,uk,au,eu", bookmakers=books(3)) == 1
    assert odds_cost(markets="h2h,spreads,totals", regions="us,uk", bookmakers=BOOKS_8) == 3


def test_duplicates_and_blanks_are_not_billed_twice() -> None:
    assert split_csv(" h2h, ,h2h,totals ") == ["h2h", "totals"]
    assert odds_cost(markets="h2h,h2h", regions=["us", "us", ""]) == 1
    assert regions_billed(bookmakers=books(10) + books(10)) == 1


def test_missing_regions_and_bookmakers_cannot_be_priced() -> None:
    with pytest.raises(PlanningError, match="MISSING_REGION"):
        regions_billed()
    with pytest.raises(PlanningError):
        odds_cost(markets="h2h", regions=[], bookmakers=[])


def test_absent_markets_default_to_h2h() -> None:
    assert odds_cost(markets=None, regions="us") == 1


def test_empty_odds_response_is_free() -> None:
    assert odds_cost(markets="h2h,spreads,totals", bookmakers=BOOKS_8, empty=True) == 0
    assert odds_cost(markets="h2h,totals", regions="us", historical=True, empty=True) == 0


def test_scores_cost_one_or_two_with_days_from() -> None:
    assert scores_cost() == 1
    assert scores_cost(days_from=1) == 2
    assert scores_cost(days_from=3) == 2
    assert scores_cost(days_from=2, empty=True) == 0


def test_event_odds_bills_unique_markets_returned() -> None:
    # docs: 5 requested, 2 returned, 1 region -> 2
    assert event_odds_cost(markets=["h2h", "player_points"], regions="us") == 2
    assert event_odds_cost(markets=["player_points"], bookmakers=books(12)) == 2
    assert event_odds_cost(markets=[], regions="us") == 0
    assert event_odds_cost(markets=["h2h_q1", "player_points"], regions="us", historical=True) == 20


def test_historical_events_cost_one_or_zero_when_empty() -> None:
    assert historical_events_cost() == 1
    assert historical_events_cost(empty=True) == 0


def _event(*market_keys_per_book: list[str]) -> EventOdds:
    return EventOdds(
        id="f54c4a22568ce9dc33fb410d1b0e75e9",
        sport_key="basketball_nba",
        commence_time=datetime(2024, 2, 23, 0, 10, tzinfo=UTC),
        home_team="Cleveland Cavaliers",
        away_team="Orlando Magic",
        bookmakers=[
            Bookmaker(key=f"b{i}", markets=[Market(key=k) for k in keys])
            for i, keys in enumerate(market_keys_per_book)
        ],
    )


def test_markets_returned_are_unique_across_bookmakers() -> None:
    event = _event(["player_points"], ["player_points", "h2h"], [])
    assert markets_returned(event) == {"player_points", "h2h"}
    assert markets_returned([event, _event(["totals"])]) == {"player_points", "h2h", "totals"}
    assert markets_returned(None) == set()


def test_is_empty_sees_through_the_historical_envelope() -> None:
    stamp = datetime(2023, 11, 29, 22, 40, 39, tzinfo=UTC)
    assert is_empty([]) and is_empty(None) and not is_empty([_event(["h2h"])])
    assert is_empty(HistoricalResponse[list[EventOdds]](timestamp=stamp, data=[]))
    assert not is_empty(HistoricalResponse[list[EventOdds]](timestamp=stamp, data=[_event()]))
    assert is_empty(_event([], []))  # an event without any market is billed nothing


@pytest.mark.parametrize(
    ("endpoint", "params", "cost"),
    [
        ("/v4/sports", {}, 0),
        ("/v4/sports/", {"all": "true"}, 0),
        ("/v4/sports/basketball_nba/events", {}, 0),
        ("/v4/sports/basketball_nba/odds", {"markets": "h2h,spreads,totals", "regions": "us"}, 3),
        ("/v4/sports/basketball_nba/odds/", {"markets": "h2h", "bookmakers": BOOKS_8}, 1),
        (
            "/v4/sports/basketball_nba/odds",
            {"markets": "h2h", "bookmakers": ",".join(books(11))},
            2,
        ),
        ("/v4/sports/basketball_nba/scores", {}, 1),
        ("/v4/sports/basketball_nba/scores", {"daysFrom": "3"}, 2),
        ("/v4/sports/basketball_nba/events/abc/markets", {"regions": "us"}, 1),
        ("/v4/sports/basketball_nba/participants", {}, 1),
        (
            "/v4/historical/sports/basketball_nba/odds",
            {"markets": "h2h,spreads,totals", "regions": "us,uk,au", "date": "x"},
            90,
        ),
        ("/v4/historical/sports/basketball_nba/events", {"date": "x"}, 1),
        # before the call, event odds is priced on the markets requested (an upper bound)
        (
            "/v4/sports/basketball_nba/events/abc/odds",
            {"markets": "h2h,player_points", "regions": "us"},
            2,
        ),
        ("/v4/sports/basketball_nba/events/abc/odds", {"regions": "us"}, 1),
        (
            "/v4/historical/sports/basketball_nba/events/abc/odds",
            {"markets": "player_points", "bookmakers": BOOKS_8},
            10,
        ),
    ],
)
def test_estimate_cost_by_endpoint(endpoint: str, params: dict[str, str], cost: int) -> None:
    assert estimate_cost(endpoint, params) == cost


def test_estimate_cost_after_the_call() -> None:
    path = "/v4/sports/basketball_nba/events/abc/odds"
    params = {"markets": "h2h,spreads,player_points,player_assists,player_threes", "regions": "us"}
    assert estimate_cost(path, params) == 5
    assert estimate_cost(path, params, markets_in_response=["player_points", "h2h"]) == 2
    assert estimate_cost(path, params, empty=True) == 0
    odds = "/v4/historical/sports/basketball_nba/odds"
    assert estimate_cost(odds, {"markets": "h2h", "regions": "us"}, empty=True) == 0
    assert estimate_cost("/v4/historical/sports/x/events", {}, empty=True) == 0
    assert estimate_cost("/v4/sports/x/scores", {"daysFrom": "1"}, empty=True) == 0


def test_unknown_endpoint_has_no_cost_rule() -> None:
    assert endpoint_kind("/v4/sports/basketball_nba/odds?markets=h2h") == "odds"
    with pytest.raises(PlanningError, match="no cost rule"):
        estimate_cost("/v4/sports/basketball_nba/odds-history", {})

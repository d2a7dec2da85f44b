"""The acceptance request, parameters, and the provider's error answers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from starlette.applications import Starlette

from oddscore.clock import FrozenClock
from oddscore.simulator import DEMO_API_KEY, create_app, simulator_of
from tests.simulator.conftest import BOOKS, NBA, NOW, TEST_KEY, Api, odds_params

HISTORICAL = "/v4/historical/sports/basketball_nba"


async def test_acceptance_request_returns_upcoming_games_from_the_books_for_3_credits(
    api: Api,
) -> None:
    response = await api.get(f"{NBA}/odds", **odds_params())
    assert response.status_code == 200
    assert response.headers["x-requests-last"] == "3"
    assert response.headers["x-requests-used"] == "3"
    assert int(response.headers["x-requests-remaining"]) == 20_000 - 3
    body = response.json()
    assert len(body) >= 10
    assert all(event["commence_time"] > NOW.strftime("%Y-%m-%dT%H:%M:%SZ") for event in body)
    seen = {book["key"] for event in body for book in event["bookmakers"]}
    assert seen == set(BOOKS.split(","))
    # The next games are priced by all eight books.
    assert len(body[0]["bookmakers"]) == 8


async def test_api_key_spelling_and_trailing_slash(api: Api) -> None:
    response = await api.http.get(f"{NBA}/odds/", params={"api_key": TEST_KEY, "regions": "eu"})
    assert response.status_code == 200
    assert {b["key"] for e in response.json() for b in e["bookmakers"]} == {"pinnacle"}
    assert response.headers["x-requests-last"] == "1"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"apiKey": "wrong"}, 401, "INVALID_KEY"),
        ({}, 401, "MISSING_KEY"),
    ],
)
async def test_bad_keys_are_refused_without_quota_headers(
    api: Api, params: dict[str, str], status: int, code: str
) -> None:
    response = await api.http.get(f"{NBA}/odds", params={"regions": "us", **params})
    assert response.status_code == status
    body = response.json()
    assert body["error_code"] == code
    assert body["details_url"].endswith("#" + code.lower().replace("_", "-"))
    assert "x-requests-remaining" not in response.headers
    assert TEST_KEY not in response.text


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        (f"{NBA}/odds", {"regions": "us", "markets": "h2h,player_points"}, 422, "INVALID_MARKET"),
        (f"{NBA}/odds", {"markets": "h2h"}, 422, "MISSING_REGION"),
        (f"{NBA}/odds", {"regions": "us,mars"}, 422, "INVALID_REGION"),
        (f"{NBA}/odds", {"bookmakers": "pinnacle,nosuchbook"}, 422, "INVALID_BOOKMAKERS"),
        (f"{NBA}/odds", {"regions": "us", "oddsFormat": "fractional"}, 422, "INVALID_ODDS_FORMAT"),
        (f"{NBA}/odds", {"regions": "us", "dateFormat": "rfc"}, 422, "INVALID_DATE_FORMAT"),
        (f"{NBA}/odds", {"regions": "us", "eventIds": "abc"}, 422, "INVALID_EVENT_IDS"),
        (
            f"{NBA}/odds",
            {"regions": "us", "commenceTimeFrom": "tomorrow"},
            422,
            "INVALID_COMMENCE_TIME_FROM",
        ),
        (
            f"{NBA}/events",
            {"commenceTimeFrom": "2026-12-01T00:00:00Z", "commenceTimeTo": "2026-11-30T00:00:00Z"},
            422,
            "INVALID_COMMENCE_TIME_RANGE",
        ),
        (f"{NBA}/scores", {"daysFrom": "7"}, 422, "INVALID_SCORES_DAYS_FROM"),
        ("/v4/sports", {"all": "maybe"}, 422, "INVALID_ALL_SPORTS_PARAM"),
        (f"{HISTORICAL}/odds", {"regions": "us"}, 422, "MISSING_HISTORICAL_TIMESTAMP"),
        (
            f"{HISTORICAL}/odds",
            {"regions": "us", "date": "2026-13-01"},
            422,
            "INVALID_HISTORICAL_TIMESTAMP",
        ),
        (f"{HISTORICAL}/events", {"date": "yesterday"}, 422, "INVALID_HISTORICAL_TIMESTAMP"),
        ("/v4/sports/curling_mars/odds", {"regions": "us"}, 404, "UNKNOWN_SPORT"),
        ("/v4/sports/Basket-Ball/odds", {"regions": "us"}, 422, "INVALID_SPORT"),
        (f"{NBA}/events/{'0' * 32}/odds", {"regions": "us"}, 404, "EVENT_NOT_FOUND"),
        (f"{NBA}/events/not-an-id/odds", {"regions": "us"}, 422, "INVALID_EVENT_ID"),
    ],
)
async def test_invalid_requests_get_the_documented_error(
    api: Api, path: str, params: dict[str, str], status: int, code: str
) -> None:
    response = await api.get(path, **params)
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code
    assert response.json()["message"]
    # Refused requests cost nothing but still report the balance.
    assert response.headers["x-requests-last"] == "0"
    assert response.headers["x-requests-used"] == "0"


async def test_invalid_market_message_names_the_market(api: Api) -> None:
    response = await api.get(f"{NBA}/odds", regions="us", markets="h2h,player_points")
    assert response.json()["message"] == "Invalid markets: player_points"


async def test_quota_exhaustion_is_a_401_and_charges_nothing(clock: FrozenClock) -> None:
    app = create_app(api_key=TEST_KEY, clock=clock, quota=7)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        api = Api(http)
        first = await api.get(f"{NBA}/odds", **odds_params())
        second = await api.get(f"{NBA}/odds", **odds_params())
        third = await api.get(f"{NBA}/odds", **odds_params())
        assert (first.status_code, second.status_code) == (200, 200)
        assert third.status_code == 401
        assert third.json()["error_code"] == "OUT_OF_USAGE_CREDITS"
        assert third.headers["x-requests-remaining"] == "1"
        assert third.headers["x-requests-used"] == "6"
        one_market = await api.get(f"{NBA}/odds", regions="us")
        assert one_market.status_code == 200 and one_market.headers["x-requests-remaining"] == "0"
        # Free endpoints still answer, and show the empty balance.
        free = await api.get(f"{NBA}/events")
        assert free.status_code == 200 and free.headers["x-requests-remaining"] == "0"
    assert simulator_of(app).ledger.used == 7


async def test_frequency_limit_answers_429(clock: FrozenClock) -> None:
    app = create_app(api_key=TEST_KEY, clock=clock, requests_per_second_limit=5)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        statuses = [(await Api(http).get("/v4/sports")).status_code for _ in range(8)]
        last = await Api(http).get("/v4/sports")
    # Eight requests take far less than a second in-process.
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    assert last.status_code == 429 and last.json()["error_code"] == "EXCEEDED_FREQ_LIMIT"
    assert last.headers["retry-after"] == "1"


async def test_event_odds_for_a_finished_game_is_not_found(api: Api, clock: FrozenClock) -> None:
    finished = [s for s in (await api.get(f"{NBA}/scores", daysFrom=1)).json() if s["completed"]]
    response = await api.get(f"{NBA}/events/{finished[0]['id']}/odds", regions="us")
    assert response.status_code == 404
    assert response.json()["error_code"] == "EVENT_NOT_FOUND"


async def test_event_odds_is_billed_on_markets_returned(api: Api) -> None:
    event = (await api.get(f"{NBA}/odds", regions="us")).json()[0]
    response = await api.get(
        f"{NBA}/events/{event['id']}/odds",
        bookmakers=BOOKS,
        markets="h2h,totals,player_points,alternate_spreads",
    )
    assert response.status_code == 200
    returned = {m["key"] for b in response.json()["bookmakers"] for m in b["markets"]}
    assert returned == {"h2h", "totals"}
    assert response.headers["x-requests-last"] == "2"


@pytest.mark.parametrize(
    ("params", "cost"),
    [
        ({"regions": "us", "markets": "h2h,spreads,totals"}, 3),
        ({"regions": "us,eu", "markets": "h2h,spreads,totals"}, 6),
        ({"regions": "us,eu", "bookmakers": "pinnacle", "markets": "h2h"}, 1),
        (
            {
                "bookmakers": BOOKS + ",betonlineag,lowvig,mybookieag",  # 11 books: 2 regions
                "markets": "h2h,spreads",
            },
            4,
        ),
        ({"regions": "us", "eventIds": "f" * 32}, 0),  # nothing returned: free
    ],
)
async def test_odds_cost(api: Api, params: dict[str, str], cost: int) -> None:
    response = await api.get(f"{NBA}/odds", **params)
    assert response.status_code == 200
    assert response.headers["x-requests-last"] == str(cost)


async def test_other_sports_answer_empty_for_free(api: Api) -> None:
    response = await api.get("/v4/sports/icehockey_nhl/odds", regions="us", markets="h2h,totals")
    assert response.json() == [] and response.headers["x-requests-last"] == "0"


@pytest.mark.parametrize(("params", "cost"), [({}, 1), ({"daysFrom": "3"}, 2)])
async def test_scores_cost(api: Api, params: dict[str, str], cost: int) -> None:
    response = await api.get(f"{NBA}/scores", **params)
    assert response.headers["x-requests-last"] == str(cost)


async def test_historical_costs_ten_times(api: Api) -> None:
    date = (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    odds = await api.get(
        f"{HISTORICAL}/odds", regions="us,eu", markets="h2h,spreads,totals", date=date
    )
    assert odds.headers["x-requests-last"] == "60"
    events = await api.get(f"{HISTORICAL}/events", date=date)
    assert events.headers["x-requests-last"] == "1"
    soon = [e for e in events.json()["data"] if e["commence_time"] > events.json()["timestamp"]]
    event_id = soon[0]["id"]
    one = await api.get(
        f"{HISTORICAL}/events/{event_id}/odds", regions="us", markets="h2h,btts", date=date
    )
    assert one.status_code == 200, one.text
    assert one.headers["x-requests-last"] == "10"


async def test_free_plan_refuses_history(clock: FrozenClock) -> None:
    app: Starlette = create_app(api_key=DEMO_API_KEY, clock=clock, historical_enabled=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        response = await Api(http, DEMO_API_KEY).get(
            f"{HISTORICAL}/odds", regions="us", date="2026-11-01T00:00:00Z"
        )
    assert response.status_code == 401
    assert response.json()["error_code"] == "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN"


async def test_filters_by_event_ids_and_commence_window(api: Api) -> None:
    events = (await api.get(f"{NBA}/events")).json()
    chosen = [e["id"] for e in events[3:6]]
    picked = await api.get(f"{NBA}/odds", regions="us", eventIds=",".join(chosen))
    assert {e["id"] for e in picked.json()} <= set(chosen) and picked.json()
    start, end = events[3]["commence_time"], events[5]["commence_time"]
    window = (await api.get(f"{NBA}/events", commenceTimeFrom=start, commenceTimeTo=end)).json()
    assert window and all(start <= e["commence_time"] <= end for e in window)


async def test_a_configured_book_outside_the_catalogue_is_served(clock: FrozenClock) -> None:
    app = create_app(api_key=TEST_KEY, clock=clock, bookmakers=["pinnacle", "localbook"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        response = await Api(http).get(f"{NBA}/odds", bookmakers="localbook")
    assert response.status_code == 200
    assert {b["key"] for e in response.json() for b in e["bookmakers"]} == {"localbook"}

"""The client against real recorded responses: parsing, requests sent, the fetch record."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from oddscore.config import ApiSettings
from oddscore.exceptions import ConfigurationError, OddscoreError
from oddscore.logs import configure_logging
from oddscore.provider.client import OddsApiClient
from oddscore.provider.models import EventInfo, EventOdds, HistoricalResponse, ScoreEvent, Sport
from tests.provider.conftest import (
    API_KEY,
    NOW,
    ClientFactory,
    error_body,
    quota_headers,
    sample,
)

BOOKS = ["pinnacle", "draftkings", "fanduel"]
ODDS_SAMPLE = "nba_odds_us_h2h_spreads_totals_american_2022-11-23.json"


def serve(body: Any, cost: int = 0, status: int = 200) -> Any:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=quota_headers(cost))

    return handler


async def test_odds_parses_the_real_sample_and_records_the_fetch(
    make_client: ClientFactory,
) -> None:
    body = sample(ODDS_SAMPLE)
    client, recorder = make_client(serve(body, cost=3))
    async with client:
        response = await client.odds(
            "basketball_nba", markets=["h2h", "spreads", "totals"], bookmakers=BOOKS
        )
    assert len(response.data) == len(body) == 14
    assert all(isinstance(event, EventOdds) for event in response.data)
    lay = {m.key for e in response.data for b in e.bookmakers for m in b.markets}
    assert {"h2h", "spreads", "totals", "h2h_lay"} <= lay
    assert response.raw == body  # exactly as received
    assert response.quota.last == response.cost == 3
    assert response.quota.remaining == 19_000 and response.quota.used == 1_000
    assert response.endpoint == "/v4/sports/basketball_nba/odds"
    assert response.params == {
        "markets": "h2h,spreads,totals",
        "bookmakers": "pinnacle,draftkings,fanduel",
        "oddsFormat": "american",
    }
    assert response.status_code == 200 and response.attempts == 1
    assert response.fetched_at == NOW and response.fetched_at.tzinfo is not None
    assert len(response.request_id) == 32 and int(response.request_id, 16) >= 0
    assert response.elapsed_ms >= 0
    sent = recorder.requests[0]
    assert sent.url.host == "api.the-odds-api.com"
    assert sent.url.path == "/v4/sports/basketball_nba/odds"
    assert recorder.last_params == {**response.params, "apiKey": API_KEY}


async def test_decimal_sample_and_regions(make_client: ClientFactory) -> None:
    client, recorder = make_client(serve(sample("nba_odds_us_h2h_decimal_2022-12-06.json"), 1))
    async with client:
        response = await client.odds(
            "basketball_nba", markets="h2h", regions="us", odds_format="decimal"
        )
    prices = [
        o.price for e in response.data for b in e.bookmakers for m in b.markets for o in m.outcomes
    ]
    assert prices and any(not p.is_integer() for p in prices) and all(p > 1 for p in prices)
    assert recorder.last_params["regions"] == "us"
    assert recorder.last_params["oddsFormat"] == "decimal"
    assert "bookmakers" not in recorder.last_params


async def test_bookmakers_are_sent_instead_of_regions(make_client: ClientFactory) -> None:
    client, recorder = make_client(serve([], cost=0))
    async with client:
        response = await client.odds(
            "basketball_nba", markets="h2h", bookmakers=BOOKS, regions=["us"]
        )
    assert response.data == [] and response.cost == 0
    assert "regions" not in recorder.last_params
    assert recorder.last_params["bookmakers"] == "pinnacle,draftkings,fanduel"


async def test_an_odds_call_without_books_or_regions_is_refused_before_sending(
    make_client: ClientFactory,
) -> None:
    client, recorder = make_client(serve([]))
    async with client:
        with pytest.raises(ConfigurationError, match="bookmakers or regions"):
            await client.odds("basketball_nba", markets="h2h")
        with pytest.raises(ConfigurationError, match="market"):
            await client.odds("basketball_nba", markets=[], regions="us")
    assert recorder.requests == []


async def test_scores_samples(make_client: ClientFactory) -> None:
    body = sample("nba_scores_daysFrom1_docs_example_2022-02-06.json")
    client, recorder = make_client(serve(body, cost=2))
    async with client:
        response = await client.scores("basketball_nba", days_from=1)
    assert recorder.last_params == {"daysFrom": "1", "apiKey": API_KEY}
    assert all(isinstance(s, ScoreEvent) for s in response.data)
    completed = [s for s in response.data if s.completed]
    assert len(completed) == 9
    assert all(s.score_of(s.home_team) is not None for s in completed)
    live = [s for s in response.data if not s.completed and s.scores]
    assert len(live) == 1

    upcoming = sample("nba_scores_live_upcoming_no_daysFrom_2024-02-22.json")
    client, recorder = make_client(serve(upcoming, cost=1))
    async with client:
        response = await client.scores("basketball_nba")
    assert "daysFrom" not in recorder.last_params
    assert len(response.data) == 21
    assert all(s.scores is None and s.last_update is None for s in response.data)


async def test_event_odds_sample(make_client: ClientFactory) -> None:
    body = sample("nba_event_odds_player_props_american_2024-02-22.json")
    client, recorder = make_client(serve(body, cost=1))
    async with client:
        response = await client.event_odds(
            "basketball_nba", body["id"], markets=["player_points"], regions="us"
        )
    assert isinstance(response.data, EventOdds) and response.data.id == body["id"]
    described = [
        o for b in response.data.bookmakers for m in b.markets for o in m.outcomes if o.description
    ]
    assert described and all(o.point is not None for o in described)
    assert recorder.requests[0].url.path == (f"/v4/sports/basketball_nba/events/{body['id']}/odds")


async def test_historical_odds_sample_and_date_format(make_client: ClientFactory) -> None:
    body = sample("nfl_historical_odds_us_h2h_american_docs_example_2021-10-18_TRUNCATED.json")
    client, recorder = make_client(serve(body, cost=10))
    eastern = timezone(timedelta(hours=-4))
    async with client:
        response = await client.historical_odds(
            "americanfootball_nfl",
            date=datetime(2021, 10, 18, 8, 0, 0, 123456, tzinfo=eastern),
            markets="h2h",
            regions="us",
        )
    assert recorder.last_params["date"] == "2021-10-18T12:00:00Z"
    assert recorder.requests[0].url.path == "/v4/historical/sports/americanfootball_nfl/odds"
    envelope = response.data
    assert isinstance(envelope, HistoricalResponse)
    assert envelope.timestamp == datetime(2021, 10, 18, 11, 55, tzinfo=UTC)
    assert envelope.previous_timestamp == datetime(2021, 10, 18, 11, 45, tzinfo=UTC)
    assert envelope.next_timestamp == datetime(2021, 10, 18, 12, 5, tzinfo=UTC)
    assert len(envelope.data) == 1 and len(envelope.data[0].bookmakers) == 12


async def test_events_and_filters(make_client: ClientFactory) -> None:
    body = [
        {
            "id": "e912304de2b2ce35b473ce2ecd3d1502",
            "sport_key": "basketball_nba",
            "sport_title": "NBA",
            "commence_time": 1700000000,
            "home_team": "Boston Celtics",
            "away_team": "Miami Heat",
        }
    ]
    client, recorder = make_client(serve(body))
    async with client:
        response = await client.events(
            "basketball_nba",
            event_ids=["e912304de2b2ce35b473ce2ecd3d1502"],
            commence_time_from=datetime(2023, 11, 14, tzinfo=UTC),
            commence_time_to=datetime(2023, 11, 15, tzinfo=UTC),
        )
    assert isinstance(response.data[0], EventInfo)
    assert response.data[0].commence_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert recorder.last_params == {
        "eventIds": "e912304de2b2ce35b473ce2ecd3d1502",
        "commenceTimeFrom": "2023-11-14T00:00:00Z",
        "commenceTimeTo": "2023-11-15T00:00:00Z",
        "apiKey": API_KEY,
    }


async def test_historical_events_and_event_odds(make_client: ClientFactory) -> None:
    stamp = {"timestamp": "2023-11-29T22:40:39Z", "previous_timestamp": None}
    event = sample("nba_event_odds_player_props_american_2024-02-22.json")
    client, recorder = make_client(serve({**stamp, "data": [], "next_timestamp": None}))
    async with client:
        events = await client.historical_events(
            "basketball_nba", date=datetime(2023, 11, 29, 22, 41, tzinfo=UTC)
        )
    assert events.data.data == [] and events.data.previous_timestamp is None
    assert recorder.last_params["date"] == "2023-11-29T22:41:00Z"

    client, recorder = make_client(serve({**stamp, "data": event}, cost=10))
    async with client:
        odds = await client.historical_event_odds(
            "basketball_nba",
            event["id"],
            date=datetime(2023, 11, 29, 22, 41, tzinfo=UTC),
            markets="player_points",
            bookmakers=["draftkings"],
        )
    assert odds.data.data is not None and odds.data.data.id == event["id"]
    assert recorder.requests[0].url.path == (
        f"/v4/historical/sports/basketball_nba/events/{event['id']}/odds"
    )


async def test_sports(make_client: ClientFactory) -> None:
    body = [
        {
            "key": "basketball_nba",
            "group": "Basketball",
            "title": "NBA",
            "description": "US Basketball",
            "active": True,
            "has_outrights": False,
        }
    ]
    client, recorder = make_client(serve(body))
    async with client:
        response = await client.sports(all=True)
    assert response.data == [Sport.model_validate(body[0])]
    assert recorder.last_params == {"all": "true", "apiKey": API_KEY}


async def test_naive_datetimes_are_refused(make_client: ClientFactory) -> None:
    client, recorder = make_client(serve([]))
    async with client:
        with pytest.raises(ValueError, match="naive"):
            await client.historical_events("basketball_nba", date=datetime(2023, 11, 29))
    assert recorder.requests == []


async def test_path_segments_are_quoted(make_client: ClientFactory) -> None:
    client, recorder = make_client(serve({"message": "Unknown sport"}, status=404))
    async with client:
        with pytest.raises(OddscoreError):
            await client.events("../../v4/sports?x=")
    assert recorder.requests[0].url.raw_path.startswith(b"/v4/sports/..%2F..%2Fv4%2Fsports%3Fx%3D/")


def test_from_settings_reads_the_api_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_BASE_URL", "http://localhost:8765/v4/")
    monkeypatch.setenv("ODDS_API_REQUESTS_PER_SECOND", "5")
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "2")
    client = OddsApiClient.from_settings()
    assert client.limiter.rate == 5
    assert client.retry_policy.max_retries == 2
    assert "localhost:8765" in repr(client) and "/v4" not in repr(client)
    assert API_KEY not in repr(client)
    with pytest.raises(ConfigurationError, match="ODDS_API_KEY"):
        OddsApiClient.from_settings(ApiSettings(ODDS_API_KEY=None))
    with pytest.raises(ConfigurationError, match="empty"):
        OddsApiClient(SecretStr(" "))


async def test_the_key_never_leaks(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    from oddscore.config import LoggingSettings

    configure_logging(LoggingSettings(format="json", level="DEBUG"), force=True)
    body = sample(ODDS_SAMPLE)
    failures = iter(
        [
            httpx.Response(500, text=f"oops {API_KEY}"),
            httpx.Response(401, json=error_body(f"API key {API_KEY} is not valid", "INVALID_KEY")),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/scores"):
            return next(failures)
        return httpx.Response(200, json=body, headers=quota_headers(3))

    client, _ = make_client(handler, max_retries=1)
    # httpx logs the full request URL (with the key) at INFO: it must come out masked
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="httpx"):
        async with client:
            response = await client.odds("basketball_nba", markets="h2h", bookmakers=BOOKS)
            with pytest.raises(OddscoreError) as caught:
                await client.scores("basketball_nba")
    texts = [record.getMessage() for record in caplog.records]
    assert any("provider request" in t for t in texts)
    assert any("HTTP Request" in t for t in texts), "httpx's own request line was captured"
    for text in texts:
        assert API_KEY not in text
    chain = "".join(traceback.format_exception(caught.value))
    assert "INVALID_KEY" in chain and API_KEY not in chain
    assert API_KEY not in json.dumps(
        {
            "endpoint": response.endpoint,
            "params": response.params,
            "request_id": response.request_id,
            "raw": response.raw,
        }
    )
    assert API_KEY not in repr(response)

"""Every simulator answer validates against the provider's response models."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import TypeAdapter

from oddscore.clock import FrozenClock
from oddscore.provider.models import (
    EventInfo,
    EventOdds,
    HistoricalResponse,
    ScoreEvent,
    Sport,
    parse_events_odds,
)
from tests.simulator.conftest import BOOKS, NBA, NOW, Api, odds_params

HEX32 = re.compile(r"^[0-9a-f]{32}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


async def test_sports_validate(api: Api) -> None:
    response = await api.get("/v4/sports")
    sports = TypeAdapter(list[Sport]).validate_python(response.json())
    assert "basketball_nba" in {s.key for s in sports}
    everything = await api.get("/v4/sports", all="true")
    assert len(everything.json()) > len(sports)


async def test_odds_validate_and_look_like_the_real_api(api: Api) -> None:
    body = (await api.get(f"{NBA}/odds", **odds_params())).json()
    events = parse_events_odds(body)
    assert events, "upcoming games expected"
    assert [e.commence_time for e in events] == sorted(e.commence_time for e in events)
    for raw, event in zip(body, events, strict=True):
        assert HEX32.match(event.id)
        assert ISO_Z.match(raw["commence_time"])
        for book in event.bookmakers:
            assert book.last_update is not None and book.last_update <= NOW
            keys = [m.key for m in book.markets]
            assert keys == ["h2h", "spreads", "totals"]
            h2h, spreads, totals = book.markets
            names = [o.name for o in h2h.outcomes]
            assert names == sorted([event.home_team, event.away_team])
            assert all(o.point is None and float(o.price).is_integer() for o in h2h.outcomes)
            assert all(o.price <= -100 or o.price >= 100 for o in h2h.outcomes)
            assert [o.name for o in spreads.outcomes] == names
            assert spreads.outcomes[0].point == -spreads.outcomes[1].point  # type: ignore[operator]
            assert [o.name for o in totals.outcomes] == ["Over", "Under"]
            assert totals.outcomes[0].point == totals.outcomes[1].point
            assert all(m.last_update == book.last_update for m in book.markets)


async def test_decimal_and_unix_formats_validate(api: Api) -> None:
    response = await api.get(f"{NBA}/odds", regions="us", dateFormat="unix")
    body = response.json()
    assert isinstance(body[0]["commence_time"], int)
    price = body[0]["bookmakers"][0]["markets"][0]["outcomes"][0]["price"]
    assert isinstance(price, float) and price > 1.0
    events = parse_events_odds(body)
    assert events[0].commence_time > NOW


async def test_scores_events_and_event_odds_validate(api: Api, clock: FrozenClock) -> None:
    scores = TypeAdapter(list[ScoreEvent]).validate_python(
        (await api.get(f"{NBA}/scores", daysFrom=2)).json()
    )
    assert any(s.completed for s in scores) and any(not s.completed for s in scores)
    listed = TypeAdapter(list[EventInfo]).validate_python((await api.get(f"{NBA}/events")).json())
    upcoming = [e for e in listed if e.commence_time > NOW]
    event_id = upcoming[0].id
    one = EventOdds.model_validate(
        (await api.get(f"{NBA}/events/{event_id}/odds", bookmakers=BOOKS)).json()
    )
    assert one.id == event_id and one.bookmakers
    assert all(book.last_update is None for book in one.bookmakers)  # as the live endpoint


async def test_historical_answers_validate(api: Api) -> None:
    date = (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    odds = HistoricalResponse[list[EventOdds]].model_validate(
        (await api.get("/v4/historical/sports/basketball_nba/odds", regions="us", date=date)).json()
    )
    assert odds.data and odds.timestamp <= NOW - timedelta(days=30)
    events = HistoricalResponse[list[EventInfo]].model_validate(
        (await api.get("/v4/historical/sports/basketball_nba/events", date=date)).json()
    )
    upcoming = [e for e in events.data if e.commence_time > events.timestamp]
    one = HistoricalResponse[EventOdds].model_validate(
        (
            await api.get(
                f"/v4/historical/sports/basketball_nba/events/{upcoming[0].id}/odds",
                regions="eu",
                date=date,
            )
        ).json()
    )
    assert [b.key for b in one.data.bookmakers] == ["pinnacle"]
    assert one.data.bookmakers[0].last_update is not None

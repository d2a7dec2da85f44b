"""Replay mode: recorded historical responses, the snapshot at or before ``date``."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from oddscore.clock import FrozenClock
from oddscore.provider.models import EventInfo, EventOdds, HistoricalResponse
from oddscore.simulator import ReplayArchive, create_app, simulator_of
from tests.conftest import real_data
from tests.simulator.conftest import NOW, TEST_KEY, Api

HISTORICAL = "/v4/historical/sports/basketball_nba"


def _recorded(archive: Path, kind: str, name: str) -> dict:  # type: ignore[type-arg]
    path = next(archive.glob(f"{kind}/*/{name}*"))
    with gzip.open(path) as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def archive() -> Path:
    return real_data("the_odds_api_snapshots")


@pytest.fixture
async def replay_api(archive: Path) -> AsyncIterator[Api]:
    app = create_app(api_key=TEST_KEY, clock=FrozenClock(NOW), replay_dir=archive)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        yield Api(http)


async def test_serves_the_recorded_snapshot_at_or_before_date(
    replay_api: Api, archive: Path
) -> None:
    response = await replay_api.get(
        f"{HISTORICAL}/odds",
        regions="us",
        markets="h2h,spreads,totals",
        oddsFormat="american",
        date="2023-11-01T18:00:00Z",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["timestamp"] == "2023-11-01T11:55:42Z"
    # Neighbours are the recorded snapshots around it (daily here), not the file's own.
    assert body["previous_timestamp"] == "2023-10-31T11:55:42Z"
    assert body["next_timestamp"] == "2023-11-02T11:55:43Z"
    recorded = _recorded(archive, "odds", "odds_2023-11-01")
    assert body["data"] == recorded["data"]
    assert response.headers["x-requests-last"] == "30"
    parsed = HistoricalResponse[list[EventOdds]].model_validate(body)
    assert len(parsed.data) == len(recorded["data"])


async def test_a_date_equal_to_a_snapshot_gets_that_snapshot(replay_api: Api) -> None:
    body = (
        await replay_api.get(f"{HISTORICAL}/odds", regions="us", date="2023-11-02T11:55:43Z")
    ).json()
    assert body["timestamp"] == "2023-11-02T11:55:43Z"
    just_before = (
        await replay_api.get(f"{HISTORICAL}/odds", regions="us", date="2023-11-02T11:55:42Z")
    ).json()
    assert just_before["timestamp"] == "2023-11-01T11:55:42Z"


async def test_walking_next_timestamp_visits_recorded_snapshots(replay_api: Api) -> None:
    date = "2024-06-10T00:00:00Z"
    seen = []
    for _ in range(4):
        body = (await replay_api.get(f"{HISTORICAL}/odds", regions="us", date=date)).json()
        seen.append(body["timestamp"])
        date = body["next_timestamp"]
    assert seen == sorted(set(seen)) and len(seen) == 4
    assert all(s.startswith("2024-06") for s in seen)


async def test_filters_books_markets_and_converts_formats(replay_api: Api) -> None:
    response = await replay_api.get(
        f"{HISTORICAL}/odds",
        bookmakers="draftkings,fanduel",
        markets="totals",
        date="2023-11-01T18:00:00Z",
        dateFormat="unix",
    )
    body = response.json()
    assert body["timestamp"] == int(datetime(2023, 11, 1, 11, 55, 42, tzinfo=UTC).timestamp())
    books = {b["key"] for e in body["data"] for b in e["bookmakers"]}
    assert books == {"draftkings", "fanduel"}
    markets = {m["key"] for e in body["data"] for b in e["bookmakers"] for m in b["markets"]}
    assert markets == {"totals"}
    price = body["data"][0]["bookmakers"][0]["markets"][0]["outcomes"][0]["price"]
    assert isinstance(price, float) and 1.0 < price < 3.0  # decimal is the default format
    assert isinstance(body["data"][0]["commence_time"], int)
    assert response.headers["x-requests-last"] == "10"
    HistoricalResponse[list[EventOdds]].model_validate(body)


async def test_before_the_first_snapshot_data_is_empty_and_free(replay_api: Api) -> None:
    response = await replay_api.get(f"{HISTORICAL}/odds", regions="us", date="2019-01-01T00:00:00Z")
    body = response.json()
    assert response.status_code == 200 and body["data"] == []
    assert body["previous_timestamp"] is None
    assert body["next_timestamp"] == "2022-01-22T11:55:00Z"
    assert response.headers["x-requests-last"] == "0"


async def test_historical_events_and_event_odds(replay_api: Api, archive: Path) -> None:
    events = await replay_api.get(f"{HISTORICAL}/events", date="2023-10-24T12:00:00Z")
    body = events.json()
    assert body["timestamp"] == "2023-10-24T11:55:43Z"
    assert body["data"] == _recorded(archive, "events", "events_2023-10-24")["data"]
    assert events.headers["x-requests-last"] == "1"
    HistoricalResponse[list[EventInfo]].model_validate(body)

    event_id = "fd55db2fa9ee5be1f108be5151e2ecb0"  # Lakers @ Nuggets, opening night
    one = await replay_api.get(
        f"{HISTORICAL}/events/{event_id}/odds",
        regions="us",
        markets="h2h,player_points",
        oddsFormat="american",
        date="2023-10-24T12:00:00Z",
    )
    assert one.status_code == 200
    parsed = HistoricalResponse[EventOdds].model_validate(one.json())
    assert parsed.data.home_team == "Denver Nuggets"
    assert {m.key for b in parsed.data.bookmakers for m in b.markets} == {"h2h"}
    assert one.headers["x-requests-last"] == "10"
    missing = await replay_api.get(
        f"{HISTORICAL}/events/{'a' * 32}/odds", regions="us", date="2023-10-24T12:00:00Z"
    )
    assert missing.status_code == 404 and missing.json()["error_code"] == "EVENT_NOT_FOUND"


async def test_live_endpoints_keep_serving_the_synthetic_market(replay_api: Api) -> None:
    response = await replay_api.get("/v4/sports/basketball_nba/odds", regions="us")
    assert response.status_code == 200 and response.json()
    assert all(e["commence_time"] > "2026-11-29" for e in response.json())


def test_index_is_lazy_and_reads_timestamps_not_names(archive: Path) -> None:
    replay = ReplayArchive(archive)
    app = create_app(api_key=TEST_KEY, replay_dir=archive)
    assert simulator_of(app).replay is not None
    assert replay._indexes == {}  # type: ignore[attr-defined]  # nothing read yet
    times, paths = replay.index("odds")
    assert times == sorted(times) and len(times) == len(paths) > 500
    # One file is named after a later day than the snapshot it holds.
    named = {p.name: t for t, p in zip(times, paths, strict=True)}
    assert named["odds_2022-02-21_full_game_first_half.json.gz"].date().isoformat() == "2022-02-18"


def test_plain_json_files_and_a_hand_made_archive(tmp_path: Path) -> None:
    season = tmp_path / "odds" / "2030-2031"
    season.mkdir(parents=True)
    for stamp in ("2030-11-01T12:00:05Z", "2030-11-01T12:05:04Z"):
        body = {"data": [], "timestamp": stamp}  # timestamp not first: slow path
        (season / f"odds_{stamp[:16].replace(':', '')}.json").write_text(json.dumps(body))
    replay = ReplayArchive(tmp_path)
    found = replay.snapshot_at("odds", datetime(2030, 11, 1, 12, 5, 3, tzinfo=UTC))
    assert found is not None
    assert found.timestamp == datetime(2030, 11, 1, 12, 0, 5, tzinfo=UTC)
    assert found.previous_timestamp is None
    assert found.next_timestamp == datetime(2030, 11, 1, 12, 5, 4, tzinfo=UTC)
    assert replay.snapshot_at("events", datetime(2031, 1, 1, tzinfo=UTC)) is None

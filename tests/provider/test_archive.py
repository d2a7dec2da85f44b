"""The client parses every file of the real historical archive (odds and events, all seasons).

Each file is served, as recorded, through httpx.MockTransport to the historical endpoint it
came from; the client must parse it without losing an event or an outcome.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from oddscore.clock import parse_timestamp
from oddscore.provider.models import EventInfo, EventOdds
from tests.conftest import real_data
from tests.provider.conftest import ClientFactory, quota_headers

# Daily files per season, as counted in shared/data/real_nba_odds/SOURCES.md.
ODDS_FILES = {"2021-2022": 143, "2022-2023": 148, "2023-2024": 238}
EVENTS_FILES = {"2021-2022": 241, "2022-2023": 238, "2023-2024": 238}


def _outcomes(raw_events: list[dict[str, Any]]) -> int:
    return sum(
        len(market["outcomes"])
        for event in raw_events
        for book in event["bookmakers"]
        for market in book["markets"]
    )


class Archive:
    """Serves whichever recorded file the test selected last."""

    def __init__(self) -> None:
        self.body = b""

    def __call__(self, _request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=self.body, headers=quota_headers(30))


def _noon_of(path: Path) -> datetime:
    # odds_2023-10-24_featured.json.gz -> 2023-10-24T12:00Z, the time a backfill would ask for
    day = path.name.split("_")[1].removesuffix(".json.gz")
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


def _files(kind: str) -> dict[str, list[Path]]:
    root = real_data("the_odds_api_snapshots", kind)
    return {season.name: sorted(season.glob("*.json.gz")) for season in sorted(root.iterdir())}


async def test_every_archived_odds_snapshot_parses(make_client: ClientFactory) -> None:
    files = _files("odds")
    assert {season: len(paths) for season, paths in files.items()} == ODDS_FILES
    archive = Archive()
    client, _ = make_client(archive, requests_per_second=30)
    events = outcomes = 0
    async with client:
        for paths in files.values():
            for path in paths:
                archive.body = gzip.decompress(path.read_bytes())
                response = await client.historical_odds(
                    "basketball_nba",
                    date=_noon_of(path),
                    markets=["h2h", "spreads", "totals"],
                    bookmakers=["draftkings", "fanduel"],
                )
                raw = response.raw  # decoded once, by the client, from the recorded bytes
                envelope = response.data
                assert envelope.timestamp == parse_timestamp(raw["timestamp"]), path.name
                assert len(envelope.data) == len(raw["data"]), path.name
                assert all(isinstance(event, EventOdds) for event in envelope.data)
                parsed = sum(
                    len(m.outcomes) for e in envelope.data for b in e.bookmakers for m in b.markets
                )
                assert parsed == _outcomes(raw["data"]), path.name
                if "next_timestamp" in raw:
                    assert envelope.next_timestamp == parse_timestamp(raw["next_timestamp"])
                else:  # the 2021-22 files have no neighbours
                    assert envelope.previous_timestamp is None and envelope.next_timestamp is None
                events += len(envelope.data)
                outcomes += parsed
    # SOURCES.md: 76,924 + 84,976 + 125,150 outcome rows
    assert outcomes == 76_924 + 84_976 + 125_150
    assert events > 0


async def test_every_archived_events_snapshot_parses(make_client: ClientFactory) -> None:
    files = _files("events")
    assert {season: len(paths) for season, paths in files.items()} == EVENTS_FILES
    archive = Archive()
    client, _ = make_client(archive, requests_per_second=30)
    ids: dict[str, set[str]] = {}
    async with client:
        for season, paths in files.items():
            for path in paths:
                archive.body = gzip.decompress(path.read_bytes())
                response = await client.historical_events("basketball_nba", date=_noon_of(path))
                raw = response.raw
                assert len(response.data.data) == len(raw["data"]), path.name
                assert all(isinstance(e, EventInfo) for e in response.data.data)
                assert all(e.commence_time.tzinfo is not None for e in response.data.data)
                ids.setdefault(season, set()).update(e.id for e in response.data.data)
    # SOURCES.md: 1,331 / 1,322 / 1,355 unique event ids
    assert {season: len(found) for season, found in ids.items()} == {
        "2021-2022": 1331,
        "2022-2023": 1322,
        "2023-2024": 1355,
    }

"""Backfill fixtures: the real 2023-24 events archive, read once per session."""

from __future__ import annotations

import gzip
import json

import pytest

from oddscore.provider.models import EventInfo
from tests.conftest import real_data


@pytest.fixture(scope="session")
def archive_events() -> list[EventInfo]:
    """Every event of every daily 2023-24 events snapshot, oldest snapshot first."""
    folder = real_data("the_odds_api_snapshots", "events", "2023-2024")
    events: list[EventInfo] = []
    for path in sorted(folder.glob("events_*.json.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            payload = json.load(handle)
        events.extend(EventInfo.model_validate(item) for item in payload["data"])
    return events

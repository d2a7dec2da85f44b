"""Record the simulator's own historical answers into a folder the replay can serve.

The real archive is NBA only; other sports' replays are tested on files recorded here,
laid out as ``odds/<season>/odds_<timestamp>.json.gz`` and ``events/...`` like the real one.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.simulator.conftest import Api


def _write(folder: Path, kind: str, body: dict[str, Any]) -> Path:
    stamp = str(body["timestamp"]).replace(":", "-")
    path = folder / kind / "recorded" / f"{kind}_{stamp}.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        json.dump(body, handle)
    return path


async def record_history(
    api: Api,
    sport: str,
    moments: Iterable[datetime],
    folder: Path,
    *,
    markets: str = "h2h,spreads,totals",
    bookmakers: str = "pinnacle,draftkings,fanduel",
    odds_format: str = "american",
) -> list[dict[str, Any]]:
    """The historical /odds and /events answers at each moment, written under ``folder``."""
    recorded: list[dict[str, Any]] = []
    for moment in moments:
        date = moment.isoformat()
        odds = await api.get(
            f"/v4/historical/sports/{sport}/odds",
            markets=markets,
            bookmakers=bookmakers,
            oddsFormat=odds_format,
            date=date,
        )
        events = await api.get(f"/v4/historical/sports/{sport}/events", date=date)
        assert odds.status_code == 200 and events.status_code == 200, odds.text
        _write(folder, "odds", odds.json())
        _write(folder, "events", events.json())
        recorded.append(odds.json())
    return recorded

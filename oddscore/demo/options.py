"""What the demo simulates: where, when, how long, which seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["DEFAULT_START", "DEMO_SPORTS", "DemoOptions", "default_start"]

# A fixed Monday noon (UTC) in mid-season: the same seed and start give the same report on
# every machine, and mid-month keeps the quota month out of the picture.
DEFAULT_START = datetime(2025, 1, 13, 12, 0, tzinfo=UTC)
# The sports the simulator has games for. Soccer starts on a Friday noon, so that the
# default four days hold a full weekend round (a Monday start would see one or two games).
DEMO_SPORTS: dict[str, datetime] = {
    "basketball_nba": DEFAULT_START,
    "soccer_epl": datetime(2025, 1, 17, 12, 0, tzinfo=UTC),
    "baseball_mlb": DEFAULT_START,
}


def default_start(sport: str) -> datetime:
    """Where the demo of ``sport`` starts unless told otherwise."""
    return DEMO_SPORTS.get(sport, DEFAULT_START)


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The demo's knobs; the defaults are what ``odds demo`` runs."""

    output: Path = Path("odds-demo")
    days: int = 4
    seed: int = 7
    start: datetime = DEFAULT_START
    plots: bool = True
    ml: bool = False
    sport: str = "basketball_nba"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def database_path(self) -> Path:
        return self.output / "demo.db"

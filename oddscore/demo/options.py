"""What the demo simulates: where, when, how long, which seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

__all__ = ["DEFAULT_START", "DemoOptions"]

# A fixed Monday noon (UTC) in mid-season: the same seed and start give the same report on
# every machine, and mid-month keeps the quota month out of the picture.
DEFAULT_START = datetime(2025, 1, 13, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The demo's knobs; the defaults are what ``odds demo`` runs."""

    output: Path = Path("odds-demo")
    days: int = 4
    seed: int = 7
    start: datetime = DEFAULT_START
    plots: bool = True
    ml: bool = False

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def database_path(self) -> Path:
        return self.output / "demo.db"

"""The state one simulated API instance serves from, and what every endpoint returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from oddscore.clock import Clock
from oddscore.simulator.catalog import NBA_SPORT_KEY, SPORTS
from oddscore.simulator.errors import ApiError
from oddscore.simulator.market import SyntheticMarket
from oddscore.simulator.quota import FrequencyLimiter, QuotaLedger
from oddscore.simulator.replay import ReplayArchive

__all__ = ["Answer", "Query", "Simulator", "check_sport"]

Query = Mapping[str, str]
_SPORT_KEYS = frozenset(sport.key for sport in SPORTS)


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the JSON body and the credits it costs."""

    body: Any
    cost: int = 0


@dataclass(slots=True)
class Simulator:
    """Everything an endpoint needs: the market, the optional archive, the account, time."""

    api_key: str
    market: SyntheticMarket
    clock: Clock
    ledger: QuotaLedger
    limiter: FrequencyLimiter | None
    replay: ReplayArchive | None = None
    historical_enabled: bool = True


def check_sport(sport: str, *, allow_upcoming: bool = False) -> bool:
    """Validate a sport key; True when the synthetic market (NBA) is behind it.

    Other known sports are valid but have no games, so they answer with empty lists.
    """
    if allow_upcoming and sport == "upcoming":
        return True
    if not sport or not all(c.isalnum() or c == "_" for c in sport) or sport != sport.lower():
        raise ApiError("INVALID_SPORT", f"Invalid sport: {sport}")
    if sport not in _SPORT_KEYS:
        raise ApiError("UNKNOWN_SPORT")
    return sport == NBA_SPORT_KEY

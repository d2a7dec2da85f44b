"""The state one simulated API instance serves from, and what every endpoint returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oddscore.clock import Clock
from oddscore.simulator.baseball import BaseballMarket
from oddscore.simulator.catalog import SPORTS
from oddscore.simulator.errors import ApiError
from oddscore.simulator.market import SyntheticMarket
from oddscore.simulator.quota import FrequencyLimiter, QuotaLedger
from oddscore.simulator.replay import ReplayArchive
from oddscore.simulator.soccer import SoccerMarket

__all__ = ["Answer", "Query", "Simulator", "check_sport", "markets_of", "sport_markets"]

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
    # The other sports with games, by key, on the NBA market's seed and books (made on
    # first use: most simulators only ever serve the NBA).
    others: dict[str, SyntheticMarket] = field(default_factory=dict)

    def market_for(self, sport: str) -> SyntheticMarket | None:
        """The synthetic market of a valid sport key; None for a sport without games."""
        if sport == self.market.sport_key:
            return self.market
        if not self.others:
            self.others = sport_markets(self.market)
        return self.others.get(sport)

    def all_markets(self) -> list[SyntheticMarket]:
        """Every sport's market, the NBA's first (``sport=upcoming``)."""
        if not self.others:
            self.others = sport_markets(self.market)
        return [self.market, *self.others.values()]


def sport_markets(nba: SyntheticMarket) -> dict[str, SyntheticMarket]:
    """The soccer and baseball markets on the NBA market's seed and books."""
    others = (SoccerMarket(nba.seed, nba.books), BaseballMarket(nba.seed, nba.books))
    return {market.sport_key: market for market in others}


def check_sport(sport: str, *, allow_upcoming: bool = False) -> None:
    """Refuse a malformed or unknown sport key (``upcoming`` too unless allowed).

    Known sports without a market are valid but have no games: they answer empty lists.
    """
    if allow_upcoming and sport == "upcoming":
        return
    if not sport or not all(c.isalnum() or c == "_" for c in sport) or sport != sport.lower():
        raise ApiError("INVALID_SPORT", f"Invalid sport: {sport}")
    if sport not in _SPORT_KEYS:
        raise ApiError("UNKNOWN_SPORT")


def markets_of(
    sim: Simulator, sport: str, *, allow_upcoming: bool = False
) -> list[SyntheticMarket]:
    """The markets behind a (validated) sport key: one, none, or all of them for upcoming."""
    check_sport(sport, allow_upcoming=allow_upcoming)
    if sport == "upcoming":
        return sim.all_markets()
    market = sim.market_for(sport)
    return [] if market is None else [market]

"""Which games to backfill: a sample spread evenly over the dates, with every team represented.

Pure functions over events already known (from the historical events endpoint or the
``events`` table). The pool is split, in tip-off order, into as many consecutive strata as
games wanted and one game is taken from each stratum: that alone spreads the sample over the
date range like the schedule itself. Inside a stratum the choice leans towards the teams
furthest behind their fair share, so every team ends up represented in proportion to how
often it plays in the range.

Strategies differ only in how a stratum's game is chosen:

- ``uniform``: deterministic; the neediest game, ties to the one nearest the stratum's middle.
- ``random``: a seeded draw, weighted towards the teams that are behind.
- ``weighted``: like ``random``, scaled by a weight per game: by default a matchup not yet
  in the sample counts triple (more distinct pairings). Callers may pass their own weights
  (e.g. to favour marquee games); those then replace the team-balance lean, since they
  state a different preference.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from oddscore.clock import as_utc

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "Game",
    "GameLike",
    "SelectionStrategy",
    "collect_games",
    "select_games",
    "slate_date",
    "target_count",
    "team_counts",
]

# "About every 5th game" (the spec's ~20 % sample).
DEFAULT_SAMPLE_RATE = 0.2
# North American evening tips fall after midnight UTC; shifting by 6 h puts a game on the
# local date it is played (the date results files such as the Kaggle CSV use).
SLATE_OFFSET = timedelta(hours=6)
# How hard a random draw leans towards the teams behind their share (weight e^(pull*need)).
BALANCE_PULL = 3.0
# Weighted strategy: a pairing not yet selected is this many times as likely.
NEW_MATCHUP_WEIGHT = 3.0


class SelectionStrategy(StrEnum):
    UNIFORM = "uniform"
    RANDOM = "random"
    WEIGHTED = "weighted"


class GameLike(Protocol):
    """Anything shaped like an event: provider ``EventInfo`` or a stored ``Event`` row."""

    @property
    def id(self) -> str: ...
    @property
    def sport_key(self) -> str: ...
    @property
    def commence_time(self) -> datetime: ...
    @property
    def home_team(self) -> str: ...
    @property
    def away_team(self) -> str: ...


class Game(BaseModel):
    """One candidate game, as the plan records it."""

    model_config = ConfigDict(frozen=True)

    id: str
    sport_key: str
    commence_time: datetime
    home_team: str
    away_team: str

    @property
    def teams(self) -> tuple[str, str]:
        return (self.home_team, self.away_team)

    @property
    def slate(self) -> date:
        return slate_date(self.commence_time)

    @classmethod
    def of(cls, event: GameLike) -> Game:
        return cls(
            id=event.id,
            sport_key=event.sport_key,
            commence_time=as_utc(event.commence_time),
            home_team=event.home_team,
            away_team=event.away_team,
        )


def slate_date(commence_time: datetime) -> date:
    """The local date a game is played on (``2023-12-02T00:30Z`` -> ``2023-12-01``)."""
    return (as_utc(commence_time) - SLATE_OFFSET).date()


def collect_games(
    events: Iterable[GameLike],
    *,
    start: date | None = None,
    end: date | None = None,
) -> list[Game]:
    """De-duplicated games whose slate date lies in ``[start, end]``, in tip-off order.

    ``events`` must come in the order they were observed (oldest snapshot first): a later
    sighting of an id wins, because the provider corrects start times as a game nears. The
    same matchup on the same date under two ids (the 2023-24 in-season-tournament quirk: a
    placeholder id first, the real one later) keeps the id seen last.
    """
    by_id: dict[str, Game] = {}
    for event in events:
        game = Game.of(event)
        by_id.pop(game.id, None)  # re-insert so dict order is "last seen"
        by_id[game.id] = game
    by_matchup: dict[tuple[str, str, str, date], Game] = {}
    for game in by_id.values():
        by_matchup[(game.sport_key, game.home_team, game.away_team, game.slate)] = game
    games = [
        game
        for game in by_matchup.values()
        if (start is None or game.slate >= start) and (end is None or game.slate <= end)
    ]
    return sorted(games, key=lambda g: (g.commence_time, g.id))


def target_count(
    pool_size: int, *, count: int | None = None, sample_rate: float | None = None
) -> int:
    """How many games to take: ``count`` if given, else ``sample_rate`` of the pool (>= 1)."""
    if count is not None and sample_rate is not None:
        raise ValueError("give a game count or a sample rate, not both")
    if count is not None:
        if count < 0:
            raise ValueError("the game count cannot be negative")
        return min(count, pool_size)
    rate = DEFAULT_SAMPLE_RATE if sample_rate is None else sample_rate
    if not 0.0 < rate <= 1.0:
        raise ValueError("the sample rate must lie in (0, 1]")
    if pool_size == 0:
        return 0
    return max(1, min(pool_size, round(pool_size * rate)))


def team_counts(games: Iterable[Game]) -> Counter[str]:
    """Appearances per team (each game counts for both teams)."""
    counts: Counter[str] = Counter()
    for game in games:
        counts.update(game.teams)
    return counts


def select_games(
    pool: Sequence[Game],
    *,
    strategy: SelectionStrategy | str = SelectionStrategy.UNIFORM,
    count: int | None = None,
    sample_rate: float | None = None,
    seed: int = 0,
    weights: Mapping[str, float] | None = None,
) -> list[Game]:
    """Pick games from ``pool`` (see the module docstring); the result is in tip-off order.

    The same pool, strategy, size and seed always give the same games.
    """
    strategy = SelectionStrategy(strategy)
    games = sorted(pool, key=lambda g: (g.commence_time, g.id))
    size = len(games)
    wanted = target_count(size, count=count, sample_rate=sample_rate)
    if wanted >= size:
        return games
    if wanted == 0:
        return []
    share = {team: n / (2 * size) for team, n in team_counts(games).items()}
    picked_teams: Counter[str] = Counter()
    picked_pairs: set[frozenset[str]] = set()
    rng = random.Random(seed)
    chosen: list[Game] = []
    for k in range(wanted):
        lo, hi = (k * size) // wanted, ((k + 1) * size) // wanted
        stratum = games[lo:hi]
        expected = 2 * (k + 1)  # appearances after this pick

        def need(game: Game, expected: int = expected) -> float:
            return sum(share[t] * expected - picked_teams[t] for t in game.teams)

        if strategy is SelectionStrategy.UNIFORM:
            middle = (len(stratum) - 1) / 2
            best = min(
                range(len(stratum)),
                key=lambda i: (-round(need(stratum[i]), 9), abs(i - middle), stratum[i].id),
            )
            pick = stratum[best]
        else:
            if strategy is SelectionStrategy.WEIGHTED and weights is not None:
                draw_weights = [max(weights.get(game.id, 1.0), 0.0) for game in stratum]
            else:
                draw_weights = [math.exp(BALANCE_PULL * need(game)) for game in stratum]
            if strategy is SelectionStrategy.WEIGHTED:
                draw_weights = [
                    w * (1.0 if frozenset(game.teams) in picked_pairs else NEW_MATCHUP_WEIGHT)
                    for w, game in zip(draw_weights, stratum, strict=True)
                ]
            if not any(w > 0 for w in draw_weights):
                draw_weights = [1.0] * len(stratum)
            pick = rng.choices(stratum, weights=draw_weights, k=1)[0]
        chosen.append(pick)
        picked_teams.update(pick.teams)
        picked_pairs.add(frozenset(pick.teams))
    return chosen

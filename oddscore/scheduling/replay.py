"""Replay a real schedule through a collection strategy with a simulated clock.

The events archive holds daily ``/events`` listings. A game is *visible* (the provider would
list it) from the first listing that shows it until tip-off; a game that vanishes while still
upcoming (a placeholder id, a postponement) is visible until the next listing and is not
scored. Every paid fetch captures every visible upcoming game, exactly as one ``/odds`` call
does, and costs ``policy.odds_fetch_cost`` credits unless nothing is listed.

Coverage per scored game: a capture in every tier it was visible in for at least
``min_exposure`` (a tier seen for five minutes cannot be asked of anyone), and a closing
capture within ``closing_window`` of tip.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from oddscore.clock import parse_timestamp
from oddscore.exceptions import ConfigurationError, UnreadableFileError
from oddscore.reading import read_bounded
from oddscore.scheduling.planner import Action, GameState, decide_odds, next_slot
from oddscore.scheduling.policy import PlannerKind, SchedulePolicy
from oddscore.scheduling.quota import QuotaState, month_start
from oddscore.scheduling.tiers import hours_until, spec_for, tier_for, tiers_for

__all__ = [
    "STRATEGIES",
    "ReplayGame",
    "StrategyResult",
    "cadence_planner",
    "covering_planner",
    "fixed_interval",
    "load_schedule",
    "nearest_game",
    "replay_all",
]


@dataclass(frozen=True, slots=True)
class ReplayGame:
    event_id: str
    commence_time: datetime
    visible_from: datetime
    visible_until: datetime  # exclusive: tip-off, or the listing where it vanished
    scored: bool  # it really tipped; vanished placeholders are not scored
    sport: str | None = None  # whose tier table applies (None: the standard tiers)


@dataclass
class StrategyResult:
    name: str
    requests: int = 0  # paid /odds calls made (including ones that found nothing)
    credits: int = 0
    runs: int = 0  # scheduled runs, paid or not (discovery checks included)
    max_month_credits: int = 0
    games: int = 0
    full_tier_coverage: int = 0
    closing_coverage: int = 0
    fetch_times: list[datetime] = field(default_factory=list, repr=False)

    @property
    def tier_share(self) -> float:
        return round(self.full_tier_coverage / self.games, 4) if self.games else 0.0

    @property
    def closing_share(self) -> float:
        return round(self.closing_coverage / self.games, 4) if self.games else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "strategy": self.name,
            "requests": self.requests,
            "credits": self.credits,
            "runs": self.runs,
            "max_month_credits": self.max_month_credits,
            "games": self.games,
            "tier_coverage": self.tier_share,
            "closing_coverage": self.closing_share,
        }


def _listings(path: Path) -> Iterator[tuple[datetime, list[dict[str, object]]]]:
    if not path.exists():
        raise ConfigurationError(f"no such events file or directory: {path}")
    files = [path] if path.is_file() else sorted(path.rglob("*.json*"))
    if not files:
        raise ConfigurationError(f"no events files (*.json, *.json.gz) under {path}")
    for file in files:
        try:
            body = json.loads(read_bounded(file, gunzip=True))
        except (ValueError, OSError, UnreadableFileError) as exc:  # not JSON, UTF-8, gzip
            raise ConfigurationError(f"{file} is not a JSON events file: {exc}") from exc
        if not (isinstance(body, dict) and "data" in body and isinstance(body["data"], list)):
            raise ConfigurationError(f"{file} is not a historical /events response")
        try:
            stamp = parse_timestamp(body.get("timestamp"))  # type: ignore[arg-type]
        except ValueError as exc:
            raise ConfigurationError(f"{file}: bad timestamp ({exc})") from exc
        yield stamp, list(body["data"])


def load_schedule(path: Path) -> list[ReplayGame]:
    """Games with their visibility windows, from one events file or a directory of them."""
    listings = sorted(_listings(path), key=lambda item: item[0])
    times = [ts for ts, _ in listings]
    first: dict[str, datetime] = {}
    last_index: dict[str, int] = {}
    tip: dict[str, datetime] = {}
    sport: dict[str, str | None] = {}
    for index, (ts, events) in enumerate(listings):
        for event in events:
            event_id = str(event["id"])
            first.setdefault(event_id, ts)
            last_index[event_id] = index
            tip[event_id] = parse_timestamp(str(event["commence_time"]))
            key = event.get("sport_key")
            sport[event_id] = key if isinstance(key, str) else None
    games = []
    for event_id, seen in first.items():
        index = last_index[event_id]
        following = times[index + 1] if index + 1 < len(times) else None
        vanished = following is not None and tip[event_id] > following
        until = following if vanished and following is not None else tip[event_id]
        if until > seen:
            games.append(
                ReplayGame(event_id, tip[event_id], seen, until, not vanished, sport[event_id])
            )
    return sorted(games, key=lambda g: (g.commence_time, g.event_id))


class _Visible:
    """The games listed at a moment, maintained incrementally as the clock moves forward."""

    def __init__(self, games: list[ReplayGame]) -> None:
        self._pending = sorted(games, key=lambda g: g.visible_from)
        self._next = 0
        self.active: dict[str, ReplayGame] = {}
        self._played: list[ReplayGame] = []

    def at(self, now: datetime) -> list[ReplayGame]:
        while self._next < len(self._pending) and self._pending[self._next].visible_from <= now:
            game = self._pending[self._next]
            self.active[game.event_id] = game
            self._next += 1
        for event_id in [k for k, g in self.active.items() if g.visible_until <= now]:
            game = self.active.pop(event_id)
            if game.scored:
                self._played.append(game)
        return list(self.active.values())

    def recent(self, now: datetime, within: timedelta) -> list[ReplayGame]:
        """Games that tipped within ``within`` before ``now`` (the season is on)."""
        self._played = [g for g in self._played if g.commence_time > now - within]
        return list(self._played)

    def next_appearance(self) -> datetime | None:
        if self._next < len(self._pending):
            return self._pending[self._next].visible_from
        return None


class _Ledger:
    def __init__(self, name: str, cost: int) -> None:
        self.result = StrategyResult(name)
        self.cost = cost
        self.month_credits: dict[datetime, int] = {}

    def fetch(self, now: datetime, listed: int) -> None:
        self.result.requests += 1
        self.result.fetch_times.append(now)
        if listed:
            self.result.credits += self.cost
            key = month_start(now)
            self.month_credits[key] = self.month_credits.get(key, 0) + self.cost

    def quota(self, now: datetime, total: int | None) -> QuotaState:
        if total is None:
            return QuotaState()
        used = self.month_credits.get(month_start(now), 0)
        return QuotaState(remaining=max(total - used, 0), used=used)


def _states(
    listed: list[ReplayGame], played: list[ReplayGame], last: dict[str, datetime]
) -> list[GameState]:
    states = [
        GameState(
            g.event_id,
            g.commence_time,
            last.get(g.event_id),
            listed_at=g.visible_from,
            sport=g.sport,
        )
        for g in listed
    ]
    return states + [
        GameState(g.event_id, g.commence_time, None, "final", sport=g.sport) for g in played
    ]


Strategy = Callable[[list[ReplayGame], datetime, datetime, SchedulePolicy, int | None], _Ledger]


def covering_planner(
    games: list[ReplayGame],
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    quota: int | None = None,
) -> _Ledger:
    """The covering planner (the default intelligence)."""
    covering = replace(policy, planner=PlannerKind.COVERING)
    return _planned("covering", games, start, end, covering, quota)


def cadence_planner(
    games: list[ReplayGame],
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    quota: int | None = None,
) -> _Ledger:
    """The original per-game tier cadence planner."""
    cadence = replace(policy, planner=PlannerKind.CADENCE)
    return _planned("cadence", games, start, end, cadence, quota)


def _planned(
    name: str,
    games: list[ReplayGame],
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    quota: int | None,
) -> _Ledger:
    """A planner: every run checks /events (free), fetches if a need is due, re-plans."""
    ledger = _Ledger(name, policy.odds_fetch_cost)
    visible = _Visible(games)
    last: dict[str, datetime] = {}
    now = start
    while now < end:
        ledger.result.runs += 1
        listed = visible.at(now)
        played = visible.recent(now, policy.season_gap)
        decision = decide_odds(_states(listed, played, last), now, policy, ledger.quota(now, quota))
        if decision.action is Action.FETCH_ODDS and decision.is_due(now, policy.due_tolerance):
            ledger.fetch(now, len(listed))
            for game in listed:
                if game.commence_time > now:
                    last[game.event_id] = now
            states = _states(listed, played, last)
            decision = decide_odds(states, now, policy, ledger.quota(now, quota))
        now = next_slot(decision.at, now, policy)
    return ledger


def fixed_interval(
    games: list[ReplayGame],
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    quota: int | None = None,
    *,
    every: timedelta = timedelta(minutes=30),
) -> _Ledger:
    """Poll /odds on a fixed clock, whatever the schedule (empty answers are free)."""
    del quota
    ledger = _Ledger(f"fixed {int(every.total_seconds() // 60)} min", policy.odds_fetch_cost)
    visible = _Visible(games)
    now = start
    while now < end:
        ledger.result.runs += 1
        listed = [g for g in visible.at(now) if g.commence_time > now]
        ledger.fetch(now, len(listed))
        now += every
    return ledger


def nearest_game(
    games: list[ReplayGame],
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    quota: int | None = None,
) -> _Ledger:
    """The original spec's cadence: fetch, then wait the tier interval of the nearest game."""
    del quota
    ledger = _Ledger("nearest game", policy.odds_fetch_cost)
    visible = _Visible(games)
    now = start
    while now < end:
        ledger.result.runs += 1
        listed = [g for g in visible.at(now) if g.commence_time > now]
        if not listed:  # the same free discovery rule as the planner, to be fair
            recent = visible.recent(now, policy.season_gap)
            now += policy.discovery_interval if recent else policy.offseason_check
            continue
        ledger.fetch(now, len(listed))
        nearest = min(listed, key=lambda g: g.commence_time)
        tiers = tiers_for(nearest.sport)
        tier = tier_for(hours_until(nearest.commence_time, now), tiers)
        now += spec_for(tier, tiers).interval if tier is not None else policy.offseason_check
    return ledger


STRATEGIES: dict[str, Strategy] = {
    "covering": covering_planner,
    "cadence": cadence_planner,
    "fixed 30 min": fixed_interval,
    "nearest game": nearest_game,
}


def _score(
    ledger: _Ledger,
    games: Iterable[ReplayGame],
    policy: SchedulePolicy,
    min_exposure: timedelta,
    start: datetime,
) -> StrategyResult:
    result = ledger.result
    times = sorted(result.fetch_times)

    def captured(lo: datetime, hi: datetime) -> bool:
        """Any fetch in (lo, hi]? (a tier holds start < t <= end)"""
        i = bisect.bisect_right(times, lo)
        return i < len(times) and times[i] <= hi

    for game in games:
        if not game.scored:
            continue
        result.games += 1
        tip = game.commence_time
        full = True
        for spec in tiers_for(game.sport):
            lo = tip - timedelta(hours=spec.max_hours) if spec.max_hours is not None else None
            hi = tip - timedelta(hours=spec.min_hours)
            # nobody can be asked for a tier the game passed before the replay started
            seen_from = max(game.visible_from, start)
            lo = seen_from if lo is None else max(lo, seen_from)
            hi = min(hi, tip - timedelta(seconds=1))
            if hi - lo < min_exposure:
                continue
            if not captured(lo - timedelta(microseconds=1), hi):
                full = False
                break
        result.full_tier_coverage += full
        closing_from = tip - policy.closing_window
        result.closing_coverage += captured(
            closing_from - timedelta(microseconds=1), tip - timedelta(seconds=1)
        )
    result.max_month_credits = max(ledger.month_credits.values(), default=0)
    return result


def replay_all(
    games: list[ReplayGame],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    policy: SchedulePolicy | None = None,
    quota: int | None = None,
    min_exposure: timedelta = timedelta(minutes=30),
    strategies: Iterable[str] | None = None,
) -> list[StrategyResult]:
    """Replay both planners, fixed 30-minute polling and the nearest-game cadence (or the
    ``strategies`` named, from :data:`STRATEGIES`), in that order."""
    policy = policy or SchedulePolicy()
    if not games:
        raise ConfigurationError("the schedule holds no games")
    start = start or min(g.visible_from for g in games)
    end = end or max(g.commence_time for g in games) + timedelta(hours=1)
    window = [g for g in games if g.visible_until > start and g.visible_from < end]
    scored = [g for g in window if start <= g.commence_time < end]
    names = list(STRATEGIES) if strategies is None else list(strategies)
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise ConfigurationError(
            f"unknown replay strategy {', '.join(unknown)}; known: {', '.join(STRATEGIES)}"
        )
    results = []
    for strategy in (STRATEGIES[n] for n in names):
        ledger = strategy(window, start, end, policy, quota)
        results.append(_score(ledger, scored, policy, min_exposure, start))
    return results

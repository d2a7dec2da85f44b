"""The next-run decision for odds collection, from every upcoming game at once.

Two planners share this entry point (``policy.planner``): the covering planner
(``covering.py``, the default), which places calls to cover every game's tier windows
together, and the original cadence planner described below, kept as a named policy.

One ``/odds`` call returns every upcoming game and is billed per call, not per game, so the
question is never "when does the nearest game need odds" but "what is the earliest moment at
which *any* game needs its next snapshot". Each game's next need follows from when it was last
captured:

* never captured (just discovered) -> now: its first line is the opening line;
* cadence: the earliest ``t`` with ``t - last >= interval(tier at t)`` (intervals shrink as tip
  approaches, so a game that enters a nearer tier with a long gap is due right at the entry);
* tier entry: a game entering a tier with no capture there yet is due before that tier ends
  (only binds when quota pacing stretches intervals beyond a tier's width);
* closing: ``closing_lead`` before tip, unless it was already captured within
  ``closing_window`` of tip; one such capture per distinct tip time.

The call made for the earliest need captures every game, which pushes all other needs back:
that is what makes the plan cheap (greedy earliest-deadline stabbing). Live games need
nothing; when no game is upcoming the run is a free ``/events`` discovery check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from oddscore.clock import as_utc
from oddscore.scheduling.covering import game_windows
from oddscore.scheduling.policy import PlannerKind, SchedulePolicy
from oddscore.scheduling.quota import (
    QuotaMode,
    QuotaPlan,
    QuotaState,
    closing_reserve,
    plan_quota,
)
from oddscore.scheduling.tiers import FetchTier, TierSpec, hours_until, tier_for, tiers_for

__all__ = [
    "Action",
    "Decision",
    "GameNeed",
    "GameState",
    "Need",
    "ceil_minute",
    "decide_odds",
    "game_need",
    "next_slot",
    "retry_after_failure",
]

_EPSILON = timedelta(minutes=1)  # a tier starts just after its boundary (upper bound exclusive)
_UPCOMING = {"scheduled"}


class Action(StrEnum):
    FETCH_ODDS = "fetch_odds"  # a paid /odds call (after a free /events check)
    DISCOVER = "discover"  # only the free /events check
    FETCH_SCORES = "fetch_scores"
    UPDATE_STATUS = "update_status"


class Need(StrEnum):
    FIRST = "first"
    CADENCE = "cadence"
    TIER_ENTRY = "tier_entry"
    TIER = "tier"  # covering: the last safe moment to capture the game in a tier
    CLOSING = "closing"
    ENTERS_LOOKAHEAD = "enters_lookahead"
    RESULT = "result"  # scores: the game should be over
    TIP = "tip"  # status: the game starts


@dataclass(frozen=True, slots=True)
class GameState:
    """What the planner knows about one game: tip time, status, the last capture and when it
    was first listed (None: just now)."""

    event_id: str
    commence_time: datetime
    last_captured: datetime | None = None
    status: str = "scheduled"
    listed_at: datetime | None = None
    sport: str | None = None  # whose tier table applies (None: the standard tiers)

    @property
    def tiers(self) -> tuple[TierSpec, ...]:
        return tiers_for(self.sport)

    def is_upcoming(self, now: datetime) -> bool:
        return self.status in _UPCOMING and self.commence_time > now


@dataclass(frozen=True, slots=True)
class GameNeed:
    event_id: str
    commence_time: datetime
    due: datetime
    need: Need
    tier: FetchTier | None  # the tier a capture at ``due`` is labelled with


@dataclass(frozen=True, slots=True)
class Decision:
    """When the next run should happen, what it does, why, and what it should cost."""

    at: datetime
    action: Action
    reason: str
    games: tuple[GameNeed, ...] = ()
    estimated_credits: int = 0
    mode: QuotaMode = QuotaMode.NORMAL
    stretch: float = 1.0
    upcoming_games: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def is_due(self, now: datetime, tolerance: timedelta = timedelta(0)) -> bool:
        return self.at <= now + tolerance

    def summary(self) -> dict[str, object]:
        """A flat, JSON-friendly view for logs and artifacts."""
        return {
            "at": self.at.isoformat(),
            "action": self.action.value,
            "reason": self.reason,
            "estimated_credits": self.estimated_credits,
            "mode": self.mode.value,
            "stretch": self.stretch,
            "games": [
                {"event_id": g.event_id, "need": g.need.value, "tier": g.tier and g.tier.value}
                for g in self.games
            ],
            "upcoming_games": self.upcoming_games,
        }


def ceil_minute(value: datetime) -> datetime:
    """Round up to a whole minute: schedule slots are minutes, and never early."""
    floored = value.replace(second=0, microsecond=0)
    return floored if floored == value else floored + timedelta(minutes=1)


def _tier_windows(
    tip: datetime, tiers: tuple[TierSpec, ...]
) -> list[tuple[datetime | None, datetime, timedelta, FetchTier]]:
    """(start, end, interval, tier) in time order; a tier holds ``start < t <= end``."""
    windows: list[tuple[datetime | None, datetime, timedelta, FetchTier]] = []
    for spec in tiers:
        start = None if spec.max_hours is None else tip - timedelta(hours=spec.max_hours)
        windows.append((start, tip - timedelta(hours=spec.min_hours), spec.interval, spec.tier))
    return windows


def game_need(
    game: GameState, now: datetime, policy: SchedulePolicy, quota: QuotaPlan
) -> GameNeed | None:
    """The next moment this game needs a snapshot, or None if it needs none before tip."""
    tip = game.commence_time
    if not game.is_upcoming(now):
        return None
    closing_at = tip - policy.closing_lead
    last = game.last_captured
    closing_done = last is not None and last >= tip - policy.closing_window
    candidates: list[tuple[datetime, Need]] = []
    if not closing_done:
        candidates.append((max(closing_at, now), Need.CLOSING))
    if quota.mode is not QuotaMode.CLOSING_ONLY:
        if tip - now > policy.lookahead:
            candidates.append((tip - policy.lookahead, Need.ENTERS_LOOKAHEAD))
        elif last is None:
            candidates.append((now, Need.FIRST))
        else:
            cadence = _cadence_due(last, tip, policy, quota.stretch, game.tiers)
            if cadence is not None:
                candidates.append(cadence)
    if not candidates:
        return None
    due, need = min(candidates, key=lambda c: c[0])
    if due >= tip:
        return None
    return GameNeed(game.event_id, tip, due, need, tier_for(hours_until(tip, due), game.tiers))


def _cadence_due(
    last: datetime,
    tip: datetime,
    policy: SchedulePolicy,
    stretch: float,
    tiers: tuple[TierSpec, ...],
) -> tuple[datetime, Need] | None:
    for start, end, interval, _tier in _tier_windows(tip, tiers):
        if end <= last:
            continue
        step = last + interval * stretch
        if start is None or start < last:  # the tier the last capture is in
            if step <= end:
                return step, Need.CADENCE
            continue
        entry = start + _EPSILON
        latest = max(entry, end - policy.tier_margin)
        if step <= entry:
            return entry, Need.TIER_ENTRY
        return min(step, latest), (Need.CADENCE if step <= latest else Need.TIER_ENTRY)
    return None


def decide_odds(
    games: Iterable[GameState],
    now: datetime,
    policy: SchedulePolicy | None = None,
    quota: QuotaState | None = None,
) -> Decision:
    """The next odds run: the earliest need of any upcoming game, or a free discovery check.

    ``at`` may be ``<= now``: something is due already (a run that starts late, a game just
    discovered). Schedulers should use :func:`next_slot` for the next *future* run.
    """
    now = as_utc(now)
    policy = policy or SchedulePolicy()
    games = list(games)
    upcoming = [g for g in games if g.is_upcoming(now)]
    reserve = closing_reserve((g.commence_time for g in upcoming), now, policy)
    quota_plan = plan_quota(quota or QuotaState(), now, policy, reserve=reserve)

    def decision(
        at: datetime,
        action: Action,
        reason: str,
        games: tuple[GameNeed, ...] = (),
        estimated_credits: int = 0,
    ) -> Decision:
        return Decision(
            at=at,
            action=action,
            reason=reason,
            games=games,
            estimated_credits=estimated_credits,
            mode=quota_plan.mode,
            stretch=quota_plan.stretch,
            upcoming_games=len(upcoming),
        )

    if not upcoming:
        # Between two slates the next games are listed within hours; off-season, not for weeks.
        if any(now - policy.season_gap < g.commence_time <= now for g in games):
            return decision(
                now + policy.discovery_interval,
                Action.DISCOVER,
                "no upcoming game listed between slates: free discovery check (/events)",
            )
        return decision(
            now + policy.offseason_check,
            Action.DISCOVER,
            "off-season (no game upcoming or recent): daily free discovery check (/events)",
        )
    discovery_at = now + policy.discovery_interval
    if quota_plan.mode is QuotaMode.PAUSED:
        at = min(quota_plan.reset_at, now + policy.offseason_check)
        return decision(
            at,
            Action.DISCOVER,
            f"quota below one call ({policy.odds_fetch_cost} credits): paused until "
            f"the reset at {quota_plan.reset_at.isoformat()}",
        )
    if policy.planner is PlannerKind.COVERING:
        planned = _covering_call(upcoming, now, policy, quota_plan)
    else:
        planned = _cadence_call(upcoming, now, policy, quota_plan)
    if planned is None:
        return decision(
            discovery_at,
            Action.DISCOVER,
            "every upcoming game is covered until tip: free discovery check",
        )
    earliest, served = planned
    if discovery_at < earliest:
        return decision(
            discovery_at,
            Action.DISCOVER,
            f"next snapshot need at {earliest.isoformat()}; free discovery check first",
        )
    kinds = sorted({n.need.value for n in served})
    tiers = sorted({n.tier.value for n in served if n.tier is not None})
    return decision(
        earliest,
        Action.FETCH_ODDS,
        f"{len(served)} game(s) need a snapshot ({', '.join(kinds)}; "
        f"tier {', '.join(tiers) or '-'}); one /odds call captures all {len(upcoming)}",
        games=served,
        estimated_credits=policy.odds_fetch_cost,
    )


def _cadence_call(
    upcoming: list[GameState], now: datetime, policy: SchedulePolicy, quota: QuotaPlan
) -> tuple[datetime, tuple[GameNeed, ...]] | None:
    """The cadence planner's next call: the earliest need of any game."""
    needs = [n for g in upcoming if (n := game_need(g, now, policy, quota)) is not None]
    if not needs:
        return None
    earliest = min(n.due for n in needs)
    # Needs within a minute of the earliest are served by the same call.
    served = (n for n in needs if n.due - earliest < _EPSILON)
    return earliest, tuple(sorted(served, key=lambda n: n.commence_time))


def _covering_call(
    upcoming: list[GameState], now: datetime, policy: SchedulePolicy, quota: QuotaPlan
) -> tuple[datetime, tuple[GameNeed, ...]] | None:
    """The covering planner's next call: the earliest due of any game's windows; it serves
    every game with a window open by then."""
    closing_only = quota.mode is QuotaMode.CLOSING_ONLY
    windows = {
        g.event_id: game_windows(
            g.commence_time,
            g.last_captured,
            g.listed_at,
            now,
            policy,
            closing_only=closing_only,
            stretch=quota.stretch,
            tiers=g.tiers,
        )
        for g in upcoming
    }
    dues = [w.due for ws in windows.values() for w in ws]
    if not dues:
        return None
    at = min(dues)
    served = []
    for game in upcoming:
        open_now = [w for w in windows[game.event_id] if w.opens <= at]
        if open_now:
            first = min(open_now, key=lambda w: w.due)
            tier = tier_for(hours_until(game.commence_time, at), game.tiers)
            need = Need(first.requirement.value)
            served.append(GameNeed(game.event_id, game.commence_time, at, need, tier))
    return at, tuple(sorted(served, key=lambda n: n.commence_time))


def next_slot(decision_at: datetime, now: datetime, policy: SchedulePolicy) -> datetime:
    """The whole minute to schedule the next run for: never in the past, never before ``now +
    min_gap``."""
    return ceil_minute(max(decision_at, now + policy.min_gap))


CLOSING_RETRY = timedelta(minutes=2)


def retry_after_failure(
    decision: Decision, now: datetime, policy: SchedulePolicy, later: timedelta
) -> tuple[datetime, str]:
    """When to run again if the call ``decision`` asks for fails, and why.

    ``later`` from now, as any failed run; but a game of the call whose tip is inside the
    closing window has no other chance at its close, so the retry comes within
    :data:`CLOSING_RETRY` and a minute before that tip (never sooner than ``min_gap``).
    """
    at_stake = [
        g.commence_time
        for g in decision.games
        if now < g.commence_time <= now + policy.closing_window
    ]
    if not at_stake:
        return now + later, "the run failed before planning: try again"
    soon = min(now + CLOSING_RETRY, min(at_stake) - timedelta(minutes=1))
    return (
        min(now + later, max(soon, now + policy.min_gap)),
        f"the call failed with {len(at_stake)} game(s) in their closing window: try again soon",
    )

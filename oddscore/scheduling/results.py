"""When to fetch scores and when to move statuses: after games end, and around tip times.

* Scores (paid: ``/scores?daysFrom=N`` costs 2) are fetched once a game should be over
  (tip + ``game_duration``), batching every game expected to end within
  ``scores_batch_window`` of the first into one call; a game still running then (overtime, a
  delay) is asked about again ``scores_recheck`` later. Games older than the provider's
  3-day window cannot be settled by the API and are left to a CSV import.
* Statuses (free, database only) move at tip times: the next run is just after the next
  distinct tip, so a started game stops being "upcoming" at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from oddscore.clock import as_utc
from oddscore.provider.costs import scores_cost
from oddscore.scheduling.planner import Action, Decision, GameNeed, GameState, Need
from oddscore.scheduling.policy import SchedulePolicy

__all__ = ["decide_scores", "decide_status"]

_AFTER_TIP = timedelta(minutes=1)
_OPEN = {"scheduled", "live"}


def decide_scores(
    games: Iterable[GameState],
    now: datetime,
    policy: SchedulePolicy | None = None,
    *,
    last_checked: datetime | None = None,
) -> Decision:
    """The next scores call: when the earliest unsettled game (and its cluster) should be over.

    ``last_checked`` is when scores were last fetched; overdue games wait ``scores_recheck``
    after it instead of being asked about in a loop.
    """
    now = as_utc(now)
    policy = policy or SchedulePolicy()
    horizon = now - timedelta(days=policy.scores_max_days)
    needs: list[GameNeed] = []
    for game in games:
        tip = game.commence_time
        if game.status not in _OPEN or tip <= horizon:
            continue
        due = tip + policy.game_duration
        if due <= now and last_checked is not None and last_checked >= due:
            due = last_checked + policy.scores_recheck
        needs.append(GameNeed(game.event_id, tip, due, Need.RESULT, None))
    if not needs:
        return Decision(
            at=now + policy.offseason_check,
            action=Action.DISCOVER,
            reason="no game to settle: check again later (free)",
        )
    earliest = min(n.due for n in needs)
    if earliest <= now:
        at = earliest
    else:  # wait for the rest of the cluster, so one call settles the whole night
        at = max(n.due for n in needs if n.due - earliest <= policy.scores_batch_window)
    served = tuple(sorted((n for n in needs if n.due <= at), key=lambda n: n.commence_time))
    oldest_tip = min(n.commence_time for n in served)
    age = max(at, now) - oldest_tip
    days_from = min(policy.scores_max_days, max(1, math.ceil(age / timedelta(days=1))))
    return Decision(
        at=at,
        action=Action.FETCH_SCORES,
        reason=f"{len(served)} game(s) expected over by {at.isoformat()} (daysFrom={days_from})",
        games=served,
        estimated_credits=scores_cost(days_from=days_from),
        upcoming_games=sum(1 for n in needs if n.commence_time > now),
        extra={"days_from": days_from},
    )


def decide_status(
    games: Iterable[GameState], now: datetime, policy: SchedulePolicy | None = None
) -> Decision:
    """The next status update: now if a scheduled game has tipped, else just after the next tip."""
    now = as_utc(now)
    policy = policy or SchedulePolicy()
    scheduled = [g for g in games if g.status == "scheduled"]
    started = [g for g in scheduled if g.commence_time <= now]
    if started:
        return Decision(
            at=now,
            action=Action.UPDATE_STATUS,
            reason=f"{len(started)} scheduled game(s) have tipped: mark them live",
            games=tuple(
                GameNeed(g.event_id, g.commence_time, now, Need.TIP, None) for g in started
            ),
        )
    future = sorted({g.commence_time for g in scheduled})
    if not future:
        return Decision(
            at=now + policy.offseason_check,
            action=Action.DISCOVER,
            reason="no scheduled game: check again later",
        )
    tip = future[0]
    at_tip = tuple(
        GameNeed(g.event_id, tip, tip + _AFTER_TIP, Need.TIP, None)
        for g in scheduled
        if g.commence_time == tip
    )
    return Decision(
        at=tip + _AFTER_TIP,
        action=Action.UPDATE_STATUS,
        reason=f"{len(at_tip)} game(s) tip at {tip.isoformat()}",
        games=at_tip,
        upcoming_games=len(scheduled),
    )

"""The covering planner: place ``/odds`` calls to cover every game's tier windows together.

One call captures every listed game, so the question is which moments stab every game's
requirements at once. Each upcoming game asks for a window ``[opens, due]`` per requirement:

* **tier**: a capture in each tier it can still reach (a tier holds ``start < t <= end``;
  the opening tier from the lookahead on), due ``cover_margin`` before the tier ends so that
  a run starting late, or retried after a failure, still lands inside it. The closing tier
  needs no window of its own: the closing capture lies inside it;
* **closing**: a capture within ``closing_window`` of tip, due ``closing_lead`` before it;
* **first**: a game first listed inside the lookahead is captured at once (its first line;
  late listings and re-listed games are handled the moment they appear). A game listed
  before it entered the lookahead waits for its windows instead;
* **cadence** (only if ``policy.min_cadence`` asks for one): inside that tier, no stretch of
  ``cadence * stretch`` from the tier's start or the last capture without a capture.

The next call goes at the earliest ``due`` of all windows, and every window open by then is
served by it. Repeated after each call this is earliest-deadline stabbing, which needs the
fewest calls for the windows known; re-planning at every run keeps that true as games are
listed and tips move. Only the last capture of each game is needed to know what it lacks:
tiers come in time order, so a capture inside the current tier is the only one that counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.tiers import TIERS, FetchTier, TierSpec

__all__ = ["Requirement", "Window", "game_windows"]

_EPSILON = timedelta(minutes=1)  # a tier starts just after its boundary (start exclusive)


class Requirement(StrEnum):
    FIRST = "first"
    TIER = "tier"
    CADENCE = "cadence"
    CLOSING = "closing"


@dataclass(frozen=True, slots=True)
class Window:
    """A capture anywhere in ``[opens, due]`` meets ``requirement`` (of ``tier``)."""

    opens: datetime
    due: datetime
    requirement: Requirement
    tier: FetchTier | None


def game_windows(
    tip: datetime,
    last: datetime | None,
    listed_at: datetime | None,
    now: datetime,
    policy: SchedulePolicy,
    *,
    closing_only: bool = False,
    stretch: float = 1.0,
    tiers: tuple[TierSpec, ...] = TIERS,
) -> list[Window]:
    """What an upcoming game still needs, from ``now`` on, given its last capture.

    ``tiers`` is the game's sport's table (:func:`~oddscore.scheduling.tiers.tiers_for`).

    ``listed_at`` is when the game was first listed (None: just now). A window already late
    (a run that starts after its ``due``) is due ``now``: it can still be met until it ends.
    """
    if tip <= now:
        return []
    windows: list[Window] = []
    if last is None or last < tip - policy.closing_window:
        windows.append(
            Window(
                tip - policy.closing_window,
                max(tip - policy.closing_lead, now),
                Requirement.CLOSING,
                FetchTier.CLOSING,
            )
        )
    if closing_only:
        return windows
    horizon = tip - policy.lookahead
    listed = now if listed_at is None else listed_at
    if last is None and listed > horizon and now > horizon:
        windows.append(Window(now, now, Requirement.FIRST, None))
    for spec in tiers:
        # The closing capture lies inside the closing tier: no tier window of its own, and
        # its cadence runs until that capture.
        closing_tier = spec.min_hours == 0
        end = tip - timedelta(hours=spec.min_hours)
        start = horizon if spec.max_hours is None else tip - timedelta(hours=spec.max_hours)
        start = max(start, horizon)
        opens = start + _EPSILON
        if end <= now or opens > end:
            continue
        captured = last is not None and start < last <= end
        if not captured and not closing_tier:
            due = max(opens, end - policy.cover_margin, now)
            windows.append(Window(opens, due, Requirement.TIER, spec.tier))
        every = policy.cadence(spec.tier)
        if every is not None:
            step = (last if captured and last is not None else start) + every * stretch
            if step < (tip - policy.closing_lead if closing_tier else end):
                windows.append(Window(opens, max(step, now), Requirement.CADENCE, spec.tier))
    return windows

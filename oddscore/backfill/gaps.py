"""The gap backfill: the tiers and closing captures stored games lack, and the calls that fill
them, the most valuable first, within a credit cap.

A game is whole when it has a snapshot in every tier (opening, early, sharp, pregame, from
:func:`~oddscore.scheduling.tiers.tier_for` on the current tip-off time in the plan's sport's
tier table, not the stored label) and a closing capture (a snapshot at most
``closing_window`` before tip; it lies inside the closing tier, so the closing tier needs
nothing of its own). Each missing one is a
:class:`Gap`, wanted at the tier's nearest-tip edge (the closing capture at ``closing_lead``),
exactly the slots of ``backfill plan``; the same interval stabbing groups them into the fewest
whole-slate historical calls.

Ranking: a call is worth what its best gap is worth, closing first, then pregame, sharp, early
and opening (the closing line is what CLV and the backtests price against), and among equals
the call filling more gaps first. A cap takes the calls in that order while they fit.

A gap the provider cannot fill is not planned again: a finished call that asked inside its
window (or later) and found the game missing from the slate, or whose snapshot (the provider
answers with the latest one at or before the request) fell outside the tier or failed
validation.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oddscore.clock import as_utc
from oddscore.scheduling.tiers import TIERS, FetchTier, TierSpec, hours_until, tier_for

from .planner import (
    BackfillPlan,
    PlannedCall,
    PlanSettings,
    Slot,
    build_plan,
    slot_window,
    subset_plan,
)
from .selection import Game

__all__ = [
    "GAP_SOURCE",
    "RANK",
    "Attempt",
    "Gap",
    "GapPlan",
    "build_gap_plan",
    "covered_tiers",
    "find_gaps",
    "gap_slots",
    "rank_calls",
    "unfillable",
]

# Most valuable first: the closing capture, then the tiers nearest tip.
RANK: tuple[FetchTier, ...] = (
    FetchTier.CLOSING,
    FetchTier.PREGAME,
    FetchTier.SHARP,
    FetchTier.EARLY,
    FetchTier.OPENING,
)


# A gap plan's ``selection_source``: its executor asks the stored snapshots, not the ledger.
GAP_SOURCE = "gaps"


@dataclass(frozen=True, slots=True, order=True)
class Gap:
    """A game without a snapshot in ``tier`` (``closing``: without a closing capture)."""

    event_id: str
    tier: FetchTier


@dataclass(frozen=True, slots=True)
class Attempt:
    """A finished historical call of the ledger, as far as gaps are concerned."""

    call_time: datetime
    event_ids: frozenset[str]
    missing: frozenset[str]  # games the slate did not list
    snapshot_time: datetime | None  # the provider's timestamp of the answer
    rejected: bool = False  # the answer failed validation: nothing of it was stored


@dataclass(slots=True)
class GapPlan:
    """Every gap found, the plan filling all that can be filled, and the part within the cap."""

    gaps: list[Gap]
    unfillable: list[Gap]  # tried already: the provider has nothing for them
    full: BackfillPlan  # every fillable gap, calls in rank order
    plan: BackfillPlan  # the calls within the cap (the whole plan without one)
    max_credits: int | None = None
    left: list[PlannedCall] = field(default_factory=list)  # ranked out by the cap
    games_checked: int = 0

    @property
    def planned(self) -> list[Gap]:
        """The gaps the capped plan fills."""
        return _targets(self.plan.calls)

    @property
    def deferred(self) -> list[Gap]:
        """Fillable gaps left for a later run by the cap."""
        return _targets(self.left)


def _targets(calls: Iterable[PlannedCall]) -> list[Gap]:
    return sorted({Gap(t.event_id, t.tier) for call in calls for t in call.targets})


def gap_slots(closing_lead: timedelta, tiers: tuple[TierSpec, ...] = TIERS) -> tuple[Slot, ...]:
    """One slot per tier, named after it, at the tier's nearest-tip edge in ``tiers`` (the
    sport's table: its tier offsets move the slots); the closing tier's is the closing
    capture."""
    return tuple(
        Slot(
            name=spec.tier.value,
            lead=closing_lead
            if spec.tier is FetchTier.CLOSING
            else timedelta(hours=spec.min_hours),
        )
        for spec in tiers
    )


def _meets(
    tier: FetchTier,
    tip: datetime,
    at: datetime,
    closing_window: timedelta,
    tiers: tuple[TierSpec, ...],
) -> bool:
    """Whether a snapshot taken ``at`` fills ``tier`` of a game tipping off at ``tip``."""
    if tier is FetchTier.CLOSING:
        return timedelta(0) <= tip - at <= closing_window
    return tier_for(hours_until(tip, at), tiers) is tier


def covered_tiers(
    tip: datetime,
    captures: Iterable[datetime],
    closing_window: timedelta,
    tiers: tuple[TierSpec, ...] = TIERS,
) -> set[FetchTier]:
    """The tiers (of ``tiers``, the sport's table) that snapshots taken at ``captures`` fill
    (``closing``: a closing capture)."""
    tip = as_utc(tip)
    times = [as_utc(at) for at in captures]
    return {
        tier for tier in RANK if any(_meets(tier, tip, at, closing_window, tiers) for at in times)
    }


def find_gaps(
    games: Iterable[Game],
    captures: Mapping[str, Iterable[datetime]],
    settings: PlanSettings,
    *,
    closing_window: timedelta,
    now: datetime,
) -> list[Gap]:
    """Every game's missing tiers whose slot has passed (history exists only for the past)."""
    slots = {slot.name: slot for slot in settings.slots}
    tiers = settings.tiers
    now = as_utc(now)
    gaps = []
    for game in games:
        have = covered_tiers(game.commence_time, captures.get(game.id, ()), closing_window, tiers)
        for tier in RANK:
            if tier in have:
                continue
            _, hi = slot_window(
                game.commence_time, slots[tier.value], settings.max_shift_fraction, tiers
            )
            if hi <= now:
                gaps.append(Gap(game.id, tier))
    return sorted(gaps)


def unfillable(
    gaps: Iterable[Gap],
    games: Iterable[Game],
    attempts: Iterable[Attempt],
    settings: PlanSettings,
    *,
    closing_window: timedelta,
) -> list[Gap]:
    """The gaps finished calls already tried in vain (see the module docstring)."""
    tips = {game.id: as_utc(game.commence_time) for game in games}
    slots = {slot.name: slot for slot in settings.slots}
    tiers = settings.tiers
    by_event: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        for event_id in attempt.event_ids:
            by_event.setdefault(event_id, []).append(attempt)
    hopeless = []
    for gap in gaps:
        tip = tips[gap.event_id]
        lo, hi = slot_window(tip, slots[gap.tier.value], settings.max_shift_fraction, tiers)
        for attempt in by_event.get(gap.event_id, ()):
            asked = as_utc(attempt.call_time)
            if not lo <= asked <= tip:
                continue
            # Not listed then: a game once listed stays listed until it starts, so not
            # earlier either. Listed, but the latest snapshot at or before a request inside
            # the window lay outside the tier, or failed validation: history does not change,
            # so asking again inside the window gets no better.
            if gap.event_id in attempt.missing or (
                asked <= hi
                and (
                    attempt.rejected
                    or (
                        attempt.snapshot_time is not None
                        and not _meets(
                            gap.tier, tip, as_utc(attempt.snapshot_time), closing_window, tiers
                        )
                    )
                )
            ):
                hopeless.append(gap)
                break
    return sorted(hopeless)


def rank_calls(calls: Sequence[PlannedCall]) -> list[PlannedCall]:
    """Best gap first (closing, pregame, sharp, early, opening), then more gaps, then time."""
    return sorted(
        calls,
        key=lambda call: (
            min(RANK.index(target.tier) for target in call.targets),
            -len(call.targets),
            call.time,
        ),
    )


def build_gap_plan(
    games: Sequence[Game],
    gaps: Sequence[Gap],
    settings: PlanSettings,
    *,
    now: datetime,
    max_credits: int | None = None,
    hopeless: Sequence[Gap] = (),
) -> GapPlan:
    """The fewest calls filling ``gaps`` except ``hopeless``, ranked, cut to ``max_credits``."""
    skip = set(hopeless)
    wanted: dict[str, set[str]] = {}
    for gap in gaps:
        if gap not in skip:
            wanted.setdefault(gap.event_id, set()).add(gap.tier.value)
    chosen = [game for game in games if game.id in wanted]
    grouped = build_plan(chosen, settings, now=now, selection_source=GAP_SOURCE, wanted=wanted)
    ranked = rank_calls(grouped.calls)
    full = subset_plan(grouped, ranked)
    fits = len(ranked)
    if max_credits is not None and full.costs.per_call > 0:
        fits = min(fits, max_credits // full.costs.per_call)
    return GapPlan(
        gaps=list(gaps),
        unfillable=sorted(skip),
        full=full,
        plan=subset_plan(grouped, ranked[:fits]),
        max_credits=max_credits,
        left=ranked[fits:],
        games_checked=len(games),
    )

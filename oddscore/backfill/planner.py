"""The backfill plan: which historical ``/odds`` calls to make, when, and what they cost.

Each selected game wants a snapshot at every slot (72 h, 24 h, 12 h, 3 h and 30 min before
tip, and a closing capture a few minutes before it). One historical ``/odds`` call returns
every game upcoming at that moment for the same price, so a call is worth sharing: each slot
may move a little *earlier* (at most ``max_shift_fraction`` of its lead, and never out of its
tier), which gives it a window of acceptable request times. Picking the fewest request times
that hit every window is interval stabbing, solved exactly by the greedy rule "earliest window
end first, request at that end"; requesting at the end keeps each snapshot as close to its
target as the sharing allows.

Why only earlier: the provider answers with the snapshot *at or before* the requested time, so
the real snapshot is a few minutes older than asked; the slots sit on the lower (nearer-tip)
edge of their tiers, so older always stays inside the tier.

Pure: no I/O. The plan is a pydantic model written to and read from JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oddscore.clock import as_utc
from oddscore.exceptions import PlanningError, UnreadableFileError
from oddscore.locations import read_bytes, write_bytes
from oddscore.provider.costs import odds_cost
from oddscore.scheduling.tiers import TIERS, FetchTier, TierSpec, spec_for, tier_for, tiers_for

from .selection import Game, SelectionStrategy

__all__ = [
    "DEFAULT_MAX_SHIFT_FRACTION",
    "DEFAULT_SLOTS",
    "BackfillPlan",
    "CallTarget",
    "PlanCosts",
    "PlanSettings",
    "PlannedCall",
    "Slot",
    "build_plan",
    "call_cost",
    "read_plan",
    "slot_window",
    "subset_plan",
    "write_plan",
]

PLAN_VERSION = 1
DEFAULT_MAX_SHIFT_FRACTION = 0.25


class Slot(BaseModel):
    """A wanted snapshot, ``lead`` before tip-off."""

    model_config = ConfigDict(frozen=True)

    name: str
    lead: timedelta

    @property
    def tier(self) -> FetchTier:
        """The slot's tier in the standard tiers (:meth:`tier_in` for a sport's table)."""
        return self.tier_in(TIERS)

    def tier_in(self, tiers: tuple[TierSpec, ...]) -> FetchTier:
        tier = tier_for(self.lead.total_seconds() / 3600, tiers)
        if tier is None:  # pragma: no cover - leads are validated positive
            raise PlanningError(f"slot {self.name} is not before tip-off")
        return tier

    @field_validator("lead")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a slot must lie before tip-off")
        return value


def default_slots(
    closing_lead: timedelta = timedelta(minutes=5), tiers: tuple[TierSpec, ...] = TIERS
) -> tuple[Slot, ...]:
    """The nearest-tip edge of every tier but closing (72, 24, 12 and 3 h in the standard
    ``tiers``; a sport's table moves them), 30 minutes before tip while that is still in the
    closing tier, and a closing capture ``closing_lead`` before tip."""
    edges = [
        Slot(name=f"{spec.min_hours:g}h", lead=timedelta(hours=spec.min_hours))
        for spec in tiers
        if spec.min_hours > 0
    ]
    closing = spec_for(FetchTier.CLOSING, tiers)
    if closing.max_hours is None or closing.max_hours > 0.5:
        edges.append(Slot(name="30m", lead=timedelta(minutes=30)))
    return (*edges, Slot(name="close", lead=closing_lead))


DEFAULT_SLOTS = default_slots()


class PlanSettings(BaseModel):
    """What was asked for: the request parameters and the selection that chose the games."""

    sport: str = "basketball_nba"
    markets: list[str] = Field(default_factory=lambda: ["h2h", "spreads", "totals"])
    bookmakers: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    start: date
    end: date
    strategy: SelectionStrategy = SelectionStrategy.UNIFORM
    seed: int = 0
    games: int | None = None
    sample_rate: float | None = None
    slots: list[Slot] = Field(default_factory=lambda: list(DEFAULT_SLOTS))
    max_shift_fraction: float = Field(default=DEFAULT_MAX_SHIFT_FRACTION, ge=0, le=1)

    @property
    def tiers(self) -> tuple[TierSpec, ...]:
        """The tier table of the plan's sport (its profile's ``tier_offsets``)."""
        return tiers_for(self.sport)


class CallTarget(BaseModel):
    """One game's slot served by a call."""

    event_id: str
    slot: str
    tier: FetchTier  # the tier the slot aims at; the stored label uses the real timestamp
    shift_minutes: float  # how much earlier than the slot's target the call is made


class PlannedCall(BaseModel):
    """One whole-slate historical ``/odds`` request at ``time``."""

    time: datetime
    credits: int
    targets: list[CallTarget]

    @property
    def event_ids(self) -> list[str]:
        return sorted({target.event_id for target in self.targets})


class PlanCosts(BaseModel):
    """Credits under the provider's rules (historical ``/odds``: 10 x markets x regions)."""

    per_call: int
    naive: int  # one call per game and slot
    grouped: int  # the planned, shared calls: what ``execute`` spends
    selection: int  # historical ``/events`` calls already paid while planning
    saved: int

    @property
    def total(self) -> int:
        return self.grouped + self.selection


class BackfillPlan(BaseModel):
    """A backfill plan: the games, the calls with what each serves, and their cost."""

    version: int = PLAN_VERSION
    plan_id: str
    created_at: datetime
    settings: PlanSettings
    selection_source: str  # "stored" (events table) or "endpoint" (historical /events)
    games: list[Game]
    calls: list[PlannedCall]
    costs: PlanCosts
    skipped_targets: int = 0  # slots not yet in the past when planned

    def game(self, event_id: str) -> Game:
        for game in self.games:
            if game.id == event_id:
                return game
        raise PlanningError(f"event {event_id} is not in plan {self.plan_id}")


def call_cost(settings: PlanSettings) -> int:
    """Credits of one historical ``/odds`` call with the plan's markets and books/regions."""
    return odds_cost(
        markets=settings.markets,
        regions=settings.regions,
        bookmakers=settings.bookmakers,
        historical=True,
    )


def slot_window(
    commence_time: datetime,
    slot: Slot,
    max_shift_fraction: float,
    tiers: tuple[TierSpec, ...] = TIERS,
) -> tuple[datetime, datetime]:
    """The request times acceptable for ``slot``: ``[target - shift, target]``.

    The shift is at most ``max_shift_fraction`` of the lead and stops short of the tier's
    upper bound (in ``tiers``, the plan's sport's table), so every time in the window lies in
    the slot's tier.
    """
    tip = as_utc(commence_time)
    shift = slot.lead * max_shift_fraction
    spec = spec_for(slot.tier_in(tiers), tiers)
    if spec.max_hours is not None:
        room = timedelta(hours=spec.max_hours) - slot.lead - timedelta(seconds=1)
        shift = min(shift, max(room, timedelta(0)))
    target = tip - slot.lead
    return target - shift, target


def _group(
    windows: list[tuple[datetime, datetime, str, Slot]],
) -> list[tuple[datetime, list[tuple[datetime, str, Slot]]]]:
    """Fewest request times hitting every window: earliest end first, request at that end."""
    ordered = sorted(windows, key=lambda w: (w[1], w[0], w[2], w[3].name))
    calls: list[tuple[datetime, list[tuple[datetime, str, Slot]]]] = []
    open_call: tuple[datetime, list[tuple[datetime, str, Slot]]] | None = None
    for lo, hi, event_id, slot in ordered:
        if open_call is not None and lo <= open_call[0] <= hi:
            open_call[1].append((hi, event_id, slot))
            continue
        open_call = (hi, [(hi, event_id, slot)])
        calls.append(open_call)
    return calls


def _plan_id(settings: PlanSettings, calls: Sequence[PlannedCall]) -> str:
    # Content-addressed: the same settings and calls always give the same id, so re-planning
    # an identical backfill resumes the progress already recorded under it.
    body = {
        "settings": settings.model_dump(mode="json"),
        "calls": [call.model_dump(mode="json") for call in calls],
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return digest[:16]


def build_plan(
    games: Sequence[Game],
    settings: PlanSettings,
    *,
    now: datetime,
    selection_source: str,
    selection_credits: int = 0,
    wanted: Mapping[str, Collection[str]] | None = None,
) -> BackfillPlan:
    """Plan the calls for ``games``; targets later than ``now`` are skipped (no history yet).

    ``wanted`` (event id -> slot names) limits a game to those slots (the gap backfill asks
    only for what is missing); by default every game wants every slot.
    """
    now = as_utc(now)
    tiers = settings.tiers
    windows: list[tuple[datetime, datetime, str, Slot]] = []
    skipped = 0
    for game in games:
        for slot in settings.slots:
            if wanted is not None and slot.name not in wanted.get(game.id, ()):
                continue
            lo, hi = slot_window(game.commence_time, slot, settings.max_shift_fraction, tiers)
            if hi > now:
                skipped += 1
                continue
            windows.append((lo, hi, game.id, slot))
    per_call = call_cost(settings)
    calls = [
        PlannedCall(
            time=time,
            credits=per_call,
            targets=[
                CallTarget(
                    event_id=event_id,
                    slot=slot.name,
                    tier=slot.tier_in(tiers),
                    shift_minutes=round((target - time).total_seconds() / 60, 3),
                )
                for target, event_id, slot in sorted(served, key=lambda s: (s[1], s[2].name))
            ],
        )
        for time, served in _group(windows)
    ]
    grouped = per_call * len(calls)
    naive = per_call * len(windows)
    costs = PlanCosts(
        per_call=per_call,
        naive=naive,
        grouped=grouped,
        selection=selection_credits,
        saved=naive - grouped,
    )
    return BackfillPlan(
        plan_id=_plan_id(settings, calls),
        created_at=now,
        settings=settings,
        selection_source=selection_source,
        games=sorted(games, key=lambda g: (g.commence_time, g.id)),
        calls=calls,
        costs=costs,
        skipped_targets=skipped,
    )


def subset_plan(plan: BackfillPlan, calls: Sequence[PlannedCall]) -> BackfillPlan:
    """The plan cut down to ``calls`` (e.g. those a credit cap lets through), with its games,
    costs and id recomputed: a different set of calls is a different plan."""
    kept = {event_id for call in calls for event_id in call.event_ids}
    per_call = plan.costs.per_call
    grouped = per_call * len(calls)
    naive = per_call * sum(len(call.targets) for call in calls)
    return plan.model_copy(
        update={
            "plan_id": _plan_id(plan.settings, calls),
            "games": [game for game in plan.games if game.id in kept],
            "calls": list(calls),
            "costs": plan.costs.model_copy(
                update={"naive": naive, "grouped": grouped, "saved": naive - grouped}
            ),
        }
    )


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def write_plan(plan: BackfillPlan, path: str | Path) -> None:
    """Write the plan to a local file or an ``s3://bucket/key`` (an ECS run reads it there)."""
    try:
        write_bytes(path, (plan.model_dump_json(indent=2) + "\n").encode("utf-8"))
    except (OSError, ValueError) as exc:
        raise PlanningError(f"cannot write plan file {path}: {_reason(exc)}") from exc


def read_plan(path: str | Path) -> BackfillPlan:
    """Load a plan file (local or ``s3://``); a missing, unreadable or invalid file is a
    :class:`PlanningError`."""
    try:
        text = read_bytes(path).decode("utf-8", errors="replace")
    except (OSError, ValueError, UnreadableFileError) as exc:
        raise PlanningError(f"cannot read plan file {path}: {_reason(exc)}") from exc
    try:
        plan = BackfillPlan.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "plan"
        raise PlanningError(f"invalid plan file {path}: {where}: {first['msg']}") from exc
    if plan.version != PLAN_VERSION:
        raise PlanningError(f"plan file {path} has version {plan.version}, need {PLAN_VERSION}")
    # Progress is recorded under the plan id; an edited plan must not inherit it.
    if _plan_id(plan.settings, plan.calls) != plan.plan_id:
        raise PlanningError(f"plan file {path} was edited after planning; plan it again")
    return plan

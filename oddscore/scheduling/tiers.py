"""Fetch tiers: how far from tip-off a snapshot was taken, and how often each tier collects.

One function, :func:`tier_for`, maps hours-to-tip to a tier; live collection, backfill
planning and snapshot labelling all use it, so a snapshot's tier always means the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["TIERS", "FetchTier", "TierSpec", "hours_until", "spec_for", "tier_for"]


class FetchTier(StrEnum):
    OPENING = "opening"
    EARLY = "early"
    SHARP = "sharp"
    PREGAME = "pregame"
    CLOSING = "closing"


@dataclass(frozen=True, slots=True)
class TierSpec:
    tier: FetchTier
    min_hours: float  # inclusive lower bound of hours to tip
    max_hours: float | None  # exclusive upper bound; None = unbounded
    interval: timedelta  # how often a game in this tier is collected


# Ordered from furthest to nearest tip-off.
TIERS: tuple[TierSpec, ...] = (
    TierSpec(FetchTier.OPENING, 72.0, None, timedelta(hours=48)),
    TierSpec(FetchTier.EARLY, 24.0, 72.0, timedelta(hours=24)),
    TierSpec(FetchTier.SHARP, 12.0, 24.0, timedelta(hours=12)),
    TierSpec(FetchTier.PREGAME, 3.0, 12.0, timedelta(hours=3)),
    TierSpec(FetchTier.CLOSING, 0.0, 3.0, timedelta(minutes=30)),
)


def tier_for(hours_to_tip: float) -> FetchTier | None:
    """The tier of a snapshot taken ``hours_to_tip`` hours before tip-off.

    None once the game has started (``hours_to_tip < 0``): such quotes are in-play.
    """
    if hours_to_tip < 0:
        return None
    for spec in TIERS:
        if hours_to_tip >= spec.min_hours and (
            spec.max_hours is None or hours_to_tip < spec.max_hours
        ):
            return spec.tier
    return None  # unreachable: the tiers cover [0, inf)


def spec_for(tier: FetchTier) -> TierSpec:
    return next(spec for spec in TIERS if spec.tier == tier)


def hours_until(commence_time: datetime, at: datetime) -> float:
    """Hours from ``at`` to ``commence_time`` (negative once the game has started)."""
    return (commence_time - at).total_seconds() / 3600.0

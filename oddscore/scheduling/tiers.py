"""Fetch tiers: how far from tip-off a snapshot was taken, and how often each tier collects.

One function, :func:`tier_for`, maps hours-to-tip to a tier; live collection, backfill
planning and snapshot labelling all use it, so a snapshot's tier always means the same thing.
A sport whose profile sets ``tier_offsets`` has its own table (:func:`tiers_for`): the same
tiers and intervals, with the boundaries moved; every caller that knows the game's sport
passes that table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from oddscore.exceptions import ConfigurationError
from oddscore.sports import profile_for

__all__ = [
    "TIERS",
    "FetchTier",
    "TierSpec",
    "hours_until",
    "spec_for",
    "tier_for",
    "tier_table",
    "tiers_for",
]


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


def tier_table(offsets: Mapping[str, float], *, sport_key: str = "") -> tuple[TierSpec, ...]:
    """The standard tiers with the boundaries ``offsets`` moves: ``{"closing": 1.0}`` starts
    the closing tier 1 h before the start (the pregame tier then runs until then).

    An offset is where a tier begins, in hours before the start, as the game approaches: the
    upper bound of its hours-to-tip. The opening tier begins when the game is listed, so it
    has none. Raises :class:`ConfigurationError` naming the sport if the tiers would not be
    in order.
    """
    if not offsets:
        return TIERS
    where = f"sport {sport_key!r}: " if sport_key else ""
    if FetchTier.OPENING.value in offsets:
        raise ConfigurationError(
            f"{where}tier_offsets cannot move 'opening': it begins when the game is listed"
        )
    begins = [
        float(offsets.get(spec.tier.value, spec.max_hours))
        for spec in TIERS
        if spec.max_hours is not None
    ]
    if any(not b > a > 0 for a, b in zip(begins[1:], begins, strict=False)) or begins[-1] <= 0:
        shown = ", ".join(
            f"{spec.tier.value}={b:g}" for spec, b in zip(TIERS[1:], begins, strict=True)
        )
        raise ConfigurationError(
            f"{where}tier_offsets must decrease from early to closing and stay above 0 h, "
            f"giving {shown}"
        )
    uppers: list[float | None] = [None, *begins]
    lowers = [*begins, 0.0]
    return tuple(
        replace(spec, max_hours=upper, min_hours=lower)
        for spec, upper, lower in zip(TIERS, uppers, lowers, strict=True)
    )


def tiers_for(sport_key: str | None) -> tuple[TierSpec, ...]:
    """The tier table of ``sport_key`` (its profile's ``tier_offsets`` on the standard tiers;
    None or a sport without offsets: :data:`TIERS`)."""
    if sport_key is None:
        return TIERS
    offsets = profile_for(sport_key).tier_offsets
    if not offsets:
        return TIERS
    # Cached on the offsets, not the sport: a changed profiles file must not be shadowed.
    return _cached_table(tuple(sorted(offsets.items())), sport_key)


@lru_cache(maxsize=32)
def _cached_table(offsets: tuple[tuple[str, float], ...], sport_key: str) -> tuple[TierSpec, ...]:
    return tier_table(dict(offsets), sport_key=sport_key)


def tier_for(hours_to_tip: float, tiers: tuple[TierSpec, ...] = TIERS) -> FetchTier | None:
    """The tier of a snapshot taken ``hours_to_tip`` hours before tip-off (in ``tiers``, a
    sport's table from :func:`tiers_for`; the standard tiers by default).

    None once the game has started (``hours_to_tip < 0``): such quotes are in-play.
    """
    if hours_to_tip < 0:
        return None
    for spec in tiers:
        if hours_to_tip >= spec.min_hours and (
            spec.max_hours is None or hours_to_tip < spec.max_hours
        ):
            return spec.tier
    return None  # unreachable: the tiers cover [0, inf)


def spec_for(tier: FetchTier, tiers: tuple[TierSpec, ...] = TIERS) -> TierSpec:
    return next(spec for spec in tiers if spec.tier == tier)


def hours_until(commence_time: datetime, at: datetime) -> float:
    """Hours from ``at`` to ``commence_time`` (negative once the game has started)."""
    return (commence_time - at).total_seconds() / 3600.0

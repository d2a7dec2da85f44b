"""Sport profiles: markets' outcome counts, settlement, game length, tiers and team names."""

from __future__ import annotations

from oddscore.sports.profiles import (
    BUILTIN_PROFILES,
    Settlement,
    SportProfile,
    default_profile,
    load_profiles,
    profile_for,
    team_key,
)

__all__ = [
    "BUILTIN_PROFILES",
    "Settlement",
    "SportProfile",
    "default_profile",
    "load_profiles",
    "profile_for",
    "team_key",
]

"""Sport profiles: what differs between sports, as data.

A :class:`SportProfile` says, for one sport key of the provider:

* how many outcomes each market has (``h2h`` is 3 in soccer: home, draw, away);
* which result the books settle on (``regulation``: soccer's 90 minutes plus stoppage time,
  never extra time; ``full_game``: NBA overtime and MLB extra innings count);
* how long a game typically lasts (when scores are fetched and statuses move);
* the tier offsets, where they differ from the standard ones;
* the team-name aliases.

The built-in profiles (:data:`BUILTIN_PROFILES`) cover ``basketball_nba`` (today's behaviour),
``soccer_epl`` and ``baseball_mlb``; any other sport gets :func:`default_profile`. The
``SPORT_PROFILES_FILE`` setting names a JSON or TOML file whose top-level keys are sport keys:
the fields given there override a built-in profile's, or define a new sport::

    [soccer_epl]
    game_length_hours = 2.1

    [soccer_usa_mls]
    title = "MLS"
    outcomes = {h2h = 3, spreads = 2, totals = 2}
    settlement = "regulation"
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oddscore.exceptions import ConfigurationError
from oddscore.sports.teams import EPL_TEAMS, MLB_TEAMS, NBA_TEAMS

__all__ = [
    "BUILTIN_PROFILES",
    "Settlement",
    "SportProfile",
    "default_profile",
    "load_profiles",
    "profile_for",
    "team_key",
]

Settlement = Literal["regulation", "full_game"]
TierName = Literal["opening", "early", "sharp", "pregame", "closing"]

_TWO_WAY = {"h2h": 2, "spreads": 2, "totals": 2}


def team_key(name: str) -> str:
    """A spelling-insensitive key: "L.A. Clippers" -> "laclippers"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


class SportProfile(BaseModel):
    """Everything sport-specific the pipeline needs about one sport key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1)
    title: str = Field(min_length=1)
    # Outcomes per market; a period market (h2h_h1, totals_1st_5_innings) takes its base's.
    # ``h2h_3_way`` is the provider's three-way moneyline in sports whose h2h is two-way.
    outcomes: dict[str, int] = Field(default_factory=lambda: {**_TWO_WAY, "h2h_3_way": 3})
    settlement: Settlement = "full_game"
    game_length_hours: float = Field(default=3.0, gt=0, le=12)
    # Hours before the start at which a tier begins, where the sport differs from the
    # standard tiers (oddscore.scheduling.tiers.TIERS); empty: the standard ones.
    tier_offsets: dict[TierName, float] = Field(default_factory=dict)
    # Provider's full name -> other spellings (codes, cities, nicknames).
    teams: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("tier_offsets")
    @classmethod
    def _offsets_in_order(cls, value: dict[TierName, float]) -> dict[TierName, float]:
        # What can be judged without the standard table (oddscore.scheduling.tiers.tier_table
        # checks the merged boundaries): the opening tier begins at listing, the rest in order.
        if "opening" in value:
            raise ValueError("'opening' begins when the game is listed: it takes no offset")
        order: tuple[TierName, ...] = ("early", "sharp", "pregame", "closing")
        given = [value[tier] for tier in order if tier in value]
        if any(hours <= 0 for hours in given) or any(
            later >= earlier for earlier, later in zip(given, given[1:], strict=False)
        ):
            raise ValueError("offsets must be above 0 h and decrease from early to closing")
        return value

    def outcome_count(self, market: str) -> int:
        """Outcomes of ``market`` (its base market's for a period variant; 2 if unknown)."""
        key = market
        while True:
            if key in self.outcomes:
                return self.outcomes[key]
            if "_" not in key:
                return 2
            key = key.rsplit("_", 1)[0]

    @property
    def has_draw(self) -> bool:
        """Whether a draw is an outcome of the moneyline (three-way ``h2h``)."""
        return self.outcome_count("h2h") == 3

    @property
    def game_length(self) -> timedelta:
        return timedelta(hours=self.game_length_hours)

    @cached_property
    def _aliases(self) -> dict[str, str]:
        aliases: dict[str, str] = {}
        for full, others in self.teams.items():
            for name in (full, *others):
                aliases.setdefault(team_key(name), full)
        return aliases

    def canonical_team(self, name: str) -> str | None:
        """The provider's full name for any known spelling of a team, else None."""
        return self._aliases.get(team_key(name))


BUILTIN_PROFILES: dict[str, SportProfile] = {
    profile.key: profile
    for profile in (
        SportProfile(
            key="basketball_nba",
            title="NBA",
            settlement="full_game",  # overtime counts
            game_length_hours=2.5,
            teams=NBA_TEAMS,
        ),
        SportProfile(
            key="soccer_epl",
            title="EPL",
            outcomes={"h2h": 3, "h2h_3_way": 3, "spreads": 2, "totals": 2},
            settlement="regulation",  # 90 minutes plus stoppage time; league games have no ET
            game_length_hours=2.0,
            teams=EPL_TEAMS,
        ),
        SportProfile(
            key="baseball_mlb",
            title="MLB",
            settlement="full_game",  # extra innings count
            game_length_hours=3.0,
            teams=MLB_TEAMS,
        ),
    )
}


def default_profile(sport_key: str) -> SportProfile:
    """The profile of a sport nobody described: two-way markets, the full game, three hours."""
    return SportProfile(key=sport_key, title=sport_key)


def load_profiles(path: Path | None) -> dict[str, SportProfile]:
    """The built-in profiles with a JSON or TOML file's overrides (``None``: built-ins only).

    Raises :class:`ConfigurationError` naming the file, the sport and the field at fault.
    """
    profiles = dict(BUILTIN_PROFILES)
    if path is None:
        return profiles
    for sport_key, fields in _read(path).items():
        if not isinstance(fields, dict):
            raise ConfigurationError(
                f"{path}: [{sport_key}] must be a table of profile fields, got {fields!r}"
            )
        base = profiles.get(sport_key) or default_profile(sport_key)
        merged: dict[str, Any] = {**base.model_dump(), **fields, "key": sport_key}
        try:
            profiles[sport_key] = SportProfile.model_validate(merged)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigurationError(f"{path}: sport {sport_key!r}: {problems}") from None
    return profiles


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"SPORT_PROFILES_FILE {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"SPORT_PROFILES_FILE {path} is not valid: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"SPORT_PROFILES_FILE {path}: expected sport keys at the top")
    return data


@lru_cache(maxsize=4)
def _configured(path: Path | None) -> dict[str, SportProfile]:
    return load_profiles(path)


def profile_for(sport_key: str, profiles: dict[str, SportProfile] | None = None) -> SportProfile:
    """The profile of ``sport_key``: from ``profiles`` if given, else the built-ins with the
    ``SPORT_PROFILES_FILE`` overrides; :func:`default_profile` for a sport in neither."""
    if profiles is None:
        from oddscore.config import get_settings

        profiles = _configured(get_settings().collection.sport_profiles_file)
    found = profiles.get(sport_key)
    return found if found is not None else default_profile(sport_key)

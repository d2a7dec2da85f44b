"""Team names: every spelling our sources use, mapped to the provider's full name.

The Odds API uses full franchise names ("Los Angeles Clippers"); the Kaggle results file uses
lowercase codes (``lac``), the SBR workbooks CamelCase cities (``LAClippers``), and people type
three-letter codes (``LAC``), nicknames ("Clippers") or the league's own "LA Clippers".
:func:`canonical_team` folds all of them to the full name, so that results and odds from
different sources meet on one key. The aliases are the sport profile's
(:mod:`oddscore.sports`), so a profiles file can add a sport's or correct one.

Example::

    >>> canonical_team("lac"), canonical_team("LA Clippers"), canonical_team("GoldenState")
    ('Los Angeles Clippers', 'Los Angeles Clippers', 'Golden State Warriors')
    >>> canonical_team("Man Utd", sport_key="soccer_epl")
    'Manchester United'
"""

from __future__ import annotations

from oddscore.sports import profile_for, team_key
from oddscore.sports.teams import NBA_TEAMS

__all__ = ["NBA_TEAMS", "canonical_team", "team_key"]


def canonical_team(name: str, *, sport_key: str = "basketball_nba") -> str | None:
    """The provider's full name for any known spelling of a team of the sport, else None."""
    return profile_for(sport_key).canonical_team(name)

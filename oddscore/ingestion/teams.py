"""NBA team names: every spelling our sources use, mapped to the provider's full name.

The Odds API uses full franchise names ("Los Angeles Clippers"); the Kaggle results file uses
lowercase codes (``lac``), the SBR workbooks CamelCase cities (``LAClippers``), and people type
three-letter codes (``LAC``), nicknames ("Clippers") or the league's own "LA Clippers".
:func:`canonical_team` folds all of them to the full name, so that results and odds from
different sources meet on one key.

Example::

    >>> canonical_team("lac"), canonical_team("LA Clippers"), canonical_team("GoldenState")
    ('Los Angeles Clippers', 'Los Angeles Clippers', 'Golden State Warriors')
"""

from __future__ import annotations

import re

__all__ = ["NBA_TEAMS", "canonical_team", "team_key"]

# full name -> (three-letter code, Kaggle code, SBR name, nickname, other spellings...)
NBA_TEAMS: dict[str, tuple[str, ...]] = {
    "Atlanta Hawks": ("ATL", "atl", "Atlanta", "Hawks"),
    "Boston Celtics": ("BOS", "bos", "Boston", "Celtics"),
    "Brooklyn Nets": ("BKN", "bkn", "Brooklyn", "Nets", "BRK", "New Jersey Nets", "NJN"),
    "Charlotte Hornets": ("CHA", "cha", "Charlotte", "Hornets", "CHO", "Charlotte Bobcats"),
    "Chicago Bulls": ("CHI", "chi", "Chicago", "Bulls"),
    "Cleveland Cavaliers": ("CLE", "cle", "Cleveland", "Cavaliers", "Cavs"),
    "Dallas Mavericks": ("DAL", "dal", "Dallas", "Mavericks", "Mavs"),
    "Denver Nuggets": ("DEN", "den", "Denver", "Nuggets"),
    "Detroit Pistons": ("DET", "det", "Detroit", "Pistons"),
    "Golden State Warriors": ("GSW", "gs", "GoldenState", "Warriors", "GS"),
    "Houston Rockets": ("HOU", "hou", "Houston", "Rockets"),
    "Indiana Pacers": ("IND", "ind", "Indiana", "Pacers"),
    "Los Angeles Clippers": ("LAC", "lac", "LAClippers", "Clippers", "LA Clippers"),
    "Los Angeles Lakers": ("LAL", "lal", "LALakers", "Lakers", "LA Lakers"),
    "Memphis Grizzlies": ("MEM", "mem", "Memphis", "Grizzlies"),
    "Miami Heat": ("MIA", "mia", "Miami", "Heat"),
    "Milwaukee Bucks": ("MIL", "mil", "Milwaukee", "Bucks"),
    "Minnesota Timberwolves": ("MIN", "min", "Minnesota", "Timberwolves", "Wolves"),
    "New Orleans Pelicans": ("NOP", "no", "NewOrleans", "Pelicans", "NO", "New Orleans Hornets"),
    "New York Knicks": ("NYK", "ny", "NewYork", "Knicks", "NY"),
    "Oklahoma City Thunder": ("OKC", "okc", "OklahomaCity", "Thunder"),
    "Orlando Magic": ("ORL", "orl", "Orlando", "Magic"),
    "Philadelphia 76ers": ("PHI", "phi", "Philadelphia", "76ers", "Sixers"),
    "Phoenix Suns": ("PHX", "phx", "Phoenix", "Suns", "PHO"),
    "Portland Trail Blazers": ("POR", "por", "Portland", "Trail Blazers", "Blazers"),
    "Sacramento Kings": ("SAC", "sac", "Sacramento", "Kings"),
    "San Antonio Spurs": ("SAS", "sa", "SanAntonio", "Spurs", "SA"),
    "Toronto Raptors": ("TOR", "tor", "Toronto", "Raptors"),
    "Utah Jazz": ("UTA", "utah", "Utah", "Jazz", "UTAH"),
    "Washington Wizards": ("WAS", "wsh", "Washington", "Wizards", "WSH"),
}


def team_key(name: str) -> str:
    """A spelling-insensitive key: "L.A. Clippers" -> "laclippers"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


_ALIASES: dict[str, str] = {}
for _full, _others in NBA_TEAMS.items():
    for _name in (_full, *_others):
        _ALIASES[team_key(_name)] = _full


def canonical_team(name: str) -> str | None:
    """The provider's full name for any known spelling of an NBA team, else None."""
    return _ALIASES.get(team_key(name))

"""What the simulated provider knows about: sports, teams, bookmakers, regions and markets.

Keys and titles follow The Odds API (reference sections 8-10). The bookmaker catalogue also
holds keys that only exist in historical data (``barstool``, ``wynnbet`` ...) so that a
replayed archive can be filtered by them; a key that is in no region here is refused with
``INVALID_BOOKMAKERS``, as the real service does for a key it does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oddscore.sports import teams as sports_teams

__all__ = [
    "ADDITIONAL_MARKETS",
    "BOOKMAKER_REGIONS",
    "BOOKMAKER_TITLES",
    "EPL_TEAMS",
    "FEATURED_MARKETS",
    "MLB_TEAMS",
    "NBA_SPORT_KEY",
    "NBA_TEAMS",
    "REGIONS",
    "SPORTS",
    "SportInfo",
    "bookmaker_title",
    "is_known_market",
    "region_of",
]

NBA_SPORT_KEY = "basketball_nba"

# Full names exactly as the provider spells them (not "LA Clippers").
NBA_TEAMS: tuple[str, ...] = (
    "Atlanta Hawks",
    "Boston Celtics",
    "Brooklyn Nets",
    "Charlotte Hornets",
    "Chicago Bulls",
    "Cleveland Cavaliers",
    "Dallas Mavericks",
    "Denver Nuggets",
    "Detroit Pistons",
    "Golden State Warriors",
    "Houston Rockets",
    "Indiana Pacers",
    "Los Angeles Clippers",
    "Los Angeles Lakers",
    "Memphis Grizzlies",
    "Miami Heat",
    "Milwaukee Bucks",
    "Minnesota Timberwolves",
    "New Orleans Pelicans",
    "New York Knicks",
    "Oklahoma City Thunder",
    "Orlando Magic",
    "Philadelphia 76ers",
    "Phoenix Suns",
    "Portland Trail Blazers",
    "Sacramento Kings",
    "San Antonio Spurs",
    "Toronto Raptors",
    "Utah Jazz",
    "Washington Wizards",
)

# The simulator's Premier League is the 2024-25 season's twenty clubs; MLB's thirty teams.
# Names as the provider spells them, from the sport profiles' team tables.
_NOT_IN_EPL_2024_25 = frozenset(
    {"Burnley", "Leeds United", "Luton Town", "Sheffield United", "Sunderland"}
)
EPL_TEAMS: tuple[str, ...] = tuple(
    t for t in sports_teams.EPL_TEAMS if t not in _NOT_IN_EPL_2024_25
)
MLB_TEAMS: tuple[str, ...] = tuple(sports_teams.MLB_TEAMS)


@dataclass(frozen=True, slots=True)
class SportInfo:
    key: str
    group: str
    title: str
    description: str
    active: bool
    has_outrights: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "group": self.group,
            "title": self.title,
            "description": self.description,
            "active": self.active,
            "has_outrights": self.has_outrights,
        }


# basketball_nba, soccer_epl and baseball_mlb have a market behind them; the others answer
# with empty lists (cost 0), which is what the real service does for a sport between rounds.
SPORTS: tuple[SportInfo, ...] = (
    SportInfo("americanfootball_nfl", "American Football", "NFL", "US Football", True),
    SportInfo("americanfootball_ncaaf", "American Football", "NCAAF", "US College Football", True),
    SportInfo("basketball_nba", "Basketball", "NBA", "US Basketball", True),
    SportInfo(
        "basketball_nba_championship_winner",
        "Basketball",
        "NBA Championship Winner",
        "Championship Winner",
        True,
        has_outrights=True,
    ),
    SportInfo("basketball_ncaab", "Basketball", "NCAAB", "US College Basketball", True),
    SportInfo("basketball_wnba", "Basketball", "WNBA", "US Basketball", False),
    SportInfo("icehockey_nhl", "Ice Hockey", "NHL", "US Ice Hockey", True),
    SportInfo("baseball_mlb", "Baseball", "MLB", "Major League Baseball", True),
    SportInfo("soccer_epl", "Soccer", "EPL", "English Premier League", True),
)

REGIONS: frozenset[str] = frozenset({"us", "us2", "uk", "au", "eu", "us_dfs", "us_ex", "fr", "se"})

# key -> (title, region). Legacy keys are in "us": the archive was recorded with regions=us.
_BOOKMAKERS: dict[str, tuple[str, str]] = {
    "pinnacle": ("Pinnacle", "eu"),
    "betfair_ex_eu": ("Betfair", "eu"),
    "betonlineag": ("BetOnline.ag", "us"),
    "betmgm": ("BetMGM", "us"),
    "betrivers": ("BetRivers", "us"),
    "betus": ("BetUS", "us"),
    "bovada": ("Bovada", "us"),
    "circasports": ("Circa Sports", "us"),
    "draftkings": ("DraftKings", "us"),
    "fanatics": ("Fanatics", "us"),
    "fanduel": ("FanDuel", "us"),
    "lowvig": ("LowVig.ag", "us"),
    "mybookieag": ("MyBookie.ag", "us"),
    "williamhill_us": ("Caesars", "us"),
    "ballybet": ("Bally Bet", "us2"),
    "betparx": ("betPARX", "us2"),
    "espnbet": ("ESPN BET", "us2"),
    "fliff": ("Fliff", "us2"),
    "hardrockbet": ("Hard Rock Bet", "us2"),
    "rebet": ("ReBet", "us2"),
    "williamhill": ("William Hill", "uk"),
    "betfair_ex_uk": ("Betfair", "uk"),
    "sportsbet": ("SportsBet", "au"),
    # Gone from the live service, present in historical data.
    "barstool": ("Barstool Sportsbook", "us"),
    "betfair": ("Betfair", "us"),
    "foxbet": ("FOX Bet", "us"),
    "gtbets": ("GTbets", "us"),
    "intertops": ("Intertops", "us"),
    "pointsbetus": ("PointsBet (US)", "us"),
    "sugarhouse": ("SugarHouse", "us"),
    "superbook": ("SuperBook", "us"),
    "twinspires": ("TwinSpires", "us"),
    "unibet": ("Unibet", "us"),
    "unibet_us": ("Unibet", "us"),
    "wynnbet": ("WynnBET", "us"),
    "sisportsbook": ("SI Sportsbook", "us2"),
    "tipico_us": ("Tipico", "us2"),
    "windcreek": ("Betfred", "us2"),
}
BOOKMAKER_TITLES: dict[str, str] = {key: title for key, (title, _) in _BOOKMAKERS.items()}
BOOKMAKER_REGIONS: dict[str, str] = {key: region for key, (_, region) in _BOOKMAKERS.items()}

FEATURED_MARKETS: frozenset[str] = frozenset({"h2h", "spreads", "totals", "outrights"})
# Non-featured keys the event-odds endpoints accept (reference section 10).
ADDITIONAL_MARKETS: frozenset[str] = frozenset(
    {
        "h2h_lay",
        "outrights_lay",
        "h2h_3_way",
        "draw_no_bet",
        "btts",
        "alternate_spreads",
        "alternate_totals",
        "team_totals",
        "alternate_team_totals",
        "player_points",
        "player_rebounds",
        "player_assists",
        "player_threes",
        "player_blocks",
        "player_steals",
        "player_turnovers",
        "player_points_rebounds_assists",
        "player_points_rebounds",
        "player_points_assists",
        "player_rebounds_assists",
        "player_double_double",
        "player_first_basket",
    }
)
# Period markets: h2h_q1, spreads_h1, totals_p3, ... and their alternates.
_PERIOD_MARKET = re.compile(
    r"^(alternate_)?(h2h|spreads|totals|team_totals)(_3_way)?_(q[1-4]|h[12]|p[1-3])$"
)
_PLAYER_ALTERNATE = re.compile(r"^player_[a-z_]+_alternate$")


def is_known_market(key: str) -> bool:
    """Whether the event-odds endpoints accept ``key`` (featured, additional, period, alt)."""
    return (
        key in FEATURED_MARKETS
        or key in ADDITIONAL_MARKETS
        or bool(_PERIOD_MARKET.match(key))
        or bool(_PLAYER_ALTERNATE.match(key))
    )


def bookmaker_title(key: str) -> str:
    return BOOKMAKER_TITLES.get(key, key.replace("_", " ").title())


def region_of(key: str) -> str:
    """The region a bookmaker is billed and listed under; unknown keys count as ``us``."""
    return BOOKMAKER_REGIONS.get(key, "us")

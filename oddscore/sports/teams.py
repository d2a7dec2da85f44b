"""Team names per sport: the provider's full name, then every other spelling our sources use.

The Odds API names teams in full ("Los Angeles Clippers", "Brighton and Hove Albion",
"St. Louis Cardinals"); results files, workbooks and people use codes, cities and nicknames.
These tables are the built-in aliases of the sport profiles (``SportProfile.teams``); a
profiles file may replace or extend them.
"""

from __future__ import annotations

__all__ = ["EPL_TEAMS", "MLB_TEAMS", "NBA_TEAMS"]

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

# Clubs of the Premier League seasons 2022-23 to 2025-26, under the provider's names.
EPL_TEAMS: dict[str, tuple[str, ...]] = {
    "Arsenal": ("ARS", "Arsenal FC", "Gunners"),
    "Aston Villa": ("AVL", "Villa"),
    "Bournemouth": ("BOU", "AFC Bournemouth"),
    "Brentford": ("BRE", "Brentford FC"),
    "Brighton and Hove Albion": ("BHA", "Brighton", "Brighton & Hove Albion"),
    "Burnley": ("BUR", "Burnley FC"),
    "Chelsea": ("CHE", "Chelsea FC"),
    "Crystal Palace": ("CRY", "Palace"),
    "Everton": ("EVE", "Everton FC"),
    "Fulham": ("FUL", "Fulham FC"),
    "Ipswich Town": ("IPS", "Ipswich"),
    "Leeds United": ("LEE", "Leeds"),
    "Leicester City": ("LEI", "Leicester"),
    "Liverpool": ("LIV", "Liverpool FC"),
    "Luton Town": ("LUT", "Luton"),
    "Manchester City": ("MCI", "Man City", "Man. City"),
    "Manchester United": ("MUN", "Man United", "Man Utd", "Man. United"),
    "Newcastle United": ("NEW", "Newcastle"),
    "Nottingham Forest": ("NFO", "Nott'm Forest", "Forest"),
    "Sheffield United": ("SHU", "Sheffield Utd"),
    "Southampton": ("SOU", "Southampton FC"),
    "Sunderland": ("SUN", "Sunderland AFC"),
    "Tottenham Hotspur": ("TOT", "Tottenham", "Spurs"),
    "West Ham United": ("WHU", "West Ham"),
    "Wolverhampton Wanderers": ("WOL", "Wolves", "Wolverhampton"),
}

MLB_TEAMS: dict[str, tuple[str, ...]] = {
    "Arizona Diamondbacks": ("ARI", "Diamondbacks", "D-backs"),
    "Atlanta Braves": ("ATL", "Braves"),
    "Baltimore Orioles": ("BAL", "Orioles"),
    "Boston Red Sox": ("BOS", "Red Sox"),
    "Chicago Cubs": ("CHC", "Cubs"),
    "Chicago White Sox": ("CWS", "CHW", "White Sox"),
    "Cincinnati Reds": ("CIN", "Reds"),
    "Cleveland Guardians": ("CLE", "Guardians", "Cleveland Indians"),
    "Colorado Rockies": ("COL", "Rockies"),
    "Detroit Tigers": ("DET", "Tigers"),
    "Houston Astros": ("HOU", "Astros"),
    "Kansas City Royals": ("KC", "KCR", "Royals"),
    "Los Angeles Angels": ("LAA", "Angels"),
    "Los Angeles Dodgers": ("LAD", "Dodgers"),
    "Miami Marlins": ("MIA", "Marlins"),
    "Milwaukee Brewers": ("MIL", "Brewers"),
    "Minnesota Twins": ("MIN", "Twins"),
    "New York Mets": ("NYM", "Mets"),
    "New York Yankees": ("NYY", "Yankees"),
    "Oakland Athletics": ("OAK", "ATH", "Athletics", "A's"),
    "Philadelphia Phillies": ("PHI", "Phillies"),
    "Pittsburgh Pirates": ("PIT", "Pirates"),
    "San Diego Padres": ("SD", "SDP", "Padres"),
    "San Francisco Giants": ("SF", "SFG", "Giants"),
    "Seattle Mariners": ("SEA", "Mariners"),
    "St. Louis Cardinals": ("STL", "Cardinals", "St Louis Cardinals"),
    "Tampa Bay Rays": ("TB", "TBR", "Rays"),
    "Texas Rangers": ("TEX", "Rangers"),
    "Toronto Blue Jays": ("TOR", "Blue Jays"),
    "Washington Nationals": ("WSH", "WAS", "Nationals"),
}

"""The synthetic MLB: moneylines, run lines of 1.5, run totals, and doubleheaders.

Every US date has 11 to 15 games; most start in the evening (6:40 to 10:10 pm Eastern) and
about a quarter are day games (1:05 to 4:10 pm). Now and then two teams play twice on one
date (a split doubleheader: 1:05 pm and 6:40 pm). A game level after nine innings goes to
extra innings until one side leads after a full inning, so there is never a draw; the score
the books settle on includes the extra innings.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from oddscore.simulator.books import BookProfile
from oddscore.simulator.catalog import MLB_TEAMS
from oddscore.simulator.count_market import CountMarket, local_kickoff
from oddscore.simulator.goals import (
    Distribution,
    count_draw,
    line_probability,
    nearest_even_line,
    poisson,
)
from oddscore.simulator.market import BookQuote, Game
from oddscore.simulator.pricing import quote_two_way
from oddscore.simulator.rng import mix, salt, uniform

__all__ = ["MLB_SPORT_KEY", "BaseballMarket"]

MLB_SPORT_KEY = "baseball_mlb"
EASTERN = ZoneInfo("America/New_York")
_S_GAMES, _S_ORDER, _S_SLOT, _S_RUNS, _S_TIMING, _S_DOUBLE = (
    salt(s) for s in ("mlb-games", "mlb-order", "mlb-slot", "runs", "mlb-timing", "double")
)
_DAY_SLOTS = ((13, 5), (13, 10), (13, 35), (14, 20), (16, 10))
_EVENING_SLOTS = ((18, 40), (19, 5), (19, 10), (19, 40), (20, 10), (21, 40), (22, 10))
_DAY_GAME_SHARE = 0.25
_DOUBLEHEADER_SHARE = 0.12  # dates with one doubleheader
_DOUBLEHEADER_SLOTS = ((13, 5), (18, 40))
_EXTRA_INNING_RATE = 0.55  # runs per team per extra inning (the runner starts on second)
_EXTRA_INNING_MINUTES = 18
_RUN_LINE = 1.5
_TOTALS = tuple(k / 2 for k in range(11, 27))  # 5.5 to 13
_HOME_WINS_EXTRAS = 0.52  # the home side bats last


class BaseballMarket(CountMarket):
    """The synthetic MLB for one seed (same interface as the NBA's ``SyntheticMarket``)."""

    sport_key = MLB_SPORT_KEY
    sport_title = "MLB"
    teams = MLB_TEAMS
    rating_sd = 0.5  # runs of margin
    home_advantage = 0.15
    league_total = 8.7
    total_spread = 0.9
    open_error = (0.3, 0.6)
    wiggle = (0.08, 0.2)
    noise_scale = 0.15
    dispersion = 4.0  # runs per team vary about twice as much as a Poisson's

    def _make_day(self, ordinal: int) -> tuple[Game, ...]:
        day = date.fromordinal(ordinal)
        seed = self.id_seed
        count = 11 + int(uniform(seed, _S_GAMES, ordinal) * 5)
        order = sorted(range(len(self.teams)), key=lambda i: mix(seed, _S_ORDER, ordinal, i))
        doubleheader = uniform(seed, _S_DOUBLE, ordinal) < _DOUBLEHEADER_SHARE
        games: list[Game] = []
        for index in range(count):
            teams = (order[2 * index], order[2 * index + 1])
            key = mix(seed, _S_SLOT, ordinal, index)
            slots: tuple[tuple[int, int], ...]
            if doubleheader and index == 0:
                slots = _DOUBLEHEADER_SLOTS
            elif uniform(key, 1) < _DAY_GAME_SHARE:
                slots = (_DAY_SLOTS[int(uniform(key, 2) * len(_DAY_SLOTS))],)
            else:
                slots = (_EVENING_SLOTS[int(uniform(key, 3) * len(_EVENING_SLOTS))],)
            for game_number, (hour, minute) in enumerate(slots):
                # The second game of a doubleheader is index ``count`` (ids stay unique).
                number = index if game_number == 0 else count
                timing = mix(seed, _S_TIMING, ordinal, number)
                games.append(
                    self.count_game(
                        ordinal,
                        number,
                        teams,
                        local_kickoff(day, hour, minute, EASTERN),
                        start_delay=timedelta(seconds=int(uniform(timing, 1) * 300)),
                        length=timedelta(minutes=150 + int(uniform(timing, 2) * 40)),
                    )
                )
        return tuple(sorted(games, key=lambda g: (g.commence_time, g.id)))

    def result(self, key: int, home_rate: float, away_rate: float) -> tuple[int, int, int]:
        home = count_draw(self.counts(home_rate), uniform(key, _S_RUNS, 1))
        away = count_draw(self.counts(away_rate), uniform(key, _S_RUNS, 2))
        inning = 0
        away_extra, home_extra = poisson(_EXTRA_INNING_RATE), poisson(_EXTRA_INNING_RATE * 1.04)
        while home == away:
            inning += 1
            away += count_draw(away_extra, uniform(key, _S_RUNS, 3, inning))
            home += count_draw(home_extra, uniform(key, _S_RUNS, 4, inning))
        return home, away, inning * _EXTRA_INNING_MINUTES

    def win_probabilities(self, margin: float, total: float) -> tuple[float, float]:
        return self._home_wins(self.distributions(margin, total)[0]), 0.0

    def _home_wins(self, diff: Distribution) -> float:
        p_home, p_tied, _ = self.outcomes_of(diff)
        return p_home + _HOME_WINS_EXTRAS * p_tied

    def _quote(
        self, book: BookProfile, updated: datetime, margin: float, total: float
    ) -> BookQuote:
        diff, runs = self.distributions(margin, total)
        p_home = self._home_wins(diff)
        # The favourite gives 1.5 runs; a game won in extra innings is won by one run or so,
        # which the regulation difference already counts as not covering.
        point = -_RUN_LINE if p_home >= 0.5 else _RUN_LINE
        total_line = -nearest_even_line(runs, tuple(-t for t in _TOTALS))
        return BookQuote(
            book=book,
            last_update=updated,
            h2h=quote_two_way(p_home, book.h2h_margin),
            spread_point=point,
            spreads=quote_two_way(line_probability(diff, point), book.line_margin),
            total_point=total_line + 0.0,
            totals=quote_two_way(line_probability(runs, -total_line), book.line_margin),
        )

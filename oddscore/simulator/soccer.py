"""The synthetic English Premier League: three-way h2h, Asian handicaps, goal totals.

Rounds are ten matches. Every weekend has one, kicking off at the usual UK times (Saturday
12:30, 15:00 and 17:30, Sunday 14:00 and 16:30, now and then Friday or Monday 20:00);
about one week in three also has a midweek round (Tuesday and Wednesday 19:30 and 20:00).
Scores are the 90 minutes plus stoppage time, the result the books settle on: a level
score is a draw, never extra time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from oddscore.simulator.books import BookProfile
from oddscore.simulator.catalog import EPL_TEAMS
from oddscore.simulator.count_market import CountMarket, local_kickoff
from oddscore.simulator.goals import count_draw, line_probability, nearest_even_line
from oddscore.simulator.market import BookQuote, Game
from oddscore.simulator.pricing import quote_two_way
from oddscore.simulator.rng import mix, salt, uniform

__all__ = ["EPL_SPORT_KEY", "SoccerMarket"]

EPL_SPORT_KEY = "soccer_epl"
UK = ZoneInfo("Europe/London")
_S_ROUND, _S_ORDER, _S_SLOTS, _S_GOALS, _S_TIMING = (
    salt(s) for s in ("round", "order", "slots", "goals", "timing")
)
_MIDWEEK_SHARE = 0.3
# Asian handicaps from -3 to +3 goals and totals from 1.5 to 4.5, in quarters.
_HANDICAPS = tuple(k / 4 for k in range(-12, 13))
_TOTALS = tuple(k / 4 for k in range(6, 19))
_MIN_P = 0.02  # keep a long shot's price finite

# (days after the round's anchor, UK hour, minute) of a weekend round anchored on Saturday:
# the ten slots of a typical round; the first and last are sometimes moved to Fri/Mon.
_WEEKEND = (
    (0, 12, 30),
    (0, 15, 0),
    (0, 15, 0),
    (0, 15, 0),
    (0, 15, 0),
    (0, 17, 30),
    (1, 14, 0),
    (1, 14, 0),
    (1, 16, 30),
    (0, 15, 0),
)
_FRIDAY, _MONDAY = (-1, 20, 0), (2, 20, 0)
# A midweek round anchored on Tuesday.
_MIDWEEK = (
    (0, 19, 30),
    (0, 19, 30),
    (0, 20, 0),
    (0, 20, 0),
    (0, 20, 0),
    (1, 19, 30),
    (1, 19, 30),
    (1, 20, 0),
    (1, 20, 0),
    (1, 20, 0),
)


class SoccerMarket(CountMarket):
    """The synthetic EPL for one seed (same interface as the NBA's ``SyntheticMarket``)."""

    sport_key = EPL_SPORT_KEY
    sport_title = "EPL"
    teams = EPL_TEAMS
    rating_sd = 0.45  # goals of margin
    home_advantage = 0.3
    league_total = 2.8
    total_spread = 0.25
    open_error = (0.15, 0.2)
    wiggle = (0.05, 0.08)
    noise_scale = 0.06
    max_count = 14

    def _round_slots(self, anchor: int, midweek: bool) -> list[tuple[int, int, int]]:
        if midweek:
            return list(_MIDWEEK)
        slots = list(_WEEKEND)
        if uniform(self.id_seed, _S_SLOTS, anchor, 1) < 0.35:
            slots[-1] = _MONDAY
        if uniform(self.id_seed, _S_SLOTS, anchor, 2) < 0.25:
            slots[0] = _FRIDAY
        return slots

    def _make_day(self, ordinal: int) -> tuple[Game, ...]:
        day = date.fromordinal(ordinal)
        weekday = day.weekday()  # Monday 0 ... Sunday 6
        # The round a day's matches belong to: the weekend's (Friday to Monday, anchored on
        # Saturday) or the midweek's (Tuesday and Wednesday, anchored on Tuesday).
        rounds: list[tuple[int, bool]] = []
        if weekday in (4, 5, 6, 0):
            rounds.append((ordinal + {4: 1, 5: 0, 6: -1, 0: -2}[weekday], False))
        if weekday in (1, 2):
            anchor = ordinal - (weekday - 1)
            if uniform(self.id_seed, _S_ROUND, anchor) < _MIDWEEK_SHARE:
                rounds.append((anchor, True))
        games: list[Game] = []
        for anchor, midweek in rounds:
            order = sorted(
                range(len(self.teams)),
                key=lambda i: mix(self.id_seed, _S_ORDER, anchor, int(midweek), i),
            )
            for index, (offset, hour, minute) in enumerate(self._round_slots(anchor, midweek)):
                if anchor + offset != ordinal:
                    continue
                key = mix(self.id_seed, _S_TIMING, ordinal, index)
                games.append(
                    self.count_game(
                        ordinal,
                        index,
                        (order[2 * index], order[2 * index + 1]),
                        local_kickoff(day, hour, minute, UK),
                        start_delay=timedelta(seconds=int(uniform(key, 1) * 120)),
                        length=timedelta(minutes=108 + int(uniform(key, 2) * 10)),
                    )
                )
        return tuple(sorted(games, key=lambda g: (g.commence_time, g.id)))

    def result(self, key: int, home_rate: float, away_rate: float) -> tuple[int, int, int]:
        home = count_draw(self.counts(home_rate), uniform(key, _S_GOALS, 1))
        away = count_draw(self.counts(away_rate), uniform(key, _S_GOALS, 2))
        return home, away, 0

    def _quote(
        self, book: BookProfile, updated: datetime, margin: float, total: float
    ) -> BookQuote:
        diff, goals = self.distributions(margin, total)
        p_home, p_draw, p_away = (max(_MIN_P, p) for p in self.outcomes_of(diff))
        scale = (1.0 + book.h2h_margin) / (p_home + p_draw + p_away)
        handicap = nearest_even_line(diff, _HANDICAPS)
        total_line = -nearest_even_line(goals, tuple(-t for t in _TOTALS))
        return BookQuote(
            book=book,
            last_update=updated,
            h2h=(p_home * scale, p_away * scale),
            spread_point=handicap + 0.0,
            spreads=quote_two_way(line_probability(diff, handicap), book.line_margin),
            total_point=total_line + 0.0,
            totals=quote_two_way(line_probability(goals, -total_line), book.line_margin),
            draw=p_draw * scale,
        )

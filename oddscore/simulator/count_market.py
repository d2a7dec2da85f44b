"""What soccer and baseball markets share: games whose scores are two Poisson counts.

The truth of a game is its two scoring rates (the expected margin and total in goals or
runs); the market's opinion and the books' noise work as for the NBA (``market.py``), on a
smaller scale. A sport module says when games are played, how a tie is settled and which
lines its books post.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from oddscore.simulator.goals import (
    Distribution,
    difference_and_total,
    negative_binomial,
    poisson,
)
from oddscore.simulator.market import Game, SyntheticMarket, Truth, event_id_of
from oddscore.simulator.rng import mix, normal, salt, uniform

__all__ = ["CountMarket", "local_kickoff"]

_S_MU, _S_TOTAL, _S_ERR, _S_WIGGLE = (salt(s) for s in ("count-mu", "count-total", "err", "wig"))
_MIN_RATE = 0.15


def local_kickoff(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock start (summer time included) as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


class CountMarket(SyntheticMarket):
    """A synthetic market of a low-scoring sport; subclasses give the schedule and the lines."""

    home_advantage: float = 0.0  # goals or runs
    league_total: float = 0.0
    total_spread: float = 0.0  # how much a game's expected total varies around the league's
    open_error: tuple[float, float] = (0.0, 0.0)  # the opening opinion's (margin, total) error
    max_count: int = 30  # scores past this are too unlikely to matter
    dispersion: float | None = None  # negative binomial size; None for Poisson scores

    def counts(self, rate: float) -> list[float]:
        """The distribution of one team's score at a scoring rate."""
        if self.dispersion is None:
            return poisson(rate, self.max_count)
        return negative_binomial(rate, self.dispersion, self.max_count)

    def distributions(self, margin: float, total: float) -> tuple[Distribution, Distribution]:
        """The distributions of (home minus away, home plus away) of an expected score."""
        home, away = self.rates(margin, total)
        home_p, away_p = self.counts(home), self.counts(away)
        return difference_and_total(home_p, away_p)

    def rates(self, margin: float, total: float) -> tuple[float, float]:
        """Home and away scoring rates of an expected (margin, total)."""
        return (
            max(_MIN_RATE, (total + margin) / 2.0),
            max(_MIN_RATE, (total - margin) / 2.0),
        )

    def outcome_probabilities(self, margin: float, total: float) -> tuple[float, float, float]:
        """P(home wins), P(draw), P(away wins) at the final whistle (regulation scores)."""
        return self.outcomes_of(self.distributions(margin, total)[0])

    @staticmethod
    def outcomes_of(diff: Distribution) -> tuple[float, float, float]:
        """P(home wins), P(draw), P(away wins) of a distribution of the margin."""
        p_home, p_draw = diff.above(0), diff.at(0)
        return p_home, p_draw, 1.0 - p_home - p_draw

    def result(self, key: int, home_rate: float, away_rate: float) -> tuple[int, int, int]:
        """(home score, away score, minutes the game ran over) drawn from the truth."""
        raise NotImplementedError

    def win_probabilities(self, margin: float, total: float) -> tuple[float, float]:
        """P(home wins) and P(draw) of the result the books settle on."""
        p_home, p_draw, _ = self.outcome_probabilities(margin, total)
        return p_home, p_draw

    def count_game(
        self,
        ordinal: int,
        index: int,
        teams: tuple[int, int],
        commence: datetime,
        *,
        start_delay: timedelta,
        length: timedelta,
    ) -> Game:
        """Game ``index`` of the day ``ordinal``: its truth, result and timing."""
        key = mix(self.id_seed, ordinal, index)
        event_id = event_id_of(self.id_seed, ordinal, index)
        home_team, away_team = self.teams[teams[0]], self.teams[teams[1]]
        mu = self.ratings[home_team] - self.ratings[away_team] + self.home_advantage
        mu += 0.3 * self.rating_sd * normal(key, _S_MU)
        expected_total = max(0.5, self.league_total + self.total_spread * normal(key, _S_TOTAL))
        home_rate, away_rate = self.rates(mu, expected_total)
        home_score, away_score, overtime = self.result(key, home_rate, away_rate)
        p_home, p_draw = self.win_probabilities(mu, expected_total)
        tip = commence + start_delay
        truth = Truth(
            event_id=event_id,
            home_team=home_team,
            away_team=away_team,
            commence_time=commence,
            home_win_prob=p_home,
            expected_margin=mu,
            expected_total=expected_total,
            margin_sd=math.sqrt(home_rate + away_rate),
            total_sd=math.sqrt(home_rate + away_rate),
            home_score=home_score,
            away_score=away_score,
            draw_prob=p_draw,
        )
        return Game(
            id=event_id,
            key=key,
            home_team=home_team,
            away_team=away_team,
            commence_time=commence,
            tip_time=tip,
            end_time=tip + length + timedelta(minutes=overtime),
            truth=truth,
            open_error_margin=self.open_error[0] * normal(key, _S_ERR, 1),
            open_error_total=self.open_error[1] * normal(key, _S_ERR, 2),
            phases=tuple(2.0 * math.pi * uniform(key, _S_WIGGLE, i) for i in range(6)),
            sport_key=self.sport_key,
            sport_title=self.sport_title,
        )

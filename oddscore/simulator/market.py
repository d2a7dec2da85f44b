"""A synthetic NBA market whose truth is known, so backtests can be checked against it.

Everything is a pure function of ``seed`` and the instant asked about: the schedule of a US
night, each game's hidden truth (expected margin and total, hence the home win probability,
and the final score drawn from that distribution), the market's opinion at any time, and
each book's quote at its latest update. Nothing is simulated forward, so a historical
snapshot is exactly what the live endpoint answered at that instant, and the demo can move a
frozen clock forward or backward freely.

The market's opinion starts off the truth (about 1.8 points of margin and 3.5 of total, plus
slow wiggles) and the error shrinks to 30% of that by tip-off; each book quotes the opinion
as it was ``lag`` ago, plus noise of its own, with its margin applied (see ``books.py``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from oddscore.simulator.books import DEFAULT_BOOK_PROFILES, BookProfile, profiles_for
from oddscore.simulator.catalog import NBA_SPORT_KEY, NBA_TEAMS
from oddscore.simulator.pricing import normal_cdf, quote_two_way, round_half
from oddscore.simulator.rng import mix, normal, salt, uniform

__all__ = [
    "BookQuote",
    "Game",
    "GameState",
    "MARGIN_SD",
    "SNAPSHOT_INTERVAL",
    "SyntheticMarket",
    "TOTAL_SD",
    "Truth",
]

MARGIN_SD = 12.0  # final home margin around its expectation, NBA-like
TOTAL_SD = 18.0
HOME_ADVANTAGE = 2.5
LEAGUE_TOTAL = 228.0
LISTING_HORIZON = timedelta(days=7)  # how far ahead /events lists games
SNAPSHOT_INTERVAL = timedelta(minutes=5)  # historical snapshots, as the provider since 2022
# Tip-off slots, minutes after 23:00 UTC of the US date (7:30 pm to 11:30 pm Eastern).
_SLOTS = (30, 60, 70, 90, 120, 150, 180, 210, 240, 270)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHE_LIMIT = 20_000  # quotes kept: about 1 kB each

# Salts that keep the different draws of one coordinate independent.
_S_GAMES, _S_ORDER, _S_SLOT, _S_RATING = (salt(s) for s in ("games", "order", "slot", "rating"))
_S_MU, _S_TOTAL, _S_RESULT, _S_TIP, _S_LENGTH = (
    salt(s) for s in ("mu", "total", "result", "tip", "length")
)
_S_ERR, _S_WIGGLE, _S_BOOK, _S_SNAP = (salt(s) for s in ("err", "wiggle", "book", "snapshot"))
_WIGGLE_PERIODS_H = (7.0, 19.0, 43.0)


@dataclass(frozen=True, slots=True)
class Truth:
    """What the market does not know: the game's real distribution and its result."""

    event_id: str
    home_team: str
    away_team: str
    commence_time: datetime
    home_win_prob: float
    expected_margin: float  # home minus away
    expected_total: float
    margin_sd: float
    total_sd: float
    home_score: int
    away_score: int
    draw_prob: float = 0.0  # a three-way sport's chance of a draw (0 where there is none)

    @property
    def home_won(self) -> bool:
        return self.home_score > self.away_score


@dataclass(frozen=True, slots=True)
class Game:
    id: str
    key: int  # hash coordinate of the game for its random draws
    home_team: str
    away_team: str
    commence_time: datetime  # scheduled tip-off
    tip_time: datetime  # actual tip-off (the provider then reports it as commence_time)
    end_time: datetime
    truth: Truth
    open_error_margin: float
    open_error_total: float
    phases: tuple[float, ...]
    sport_key: str = NBA_SPORT_KEY
    sport_title: str = "NBA"


@dataclass(frozen=True, slots=True)
class GameState:
    """A game at one instant: the commence time shown, status and the scores so far."""

    commence_time: datetime
    started: bool
    completed: bool
    home_score: int | None
    away_score: int | None
    last_update: datetime | None


@dataclass(frozen=True, slots=True)
class BookQuote:
    """One book's prices for one game: implied probabilities with its margin included."""

    book: BookProfile
    last_update: datetime
    h2h: tuple[float, float]  # home, away
    spread_point: float  # the home team's point (-5.5 = home gives 5.5)
    spreads: tuple[float, float]  # home, away
    total_point: float
    totals: tuple[float, float]  # over, under
    draw: float | None = None  # the h2h Draw of a three-way sport


def event_id_of(seed: int, day: int, index: int) -> str:
    """32 hex characters that look random but carry (day, index) for a stateless lookup."""
    head = hashlib.blake2b(f"{seed}:{day}:{index}".encode(), digest_size=12).digest()
    mask = int.from_bytes(hashlib.blake2b(head, digest_size=4).digest(), "big")
    return head.hex() + f"{((day << 4) | index) ^ mask:08x}"


def _decode_event_id(event_id: str) -> tuple[int, int] | None:
    try:
        head = bytes.fromhex(event_id[:24])
        tail = int(event_id[24:], 16)
    except ValueError:
        return None
    mask = int.from_bytes(hashlib.blake2b(head, digest_size=4).digest(), "big")
    value = tail ^ mask
    return value >> 4, value & 0xF


def _seconds(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


def _at(seconds: float) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class SyntheticMarket:
    """The synthetic NBA market for one seed (other sports subclass it: ``soccer.py``...).

    Example::

        market = SyntheticMarket(seed=7)
        game = market.upcoming(now)[0]
        market.truth(game.id).home_win_prob      # what the books are trying to price
        market.quotes(game, now)                 # every configured book's current quote
    """

    sport_key: str = NBA_SPORT_KEY
    sport_title: str = "NBA"
    teams: tuple[str, ...] = NBA_TEAMS
    rating_sd: float = 4.0  # team strength, in points of margin
    wiggle: tuple[float, float] = (0.7, 1.2)  # slow moves of the (margin, total) opinion
    noise_scale: float = 1.0  # a book's ``noise`` is in NBA points; other sports scale it

    def __init__(
        self,
        seed: int = 0,
        bookmakers: Iterable[str | BookProfile] = tuple(DEFAULT_BOOK_PROFILES),
    ) -> None:
        self.seed = seed
        self.books: tuple[BookProfile, ...] = profiles_for(bookmakers)
        self.book_keys = frozenset(book.key for book in self.books)
        # The NBA keeps the bare seed, so its games and ids are what they always were;
        # another sport's draws and ids are salted with its key (no id is shared).
        self.id_seed = seed if self.sport_key == NBA_SPORT_KEY else mix(seed, salt(self.sport_key))
        teams = self.teams
        ratings = [self.rating_sd * normal(self.id_seed, _S_RATING, i) for i in range(len(teams))]
        mean = sum(ratings) / len(ratings)
        self.ratings: dict[str, float] = {
            team: rating - mean for team, rating in zip(teams, ratings, strict=True)
        }
        self._days: dict[int, tuple[Game, ...]] = {}
        self._quotes: dict[tuple[int, str, int], BookQuote] = {}
        self._openings: dict[tuple[int, str], tuple[float, int, float, float]] = {}
        self._max_open = max((b.opens_before for b in self.books), default=timedelta(0))

    # -- schedule -------------------------------------------------------------------------

    def games_on(self, day: date) -> tuple[Game, ...]:
        """The games of one US date (tip-offs from 23:30 that date to 03:30 UTC the next)."""
        ordinal = day.toordinal()
        games = self._days.get(ordinal)
        if games is None:
            if len(self._days) > 5_000:
                self._days.clear()
            games = self._make_day(ordinal)
            self._days[ordinal] = games
        return games

    def _make_day(self, ordinal: int) -> tuple[Game, ...]:
        seed = self.seed
        count = 4 + int(uniform(seed, _S_GAMES, ordinal) * 9)  # 4-12 games a night
        order = sorted(range(len(NBA_TEAMS)), key=lambda i: mix(seed, _S_ORDER, ordinal, i))
        base = datetime.fromordinal(ordinal).replace(tzinfo=UTC) + timedelta(hours=23)
        games = [
            self._make_game(ordinal, index, order[2 * index], order[2 * index + 1], base)
            for index in range(count)
        ]
        return tuple(sorted(games, key=lambda g: (g.commence_time, g.id)))

    def _make_game(self, ordinal: int, index: int, home: int, away: int, base: datetime) -> Game:
        seed = self.seed
        key = mix(seed, ordinal, index)
        event_id = event_id_of(seed, ordinal, index)
        home_team, away_team = NBA_TEAMS[home], NBA_TEAMS[away]
        slot = _SLOTS[int(uniform(key, _S_SLOT) * len(_SLOTS))]
        commence = base + timedelta(minutes=slot)

        mu = self.ratings[home_team] - self.ratings[away_team] + HOME_ADVANTAGE
        mu += 1.5 * normal(key, _S_MU)
        total = LEAGUE_TOTAL + 6.0 * normal(key, _S_TOTAL)
        # The result is one draw from the truth's distribution; the winner is decided by the
        # continuous margin so that P(home wins) is exactly Phi(mu / sd).
        raw_margin = mu + MARGIN_SD * normal(key, _S_RESULT, 1)
        margin = max(1, round(abs(raw_margin))) * (1 if raw_margin > 0 else -1)
        points = max(150, round(total + TOTAL_SD * normal(key, _S_RESULT, 2)), abs(margin) + 140)
        if (points - margin) % 2:
            points += 1
        home_score, away_score = (points + margin) // 2, (points - margin) // 2

        tip = commence + timedelta(seconds=300 + int(uniform(key, _S_TIP) * 420))
        length = timedelta(minutes=130 + int(uniform(key, _S_LENGTH) * 30))
        if abs(raw_margin) < 1.0:
            length += timedelta(minutes=20)  # went to overtime
        truth = Truth(
            event_id=event_id,
            home_team=home_team,
            away_team=away_team,
            commence_time=commence,
            home_win_prob=normal_cdf(mu / MARGIN_SD),
            expected_margin=mu,
            expected_total=total,
            margin_sd=MARGIN_SD,
            total_sd=TOTAL_SD,
            home_score=home_score,
            away_score=away_score,
        )
        return Game(
            id=event_id,
            key=key,
            home_team=home_team,
            away_team=away_team,
            commence_time=commence,
            tip_time=tip,
            end_time=tip + length,
            truth=truth,
            open_error_margin=1.8 * normal(key, _S_ERR, 1),
            open_error_total=3.5 * normal(key, _S_ERR, 2),
            phases=tuple(2.0 * math.pi * uniform(key, _S_WIGGLE, i) for i in range(6)),
        )

    def games_between(self, start: datetime, end: datetime) -> list[Game]:
        """Games whose scheduled tip-off is in ``[start, end)``, in tip-off order."""
        first = (start - timedelta(days=1)).date().toordinal()
        last = end.date().toordinal()
        found: list[Game] = []
        for ordinal in range(first, last + 1):
            for game in self.games_on(date.fromordinal(ordinal)):
                if start <= game.commence_time < end:
                    found.append(game)
        return found

    def game(self, event_id: str) -> Game | None:
        """The game with this id, or None (ids are decoded, not looked up)."""
        decoded = _decode_event_id(event_id)
        if decoded is None:
            return None
        ordinal, index = decoded
        if (
            not 1 <= ordinal <= date.max.toordinal()
            or event_id_of(self.id_seed, ordinal, index) != event_id
        ):
            return None
        return next((g for g in self.games_on(date.fromordinal(ordinal)) if g.id == event_id), None)

    def truth(self, event_id: str) -> Truth:
        """The hidden truth of a game (raises ``KeyError`` for an unknown id)."""
        game = self.game(event_id)
        if game is None:
            raise KeyError(event_id)
        return game.truth

    # -- what the endpoints list ----------------------------------------------------------

    def listed(self, at: datetime) -> list[Game]:
        """Live and upcoming games (``/events``): started but unfinished, or within 7 days."""
        games = self.games_between(at - timedelta(hours=6), at + LISTING_HORIZON)
        return [g for g in games if g.end_time > at]

    def upcoming(self, at: datetime) -> list[Game]:
        """Games not started yet that at least one configured book could be pricing."""
        return self.games_between(at + timedelta(microseconds=1), at + self._max_open)

    def completed(self, at: datetime, since: datetime) -> list[Game]:
        """Games finished by ``at`` whose tip-off was at or after ``since``."""
        return [g for g in self.games_between(since, at) if g.end_time <= at]

    def state(self, game: Game, at: datetime) -> GameState:
        """Status and score of a game at ``at``: upcoming, live (partial score) or final."""
        if at < game.tip_time:
            return GameState(game.commence_time, at >= game.commence_time, False, None, None, None)
        if at >= game.end_time:
            return GameState(
                game.tip_time,
                True,
                True,
                game.truth.home_score,
                game.truth.away_score,
                game.end_time.replace(microsecond=0),
            )
        # Scores update every 30 seconds, as the provider's do.
        tick = game.tip_time + timedelta(
            seconds=30 * int((at - game.tip_time).total_seconds() // 30)
        )
        played = (tick - game.tip_time) / (game.end_time - game.tip_time)
        return GameState(
            game.tip_time,
            True,
            False,
            int(game.truth.home_score * played),
            int(game.truth.away_score * played),
            tick,
        )

    # -- prices ---------------------------------------------------------------------------

    def opinion(self, game: Game, at: datetime) -> tuple[float, float]:
        """The market's (margin, total) opinion at ``at``; it converges on the truth."""
        hours_to_tip = max(0.0, (game.commence_time - at).total_seconds() / 3600.0)
        weight = 0.3 + 0.7 * min(1.0, hours_to_tip / 120.0)
        hours = _seconds(at) / 3600.0
        phases = game.phases
        wiggle_margin = 0.0
        wiggle_total = 0.0
        amp_margin, amp_total = self.wiggle
        for i, period in enumerate(_WIGGLE_PERIODS_H):
            angle = 2.0 * math.pi * hours / period
            wiggle_margin += amp_margin * math.sin(angle + phases[i])
            wiggle_total += amp_total * math.sin(angle + phases[i + 3])
        truth = game.truth
        return (
            truth.expected_margin + weight * (game.open_error_margin + wiggle_margin),
            truth.expected_total + weight * (game.open_error_total + wiggle_total),
        )

    def quote(self, game: Game, book: BookProfile, at: datetime) -> BookQuote | None:
        """The book's quote in force at ``at``, or None before it opens or after tip-off."""
        if at >= game.commence_time:
            return None
        opens, book_salt, bias_margin, bias_total = self._opening(game, book)
        interval = book.update_interval.total_seconds()
        now = _seconds(at)
        if now < opens:
            return None
        index = int((now - opens) // interval)
        # Only look at the jitter when `at` is within it (saves hashing on the hot path).
        max_jitter = min(50.0, interval / 3.0)
        if index and now - (opens + index * interval) < max_jitter:
            if opens + index * interval + self._jitter(game, book_salt, index, interval) > now:
                index -= 1
        cache_key = (game.key, book.key, index)
        if cache_key in self._quotes:
            return self._quotes[cache_key]
        if len(self._quotes) > _CACHE_LIMIT:
            self._quotes.clear()
        updated = opens + index * interval + self._jitter(game, book_salt, index, interval)
        bias = (bias_margin, bias_total)
        result = self._price(game, book, book_salt, index, _at(updated), bias)
        self._quotes[cache_key] = result
        return result

    def _opening(self, game: Game, book: BookProfile) -> tuple[float, int, float, float]:
        """When the book posts the game (unix seconds), its hash salt and lasting bias."""
        cache_key = (game.key, book.key)
        found = self._openings.get(cache_key)
        if found is None:
            if len(self._openings) > _CACHE_LIMIT:
                self._openings.clear()
            book_salt = salt(book.key)
            interval = book.update_interval.total_seconds()
            opens = _seconds(game.commence_time - book.opens_before)
            # Whole seconds, so that a quote's last_update is exactly its update instant.
            opens += int(uniform(game.key, book_salt, _S_BOOK) * min(interval, 1800.0))
            # The book's lasting opinion of this game, in units of its noise.
            bias_margin = normal(game.key, book_salt, 1)
            bias_total = normal(game.key, book_salt, 2)
            found = self._openings[cache_key] = (opens, book_salt, bias_margin, bias_total)
        return found

    @staticmethod
    def _jitter(game: Game, book_salt: int, index: int, interval: float) -> float:
        """Each update lands a few seconds into its interval; the first one is the opening."""
        if index == 0:
            return 0.0
        return float(int(uniform(game.key, book_salt, index) * min(50.0, interval / 3.0)))

    def _price(
        self,
        game: Game,
        book: BookProfile,
        book_salt: int,
        index: int,
        updated: datetime,
        bias: tuple[float, float],
    ) -> BookQuote:
        margin, total = self.opinion(game, updated - book.lag)
        noise = book.noise * self.noise_scale
        margin += noise * (0.8 * bias[0] + 0.6 * normal(game.key, book_salt, index, 1))
        total += 1.6 * noise * (0.8 * bias[1] + 0.6 * normal(game.key, book_salt, index, 2))
        return self._quote(book, updated, margin, total)

    def _quote(
        self, book: BookProfile, updated: datetime, margin: float, total: float
    ) -> BookQuote:
        """The book's prices for its (margin, total) opinion of the game."""
        p_home = normal_cdf(margin / MARGIN_SD)
        line = round_half(margin)  # the home team gives `line` points
        p_cover = 1.0 - normal_cdf((line - margin) / MARGIN_SD)
        total_line = round_half(total)
        p_over = 1.0 - normal_cdf((total_line - total) / TOTAL_SD)
        return BookQuote(
            book=book,
            last_update=updated,
            h2h=quote_two_way(p_home, book.h2h_margin),
            spread_point=-line + 0.0,
            spreads=quote_two_way(p_cover, book.line_margin),
            total_point=total_line,
            totals=quote_two_way(p_over, book.line_margin),
        )

    def quotes(
        self, game: Game, at: datetime, books: Sequence[BookProfile] | None = None
    ) -> list[BookQuote]:
        """Every (or the given) configured book's quote at ``at``, skipping books not open."""
        found = (self.quote(game, book, at) for book in (self.books if books is None else books))
        return [q for q in found if q is not None]

    # -- historical snapshots -------------------------------------------------------------

    def snapshot_times(
        self, at: datetime, now: datetime
    ) -> tuple[datetime | None, datetime, datetime | None]:
        """(previous, snapshot, next) for the latest snapshot at or before ``min(at, now)``.

        Snapshots are every 5 minutes, a few seconds past the mark like the provider's
        (``22:35:39``, ``22:40:39``, ``22:45:40``); ``next`` is None when still in the future.
        """
        target = _seconds(min(at, now))
        step = SNAPSHOT_INTERVAL.total_seconds()
        index = int((target - 38.0) // step)
        if self._snapshot_seconds(index) > target:
            index -= 1
        following = self._snapshot_seconds(index + 1)
        return (
            _at(self._snapshot_seconds(index - 1)),
            _at(self._snapshot_seconds(index)),
            _at(following) if following <= _seconds(now) else None,
        )

    def _snapshot_seconds(self, index: int) -> float:
        return index * SNAPSHOT_INTERVAL.total_seconds() + 38.0 + mix(self.seed, _S_SNAP, index) % 4

"""Game selection: date spread, team balance, determinism, on the real December 2023 slate."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from oddscore.backfill.selection import (
    Game,
    SelectionStrategy,
    collect_games,
    select_games,
    slate_date,
    target_count,
    team_counts,
)
from oddscore.provider.models import EventInfo

DECEMBER = (date(2023, 12, 1), date(2023, 12, 31))


@pytest.fixture(scope="module")
def december(archive_events: list[EventInfo]) -> list[Game]:
    return collect_games(archive_events, start=DECEMBER[0], end=DECEMBER[1])


def _max_team_deviation(pool: list[Game], chosen: list[Game]) -> float:
    """Largest gap between a team's appearances and its share of the pool's appearances."""
    pool_counts, counts = team_counts(pool), team_counts(chosen)
    return max(
        abs(counts[team] - pool_counts[team] / len(pool) * len(chosen)) for team in pool_counts
    )


def test_collect_games_deduplicates_and_filters_by_local_date(
    archive_events: list[EventInfo], december: list[Game]
) -> None:
    assert len(december) == 208
    assert len({g.id for g in december}) == len(december)
    assert all(DECEMBER[0] <= g.slate <= DECEMBER[1] for g in december)
    # A 00:30Z tip on Dec 1 is a Nov 30 evening game; 00:30Z on Jan 1 is Dec 31's.
    assert min(g.commence_time for g in december) > datetime(2023, 12, 1, 6, tzinfo=UTC)
    assert max(g.slate for g in december) == date(2023, 12, 31)
    # The in-season-tournament duplicates keep the id seen last, with the real tip time.
    november = collect_games(archive_events, start=date(2023, 11, 10), end=date(2023, 11, 10))
    det_phi = [g for g in november if g.home_team == "Detroit Pistons"]
    assert [g.id for g in det_phi] == ["72de431fd4f2a88f58e890aa545a7448"]


def test_default_rate_is_about_every_fifth_game(december: list[Game]) -> None:
    chosen = select_games(december)
    assert len(chosen) == round(208 / 5)
    assert select_games(december, count=10) == select_games(december, count=10)
    assert len(select_games(december, sample_rate=0.5)) == 104
    assert select_games(december, count=500) == december


@pytest.mark.parametrize("strategy", list(SelectionStrategy))
def test_dates_spread_like_the_schedule(december: list[Game], strategy: SelectionStrategy) -> None:
    chosen = select_games(december, strategy=strategy, seed=7)
    # Each week of the month gets its share of the sample (a stratum cut by a week boundary
    # can move one game either way at each end).
    weeks_pool = Counter((g.slate - DECEMBER[0]).days // 7 for g in december)
    weeks_chosen = Counter((g.slate - DECEMBER[0]).days // 7 for g in chosen)
    for week, games in weeks_pool.items():
        assert abs(weeks_chosen[week] - games * len(chosen) / len(december)) <= 2.0, week
    # No hole longer than the schedule's own (the tournament break, Christmas Eve) allows.
    gaps = [b.commence_time - a.commence_time for a, b in zip(chosen, chosen[1:], strict=False)]
    assert max(gaps) <= timedelta(days=4)


@pytest.mark.parametrize(
    ("strategy", "bound"),
    [
        (SelectionStrategy.UNIFORM, 1.0),
        (SelectionStrategy.RANDOM, 2.0),
        (SelectionStrategy.WEIGHTED, 2.5),
    ],
)
def test_every_team_is_represented_in_proportion(
    december: list[Game], strategy: SelectionStrategy, bound: float
) -> None:
    for seed in range(20):
        chosen = select_games(december, strategy=strategy, seed=seed)
        assert set(team_counts(chosen)) == set(team_counts(december))
        assert _max_team_deviation(december, chosen) <= bound


def test_balance_beats_a_plain_random_sample(december: list[Game]) -> None:
    ours = [
        _max_team_deviation(december, select_games(december, strategy="random", seed=s))
        for s in range(20)
    ]
    plain = [
        _max_team_deviation(december, random.Random(s).sample(december, 42)) for s in range(20)
    ]
    assert sum(ours) < sum(plain) / 2


def test_seeded_strategies_are_deterministic(december: list[Game]) -> None:
    for strategy in (SelectionStrategy.RANDOM, SelectionStrategy.WEIGHTED):
        first = select_games(december, strategy=strategy, seed=3)
        assert first == select_games(december, strategy=strategy, seed=3)
        assert first != select_games(december, strategy=strategy, seed=4)
    assert select_games(december, seed=1) == select_games(december, seed=2)  # uniform: no rng


def test_weighted_follows_custom_weights(december: list[Game]) -> None:
    favourite = {g.id: 50.0 for g in december if "Boston Celtics" in g.teams}
    plain = select_games(december, strategy="weighted", seed=5)
    boosted = select_games(december, strategy="weighted", seed=5, weights=favourite)
    assert team_counts(boosted)["Boston Celtics"] > team_counts(plain)["Boston Celtics"]


def test_weighted_prefers_new_matchups() -> None:
    # Two teams play each other every day; the weighted draw avoids repeating that pairing.
    start = datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    pool = []
    for day in range(60):
        for i, (home, away) in enumerate([("A", "B"), ("A", "C"), ("B", "C")]):
            pool.append(
                Game(
                    id=f"{day:03d}{i}",
                    sport_key="basketball_nba",
                    commence_time=start + timedelta(days=day, minutes=i),
                    home_team=home,
                    away_team=away,
                )
            )
    chosen = select_games(pool, strategy="weighted", count=30, seed=0)
    pairs = Counter(frozenset(g.teams) for g in chosen)
    assert len(pairs) == 3 and max(pairs.values()) - min(pairs.values()) <= 4


def test_target_count_and_slate_date() -> None:
    assert target_count(208) == 42
    assert target_count(3, sample_rate=0.1) == 1
    assert target_count(0) == 0
    assert target_count(10, count=4) == 4
    with pytest.raises(ValueError):
        target_count(10, count=4, sample_rate=0.5)
    with pytest.raises(ValueError):
        target_count(10, sample_rate=0)
    assert slate_date(datetime(2023, 12, 2, 0, 30, tzinfo=UTC)) == date(2023, 12, 1)
    assert select_games([], count=5) == []

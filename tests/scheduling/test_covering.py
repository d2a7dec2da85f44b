"""The covering planner on crafted schedules, with a frozen clock, and on the real 2023-24 one.

``_run`` does what fetch-odds does every run: see the games listed by now (with their tip as
listed now), decide, pay one /odds call if a need is due (it captures every listed upcoming
game), and jump the clock to the next slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oddscore.clock import FrozenClock
from oddscore.exceptions import ConfigurationError
from oddscore.scheduling.covering import Requirement, game_windows
from oddscore.scheduling.planner import Action, GameState, Need, decide_odds, next_slot
from oddscore.scheduling.policy import PlannerKind, SchedulePolicy
from oddscore.scheduling.quota import QuotaMode, QuotaState
from oddscore.scheduling.tiers import TIERS, FetchTier
from tests.conftest import real_data

START = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
POLICY = SchedulePolicy()  # the covering planner is the default
CADENCE = SchedulePolicy(planner=PlannerKind.CADENCE)
CLOSING = timedelta(minutes=10)


@dataclass
class Game:
    event_id: str
    tip: datetime
    listed: datetime
    # (from this moment, the listing shows this tip instead)
    moved: tuple[datetime, datetime] | None = None

    def tip_at(self, now: datetime) -> datetime:
        if self.moved is not None and now >= self.moved[0]:
            return self.moved[1]
        return self.tip

    @property
    def final_tip(self) -> datetime:
        return self.moved[1] if self.moved is not None else self.tip


@dataclass
class Run:
    fetches: list[datetime] = field(default_factory=list)
    served: list[set[str]] = field(default_factory=list)  # the games each call was made for
    noticed: dict[str, datetime] = field(default_factory=dict)  # first run that listed it


def _run(
    games: Iterable[Game],
    policy: SchedulePolicy = POLICY,
    *,
    start: datetime = START,
    quota: int | None = None,
) -> Run:
    games = list(games)
    end = max(g.final_tip for g in games)
    # A game that tipped a day before the start: the season is on (discovery every 30 min).
    played = GameState("yesterday", start - timedelta(days=1), status="final")
    clock = FrozenClock(start)
    last: dict[str, datetime] = {}
    run = Run()
    used = 0
    while clock.now() < end:
        now = clock.now()
        listed = [g for g in games if g.listed <= now]
        for g in listed:
            run.noticed.setdefault(g.event_id, now)
        states = [
            GameState(g.event_id, g.tip_at(now), last.get(g.event_id), listed_at=g.listed)
            for g in listed
        ]
        budget = QuotaState(quota - used, used) if quota is not None else None
        decision = decide_odds([*states, played], now, policy, budget)
        if decision.action is Action.FETCH_ODDS and decision.is_due(now, policy.due_tolerance):
            run.fetches.append(now)
            run.served.append({n.event_id for n in decision.games})
            used += decision.estimated_credits
            for g in listed:
                if g.tip_at(now) > now:
                    last[g.event_id] = now
            decision = decide_odds([*states, played], now, policy, budget)
        clock.set(next_slot(decision.at, now, policy))
    return run


def _tier_windows(game: Game, policy: SchedulePolicy) -> dict[FetchTier, tuple[datetime, datetime]]:
    """Each tier's ``(start, end]`` the game could still be captured in once noticed."""
    tip = game.final_tip
    windows = {}
    for spec in TIERS:
        start = tip - timedelta(hours=spec.max_hours or 24 * 365)
        start = max(start, tip - policy.lookahead)
        # a tier holds start < t <= end; the closing tier ends at tip, exclusive
        end = tip - timedelta(hours=spec.min_hours) if spec.min_hours else tip
        end -= timedelta(seconds=0 if spec.min_hours else 1)
        windows[spec.tier] = (start, end)
    return windows


def _missing(games: Iterable[Game], run: Run, policy: SchedulePolicy = POLICY) -> list[str]:
    """What a game lacks: a capture in each tier reachable after it was noticed, and one
    within ``closing_window`` of tip."""
    missing = []
    for game in games:
        tip = game.final_tip
        noticed = run.noticed.get(game.event_id)
        if noticed is None or noticed >= tip:
            continue
        if not any(tip - CLOSING <= t < tip for t in run.fetches):
            missing.append(f"{game.event_id}: closing")
        for tier, (start, end) in _tier_windows(game, policy).items():
            if end <= noticed or end - start <= timedelta(minutes=1):
                continue  # over before anyone could know of the game in it
            if not any(start < t <= end for t in run.fetches):
                missing.append(f"{game.event_id}: {tier.value}")
    return missing


# -- crafted schedules -------------------------------------------------------------------


def test_a_doubleheader_at_one_tip_time_shares_every_call() -> None:
    tip = START + timedelta(days=4, hours=12)
    games = [Game("a", tip, START), Game("b", tip, START)]
    run = _run(games)
    assert _missing(games, run) == []
    # one call per tier and the closing capture: first listing (opening), early, sharp,
    # pregame, closing; each made for both games
    assert len(run.fetches) == 5
    assert all(served == {"a", "b"} for served in run.served)
    assert run.fetches[0] == START  # listed inside the lookahead: its first line at once
    assert run.fetches[-1] == tip - POLICY.closing_lead


def test_a_game_listed_two_hours_before_tip() -> None:
    tip = START + timedelta(hours=6)
    late = Game("late", tip, tip - timedelta(hours=2))
    run = _run([late])
    assert _missing([late], run) == []
    # captured when first seen (within one discovery interval), then the closing capture
    assert run.noticed["late"] - late.listed < POLICY.discovery_interval
    assert run.fetches == [run.noticed["late"], tip - POLICY.closing_lead]


def test_a_tip_moved_earlier_after_its_pregame_capture() -> None:
    tip = START + timedelta(hours=10)
    new_tip = tip - timedelta(hours=2)
    captured = tip - timedelta(hours=3) - POLICY.cover_margin  # pregame: its latest due
    now = captured + timedelta(minutes=30)
    moved = GameState("g", new_tip, captured, listed_at=START)
    decision = decide_odds([moved], now, SchedulePolicy(discovery_interval=timedelta(days=1)))
    # the old capture now sits in the closing tier, the new pregame tier is over: the only
    # need left is the closing capture before the new tip
    assert decision.action is Action.FETCH_ODDS
    assert decision.at == new_tip - POLICY.closing_lead
    assert [(g.event_id, g.need) for g in decision.games] == [("g", Need.CLOSING)]
    # the whole run from the sharp tier: listed two days ahead, first line at once, the
    # pregame capture, then the tip moves; one closing capture before the new tip
    game = Game("g", tip, tip - timedelta(days=2), moved=(now, new_tip))
    start = tip - timedelta(hours=13)
    run = _run([game], start=start)
    assert run.fetches == [start, captured, new_tip - POLICY.closing_lead]
    assert _missing([game], run) == []


def test_a_thirty_game_day() -> None:
    day = START + timedelta(days=2)
    # 10 distinct tip times from 16:00 to 02:30 UTC, three games each, listed two days ahead
    tips = [day + timedelta(hours=4) + timedelta(minutes=70 * i) for i in range(10)]
    games = [Game(f"g{i}-{j}", tip, START) for i, tip in enumerate(tips) for j in range(3)]
    run = _run(games)
    assert _missing(games, run) == []
    # one closing capture per tip time, and only a few calls for every other tier together
    closing = [t for t in run.fetches if any(tip - CLOSING <= t < tip for tip in tips)]
    assert len(closing) == len(tips)
    assert len(run.fetches) <= len(tips) + 4
    cadence = _run(games, CADENCE)
    assert _missing(games, cadence, CADENCE) == []
    assert 2 * len(run.fetches) < len(cadence.fetches)


def test_a_week_long_break() -> None:
    before = START + timedelta(hours=12)
    after = before + timedelta(days=8)
    games = [
        Game("before", before, START),
        Game("after-1", after, after - timedelta(days=2)),
        Game("after-2", after + timedelta(minutes=30), after - timedelta(days=2)),
    ]
    run = _run(games)
    assert _missing(games, run) == []
    # nothing paid while nothing is listed: the break costs only free /events checks
    assert not [t for t in run.fetches if before <= t < after - timedelta(days=2)]
    lead = POLICY.closing_lead
    margin = POLICY.cover_margin
    assert run.fetches == [
        # listed 12 h before tip: first line at once, pregame, closing
        START,
        before - timedelta(hours=3) - margin,
        before - lead,
        # listed two days ahead (early tier): first line, sharp, pregame, two closings
        run.noticed["after-1"],
        after - timedelta(hours=12) - margin,
        after - timedelta(hours=3) - margin,
        after - lead,
        after + timedelta(minutes=30) - lead,
    ]


def test_games_beyond_the_lookahead_wait_for_their_opening_window() -> None:
    tip = START + timedelta(days=10)
    far = [GameState("far", tip, listed_at=START - timedelta(days=20))]
    quiet = SchedulePolicy(discovery_interval=timedelta(days=30))
    decision = decide_odds(far, START, quiet)
    # listed long before it entered the lookahead: no "first" capture, its opening tier
    # (from 7 days before tip to 72 h before) is due at its end, less the margin
    assert decision.at == tip - timedelta(hours=72) - POLICY.cover_margin
    assert decision.games[0].need is Need.TIER
    assert decision.games[0].tier is FetchTier.OPENING


def test_a_minimum_cadence_inside_a_tier_is_kept() -> None:
    tip = START + timedelta(days=1)
    game = Game("g", tip, START)
    every = timedelta(minutes=30)
    policy = SchedulePolicy(min_cadence=((FetchTier.CLOSING, every),))
    run = _run([game], policy)
    assert _missing([game], run, policy) == []
    tier_start = tip - timedelta(hours=3)
    inside = [tier_start, *[t for t in run.fetches if t > tier_start]]
    gaps = [b - a for a, b in zip(inside, inside[1:], strict=False)]
    assert len(gaps) == 6 and max(gaps) <= every  # 5 cadence captures, then the closing one
    assert len(run.fetches) == len(_run([game]).fetches) + 5
    # stretched by quota pacing, the cadence stretches with it
    last = tip - timedelta(hours=2)
    windows = game_windows(tip, last, START, last, policy, stretch=2.0)
    cadence = [w for w in windows if w.requirement is Requirement.CADENCE]
    assert [w.due for w in cadence] == [tip - timedelta(hours=1)]


def test_quota_pacing_works_on_top_of_it() -> None:
    now = datetime(2026, 11, 16, tzinfo=UTC)  # half the month gone
    game = [GameState("g", now + timedelta(hours=30), now, listed_at=now - timedelta(days=1))]
    quiet = SchedulePolicy(discovery_interval=timedelta(days=3))
    normal = decide_odds(game, now, quiet, QuotaState(remaining=5000, used=1000))
    assert normal.mode is QuotaMode.NORMAL
    # captured in the early tier just now: next, the sharp tier before it ends
    assert normal.at == game[0].commence_time - timedelta(hours=12) - quiet.cover_margin
    assert [(g.need, g.tier) for g in normal.games] == [(Need.TIER, FetchTier.SHARP)]
    critical = decide_odds(game, now, quiet, QuotaState(remaining=100, used=3000))
    assert critical.mode is QuotaMode.CLOSING_ONLY
    assert critical.at == game[0].commence_time - timedelta(minutes=5)
    assert [g.need for g in critical.games] == [Need.CLOSING]
    paused = decide_odds(game, now, quiet, QuotaState(remaining=2, used=19998))
    assert paused.mode is QuotaMode.PAUSED and paused.action is Action.DISCOVER


def test_a_low_quota_month_stays_within_budget_and_keeps_closings() -> None:
    start = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    tips = [start + timedelta(days=d, hours=h) for d in range(1, 4) for h in (11, 12, 14)]
    games = [Game(f"g{i}", tip, start) for i, tip in enumerate(tips)]
    full = _run(games, start=start)
    budget = 3 * len(tips)  # the nine closing captures' worth, and one call more
    lean = _run(games, start=start, quota=budget + 3)
    assert len(lean.fetches) < len(full.fetches)
    assert 3 * len(lean.fetches) <= budget + 3
    for tip in tips:
        assert any(tip - CLOSING <= t < tip for t in lean.fetches), tip


# -- property: every reachable window is met ---------------------------------------------


@st.composite
def schedules(draw: st.DrawFn) -> list[Game]:
    count = draw(st.integers(1, 12))
    games = []
    for i in range(count):
        # tips on whole 5 minutes within 9 days; listed from 10 days before tip to 1 h before
        tip = START + timedelta(minutes=5 * draw(st.integers(12, 9 * 24 * 12)))
        lead = timedelta(minutes=draw(st.integers(60, 10 * 24 * 60)))
        games.append(Game(f"g{i}", tip, max(START, tip - lead)))
    return games


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_every_reachable_tier_and_every_closing_window_is_met(games: list[Game]) -> None:
    run = _run(games)
    assert _missing(games, run) == []
    # never two paid calls in the same minute
    assert len(set(run.fetches)) == len(run.fetches)


# -- the real 2023-24 schedule -----------------------------------------------------------


def test_real_2023_24_season_full_coverage_in_at_most_1400_calls() -> None:
    from oddscore.scheduling.replay import load_schedule, replay_all

    games = load_schedule(real_data("the_odds_api_snapshots", "events", "2023-2024"))
    # (the cadence planner beside it: test_replay.py on two weeks, benchmarks/schedule.py)
    (covering,) = replay_all(games, strategies=["covering"])
    assert covering.games > 1300
    assert covering.full_tier_coverage == covering.games  # 100 % with every tier
    assert covering.closing_coverage == covering.games  # 100 % closing within 10 min
    assert covering.requests <= 1400
    assert covering.credits == covering.requests * POLICY.odds_fetch_cost


def test_an_unknown_replay_strategy_is_named() -> None:
    from oddscore.scheduling.replay import ReplayGame, replay_all

    game = ReplayGame("g", START + timedelta(hours=5), START, START + timedelta(hours=5), True)
    with pytest.raises(ConfigurationError, match="unknown replay strategy smart"):
        replay_all([game], strategies=["smart"])


# -- settings ----------------------------------------------------------------------------


def test_the_planner_and_its_cadence_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from oddscore.config import get_settings

    def policy() -> SchedulePolicy:
        get_settings.cache_clear()
        settings = get_settings()
        return SchedulePolicy.from_settings(settings.scheduler, settings.collection)

    assert policy().planner is PlannerKind.COVERING and policy().min_cadence == ()
    monkeypatch.setenv("SCHEDULER_PLANNER", "cadence")
    monkeypatch.setenv("SCHEDULER_MIN_CADENCE", "closing=30, pregame=90")
    chosen = policy()
    assert chosen.planner is PlannerKind.CADENCE
    assert chosen.cadence(FetchTier.CLOSING) == timedelta(minutes=30)
    assert chosen.cadence(FetchTier.PREGAME) == timedelta(minutes=90)
    assert chosen.cadence(FetchTier.SHARP) is None
    for name, value, fragment in [
        ("SCHEDULER_PLANNER", "smart", "SCHEDULER_PLANNER"),
        ("SCHEDULER_MIN_CADENCE", "closing", "tier=minutes, got 'closing'"),
        ("SCHEDULER_MIN_CADENCE", "overtime=5", "SCHEDULER_MIN_CADENCE.overtime"),
        ("SCHEDULER_MIN_CADENCE", "closing=0", "SCHEDULER_MIN_CADENCE.closing"),
    ]:
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigurationError, match=fragment):
            policy()
        monkeypatch.delenv(name)

"""The cadence planner (the original, kept as a named policy) with a frozen clock: off-season,
live games, several tips, low quota. The covering planner: ``test_covering.py``."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from oddscore.clock import FrozenClock
from oddscore.scheduling.planner import (
    Action,
    Decision,
    GameNeed,
    GameState,
    Need,
    ceil_minute,
    decide_odds,
    next_slot,
    retry_after_failure,
)
from oddscore.scheduling.policy import PlannerKind, SchedulePolicy
from oddscore.scheduling.quota import QuotaMode, QuotaState
from oddscore.scheduling.tiers import FetchTier, hours_until, tier_for

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
CADENCE = PlannerKind.CADENCE
POLICY = SchedulePolicy(
    planner=CADENCE, markets=("h2h", "spreads", "totals"), bookmakers=("pinnacle", "fanduel")
)
# The free discovery check (every 30 min in season) would come first; hide it where a test
# looks at the paid need behind it.
PAID = SchedulePolicy(planner=CADENCE, discovery_interval=timedelta(days=2))


def game(event_id: str, tip: datetime, last: datetime | None = None, status: str = "scheduled"):
    return GameState(event_id, tip, last, status)


def test_off_season_is_a_free_daily_discovery_check() -> None:
    decision = decide_odds([], NOW, POLICY)
    assert decision.action is Action.DISCOVER
    assert decision.at == NOW + timedelta(hours=24)
    assert decision.estimated_credits == 0


def test_between_slates_discovery_is_frequent_but_free() -> None:
    played = game("a", NOW - timedelta(hours=5), status="final")
    decision = decide_odds([played], NOW, POLICY)
    assert decision.action is Action.DISCOVER
    assert decision.at == NOW + POLICY.discovery_interval
    assert decision.estimated_credits == 0


def test_live_games_alone_need_no_fetch() -> None:
    live = [game("a", NOW - timedelta(hours=1), NOW - timedelta(minutes=6), "live")]
    decision = decide_odds(live, NOW, POLICY)
    assert decision.action is Action.DISCOVER
    assert decision.games == ()


def test_live_game_does_not_hide_an_upcoming_games_need() -> None:
    games = [
        game("live", NOW - timedelta(hours=1), NOW - timedelta(minutes=6), "live"),
        game("next", NOW + timedelta(minutes=90), NOW - timedelta(minutes=10)),
    ]
    decision = decide_odds(games, NOW, POLICY)
    assert decision.action is Action.FETCH_ODDS
    assert decision.at == NOW + timedelta(minutes=20)  # closing cadence: 30 min after capture
    assert [g.event_id for g in decision.games] == ["next"]
    assert decision.games[0].tier is FetchTier.CLOSING


def test_a_new_game_is_captured_at_once() -> None:
    decision = decide_odds([game("new", NOW + timedelta(days=2))], NOW, POLICY)
    assert decision.action is Action.FETCH_ODDS
    assert decision.at == NOW
    assert decision.games[0].need is Need.FIRST
    assert decision.is_due(NOW)


def test_games_beyond_the_lookahead_wait_until_they_enter_it() -> None:
    tip = NOW + timedelta(days=10)
    decision = decide_odds([game("far", tip)], NOW, POLICY)
    # the free discovery check comes first; the game itself needs nothing for three days
    assert decision.action is Action.DISCOVER
    far_policy = SchedulePolicy(planner=CADENCE, discovery_interval=timedelta(days=5))
    decision = decide_odds([game("far", tip)], NOW, far_policy)
    assert decision.at == tip - timedelta(days=7)
    assert decision.games[0].need is Need.ENTERS_LOOKAHEAD


def test_closing_capture_a_few_minutes_before_tip() -> None:
    tip = NOW + timedelta(minutes=20)
    decision = decide_odds([game("g", tip, NOW - timedelta(minutes=2))], NOW, POLICY)
    assert decision.at == tip - timedelta(minutes=5)
    assert decision.games[0].need is Need.CLOSING


def test_no_second_closing_capture_after_one_close_to_tip() -> None:
    tip = NOW + timedelta(minutes=4)
    decision = decide_odds([game("g", tip, NOW - timedelta(minutes=1))], NOW, POLICY)
    assert decision.action is Action.DISCOVER  # nothing left before tip


def test_tier_entry_with_a_long_gap_is_due_at_the_entry() -> None:
    # captured 18 h before tip (sharp, 12 h cadence); pregame (3 h cadence) starts at tip-12h,
    # 6 h after that capture: due right at the entry
    tip = NOW + timedelta(hours=13)
    decision = decide_odds([game("g", tip, NOW - timedelta(hours=5))], NOW, PAID)
    assert decision.at == tip - timedelta(hours=12) + timedelta(minutes=1)
    assert decision.games[0].need is Need.TIER_ENTRY
    assert decision.games[0].tier is FetchTier.PREGAME


def test_earliest_need_of_all_games_wins_not_the_nearest_game() -> None:
    games = [
        # nearest game, captured just now: pregame cadence, next in 3 h
        game("near", NOW + timedelta(hours=8), NOW),
        # a later game captured long ago enters the sharp tier in 30 min
        game("later", NOW + timedelta(hours=24, minutes=30), NOW - timedelta(hours=20)),
    ]
    decision = decide_odds(games, NOW, PAID)
    assert decision.at == NOW + timedelta(minutes=31)
    assert [g.event_id for g in decision.games] == ["later"]
    assert decision.games[0].tier is FetchTier.SHARP


def test_estimated_credits_come_from_the_cost_rules() -> None:
    decision = decide_odds([game("new", NOW + timedelta(hours=5))], NOW, POLICY)
    assert decision.estimated_credits == 3  # 3 markets x 1 group of <=10 books
    wide = SchedulePolicy(
        planner=CADENCE, markets=("h2h",), bookmakers=tuple(f"b{i}" for i in range(11))
    )
    assert decide_odds([game("new", NOW + timedelta(hours=5))], NOW, wide).estimated_credits == 2


def _simulate(
    tips: list[datetime], start: datetime, policy: SchedulePolicy, quota: int | None = None
) -> tuple[list[datetime], dict[str, set[FetchTier]]]:
    """Run the planner on a frozen clock; every fetch captures every upcoming game."""
    clock = FrozenClock(start)
    last: dict[str, datetime] = {}
    fetches: list[datetime] = []
    used = 0
    while clock.now() < max(tips):
        now = clock.now()
        states = [game(f"g{i}", tip, last.get(f"g{i}")) for i, tip in enumerate(tips)]
        q = QuotaState(quota - used, used) if quota is not None else None
        decision = decide_odds(states, now, policy, q)
        if decision.action is Action.FETCH_ODDS and decision.is_due(now):
            fetches.append(now)
            used += decision.estimated_credits
            for i, tip in enumerate(tips):
                if tip > now:
                    last[f"g{i}"] = now
            continue
        clock.set(next_slot(decision.at, now, policy))
    tiers: dict[str, set[FetchTier]] = {}
    for i, tip in enumerate(tips):
        seen = {tier_for(hours_until(tip, t)) for t in fetches if t < tip}
        tiers[f"g{i}"] = {t for t in seen if t is not None}
    return fetches, tiers


def test_several_tip_times_all_tiers_and_each_closing_capture() -> None:
    start = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    tips = [
        datetime(2026, 11, 21, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 0, 30, tzinfo=UTC),
        datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    ]
    fetches, tiers = _simulate(tips, start, POLICY)
    for name, seen in tiers.items():
        assert seen == set(FetchTier) - {FetchTier.OPENING}, name  # first seen 60 h before
    for tip in tips:
        assert any(tip - timedelta(minutes=10) <= t < tip for t in fetches), tip
    # no two fetches in the same minute, and far fewer than fixed 30-minute polling
    assert len(set(fetches)) == len(fetches)
    assert len(fetches) < (max(tips) - start) / timedelta(minutes=30) / 3


def test_low_quota_stretches_intervals_then_keeps_only_closing() -> None:
    now = datetime(2026, 11, 16, tzinfo=UTC)  # half the month gone
    g = [game("g", now + timedelta(hours=30), now)]  # early tier, 24 h cadence
    normal = decide_odds(g, now, POLICY, QuotaState(remaining=5000, used=1000))
    tight = decide_odds(g, now, POLICY, QuotaState(remaining=500, used=1000))
    assert normal.mode is QuotaMode.NORMAL
    # need 1000 for the rest of the month against 500 minus the reserved closing capture
    # (one tip a week, 15 days left: 3 captures of 3 credits)
    assert tight.mode is QuotaMode.STRETCHED
    assert tight.stretch == pytest.approx(1000 / (500 - 9), rel=1e-3)
    far_policy = SchedulePolicy(planner=CADENCE, discovery_interval=timedelta(days=3))
    normal = decide_odds(g, now, far_policy, QuotaState(remaining=5000, used=1000))
    tight = decide_odds(g, now, far_policy, QuotaState(remaining=500, used=1000))
    assert tight.at > normal.at
    critical = decide_odds(g, now, far_policy, QuotaState(remaining=100, used=3000))
    assert critical.mode is QuotaMode.CLOSING_ONLY
    assert critical.at == g[0].commence_time - timedelta(minutes=5)


def test_quota_below_one_call_pauses_until_the_reset() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    decision = decide_odds(
        [game("g", now + timedelta(hours=1))], now, POLICY, QuotaState(remaining=2, used=19998)
    )
    assert decision.mode is QuotaMode.PAUSED
    assert decision.action is Action.DISCOVER
    assert decision.at == datetime(2026, 12, 1, tzinfo=UTC)


def test_low_quota_simulation_stays_within_budget_and_keeps_closings() -> None:
    start = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    tips = [start + timedelta(days=d, hours=h) for d in range(1, 4) for h in (11, 12, 14)]
    fetches, _ = _simulate(tips, start, POLICY)
    budget = 3 * 9  # nine closing captures' worth
    lean, _ = _simulate(tips, start, POLICY, quota=budget + 3 * 10)
    assert len(lean) < len(fetches)
    assert 3 * len(lean) <= budget + 3 * 10


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        decide_odds([], datetime(2026, 11, 20, 18, 0))


def test_slots_are_whole_minutes_and_never_in_the_past() -> None:
    assert ceil_minute(NOW + timedelta(seconds=1)) == NOW + timedelta(minutes=1)
    assert ceil_minute(NOW) == NOW
    assert next_slot(NOW - timedelta(hours=1), NOW, POLICY) == NOW + timedelta(minutes=1)
    assert next_slot(NOW + timedelta(minutes=7, seconds=3), NOW, POLICY) == NOW + timedelta(
        minutes=8
    )


def test_summary_is_json_friendly() -> None:
    decision = decide_odds([game("new", NOW + timedelta(hours=5))], NOW, POLICY)
    summary = decision.summary()
    assert summary["action"] == "fetch_odds"
    assert summary["games"] == [{"event_id": "new", "need": "first", "tier": "pregame"}]


def test_closing_captures_are_reserved_before_anything_else() -> None:
    from oddscore.scheduling.quota import closing_reserve, plan_quota

    now = datetime(2026, 11, 27, tzinfo=UTC)  # 4 days to the reset, inside the lookahead
    tips = [now + timedelta(days=d, hours=h) for d in range(4) for h in (1, 2)]
    tips += [now + timedelta(days=5)]  # after the reset: not this month's credits
    assert closing_reserve(tips, now, POLICY) == 8 * 3
    plenty = plan_quota(QuotaState(remaining=2000, used=100), now, POLICY, reserve=24)
    assert plenty.mode is QuotaMode.NORMAL
    only_closings = plan_quota(QuotaState(remaining=24, used=100), now, POLICY, reserve=24)
    assert only_closings.mode is QuotaMode.CLOSING_ONLY
    early = datetime(2026, 11, 2, tzinfo=UTC)  # 29 days left: a week's tips extrapolated
    week = [early + timedelta(days=d, hours=1) for d in range(1, 7)]
    assert closing_reserve(week, early, POLICY) == math.ceil(6 * 29 / 7) * 3


@pytest.mark.parametrize(
    ("tips_in", "retry_in", "soon"),
    [
        ([timedelta(minutes=5)], timedelta(minutes=2), True),  # the planned closing capture
        ([timedelta(minutes=40), timedelta(minutes=2, seconds=30)], timedelta(seconds=90), True),
        ([timedelta(seconds=30)], timedelta(minutes=1), True),  # never sooner than min_gap
        ([timedelta(minutes=40)], timedelta(minutes=15), False),  # no close at stake
        ([-timedelta(minutes=5)], timedelta(minutes=15), False),  # started: its close is gone
        ([], timedelta(minutes=15), False),
    ],
)
def test_a_failure_with_a_close_at_stake_retries_before_the_tip(
    tips_in: list[timedelta], retry_in: timedelta, soon: bool
) -> None:
    now = datetime(2027, 3, 1, 0, 55, tzinfo=UTC)
    games = tuple(
        GameNeed(f"g{n}", now + tip, now, Need.CLOSING, FetchTier.CLOSING)
        for n, tip in enumerate(tips_in)
    )
    decision = Decision(now, Action.FETCH_ODDS, "test", games, 3)
    at, why = retry_after_failure(decision, now, SchedulePolicy(), timedelta(minutes=15))
    assert at - now == retry_in
    assert ("closing window" in why) is soon
    # A shorter general retry is never pushed back.
    early, _ = retry_after_failure(decision, now, SchedulePolicy(), timedelta(seconds=30))
    assert early - now == timedelta(seconds=30)

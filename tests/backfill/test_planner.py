"""The planner: shared whole-slate calls that keep every game in its tier, and exact costs."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.backfill.planner import (
    DEFAULT_SLOTS,
    BackfillPlan,
    PlanSettings,
    build_plan,
    call_cost,
    read_plan,
    slot_window,
    write_plan,
)
from oddscore.backfill.selection import Game, collect_games, select_games
from oddscore.exceptions import PlanningError
from oddscore.provider.models import EventInfo
from oddscore.scheduling.tiers import hours_until, tier_for

NOW = datetime(2026, 11, 29, tzinfo=UTC)
TIP = datetime(2023, 12, 2, 0, 30, tzinfo=UTC)
BOOKS = ["draftkings", "fanduel", "pinnacle"]


def _game(i: int, tip: datetime) -> Game:
    return Game(
        id=f"{i:032x}",
        sport_key="basketball_nba",
        commence_time=tip,
        home_team=f"Home {i}",
        away_team=f"Away {i}",
    )


def _settings(**changes: object) -> PlanSettings:
    values: dict[str, object] = {
        "start": date(2023, 12, 1),
        "end": date(2023, 12, 31),
        "bookmakers": BOOKS,
    }
    values.update(changes)
    return PlanSettings.model_validate(values)


def _assert_consistent(plan: BackfillPlan) -> None:
    """Every (game, slot) is served exactly once, inside its window and its tier."""
    served = [(t.event_id, t.slot) for call in plan.calls for t in call.targets]
    assert len(served) == len(set(served))
    wanted = {(g.id, s.name) for g in plan.games for s in plan.settings.slots}
    assert set(served) == wanted
    slots = {s.name: s for s in plan.settings.slots}
    for call in plan.calls:
        for target in call.targets:
            game = plan.game(target.event_id)
            lo, hi = slot_window(game.commence_time, slots[target.slot], 0.25)
            assert lo <= call.time <= hi
            assert tier_for(hours_until(game.commence_time, call.time)) == target.tier


def test_one_game_needs_one_call_per_slot_at_the_exact_targets() -> None:
    plan = build_plan([_game(1, TIP)], _settings(), now=NOW, selection_source="stored")
    assert [TIP - call.time for call in plan.calls] == [s.lead for s in DEFAULT_SLOTS]
    assert [call.targets[0].tier.value for call in plan.calls] == [
        "opening",
        "early",
        "sharp",
        "pregame",
        "closing",
        "closing",
    ]
    assert plan.costs.naive == plan.costs.grouped == 6 * 30
    _assert_consistent(plan)


def test_games_with_the_same_tip_share_every_call() -> None:
    games = [_game(i, TIP) for i in range(8)]
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    assert len(plan.calls) == 6
    assert all(len(call.event_ids) == 8 for call in plan.calls)
    assert (plan.costs.naive, plan.costs.grouped, plan.costs.saved) == (1440, 180, 1260)
    _assert_consistent(plan)


def test_a_small_shift_merges_nearby_tips_but_never_crosses_a_tier() -> None:
    # 30 min apart: every slot but the closing capture (1.25 min of slack) can be shared.
    games = [_game(1, TIP), _game(2, TIP + timedelta(minutes=30))]
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    assert len(plan.calls) == 7
    shared = [call for call in plan.calls if len(call.event_ids) == 2]
    assert len(shared) == 5
    # The later game's slots move 30 min earlier (towards more hours before its tip); its
    # 30 min slot rides along with the first game's closing capture, 5 min early.
    assert {t.shift_minutes for call in shared for t in call.targets} == {0.0, 5.0, 30.0}
    _assert_consistent(plan)
    # Three hours apart: the 72/24/12 h slots are shared; the second game's 3 h slot rides
    # with the first game's closing capture; the rest are alone: 3 + 1 + 1 + 1 + 2 = 8.
    games = [_game(1, TIP), _game(2, TIP + timedelta(hours=3))]
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    assert len(plan.calls) == 8
    _assert_consistent(plan)


def test_windows_stay_inside_their_tier() -> None:
    for slot in DEFAULT_SLOTS:
        lo, hi = slot_window(TIP, slot, 1.0)
        assert tier_for(hours_until(TIP, lo)) == slot.tier
        assert tier_for(hours_until(TIP, hi)) == slot.tier
    # 12 h slot at full shift would reach 24 h, the next tier: it stops a second short.
    twelve = next(s for s in DEFAULT_SLOTS if s.name == "12h")
    lo, _ = slot_window(TIP, twelve, 1.0)
    assert TIP - lo == timedelta(hours=24) - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("changes", "per_call"),
    [
        ({}, 30),  # 10 x 3 markets x 1 region (3 books)
        ({"markets": ["h2h"]}, 10),
        ({"bookmakers": [f"book{i}" for i in range(11)]}, 60),  # 11 books bill as 2 regions
        ({"bookmakers": [], "regions": ["us", "uk", "au"]}, 90),  # the docs' example
    ],
)
def test_call_cost_follows_the_provider_rules(changes: dict[str, object], per_call: int) -> None:
    settings_ = _settings(**changes)
    assert call_cost(settings_) == per_call
    plan = build_plan([_game(1, TIP)], settings_, now=NOW, selection_source="endpoint")
    assert plan.costs.per_call == per_call
    assert plan.costs.grouped == per_call * len(plan.calls)
    assert sum(call.credits for call in plan.calls) == plan.costs.grouped


def test_targets_in_the_future_are_skipped() -> None:
    plan = build_plan(
        [_game(1, TIP)], _settings(), now=TIP - timedelta(hours=5), selection_source="stored"
    )
    assert [t.slot for call in plan.calls for t in call.targets] == ["72h", "24h", "12h"]
    assert plan.skipped_targets == 3


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.integers(min_value=0, max_value=48 * 60), min_size=1, max_size=6))
def test_grouping_is_minimal(offsets: list[int]) -> None:
    """Each call has a window ending at its time, and those windows are pairwise disjoint.

    Disjoint windows need distinct request times, so no plan can have fewer calls: a
    certificate of optimality that does not trust the grouping code.
    """
    games = [_game(i, TIP + timedelta(minutes=m)) for i, m in enumerate(offsets)]
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    _assert_consistent(plan)
    slots = {s.name: s for s in plan.settings.slots}
    anchors = []
    for call in plan.calls:
        windows = [
            slot_window(plan.game(t.event_id).commence_time, slots[t.slot], 0.25)
            for t in call.targets
        ]
        anchors.append(next(w for w in windows if w[1] == call.time))
    for (lo1, hi1), (lo2, hi2) in itertools.combinations(anchors, 2):
        assert hi1 < lo2 or hi2 < lo1


def test_december_plan_on_the_real_schedule(archive_events: list[EventInfo]) -> None:
    pool = collect_games(archive_events, start=date(2023, 12, 1), end=date(2023, 12, 31))
    games = select_games(pool)
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    _assert_consistent(plan)
    assert len(plan.games) == 42
    assert plan.costs.naive == 42 * 6 * 30
    assert plan.costs.grouped < plan.costs.naive * 0.7
    assert plan.costs.grouped == len(plan.calls) * 30


def test_plan_round_trips_and_refuses_edits(tmp_path: Path) -> None:
    games = [_game(1, TIP), _game(2, TIP + timedelta(hours=1))]
    plan = build_plan(games, _settings(), now=NOW, selection_source="stored")
    again = build_plan(games, _settings(), now=NOW + timedelta(days=1), selection_source="stored")
    assert plan.plan_id == again.plan_id  # content-addressed, not time-stamped
    assert (
        plan.plan_id != build_plan(games, _settings(seed=9), now=NOW, selection_source="x").plan_id
    )
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    assert read_plan(path) == plan
    body = json.loads(path.read_text())
    assert (
        body["settings"]["bookmakers"] == BOOKS and body["costs"]["grouped"] == plan.costs.grouped
    )
    body["calls"].pop()
    path.write_text(json.dumps(body))
    with pytest.raises(PlanningError, match="edited"):
        read_plan(path)
    path.write_text("{not json")
    with pytest.raises(PlanningError, match="invalid plan file"):
        read_plan(path)
    with pytest.raises(PlanningError, match="cannot read"):
        read_plan(tmp_path / "missing.json")


def test_a_plan_in_s3_round_trips(s3_bucket: str) -> None:
    """An ECS run has no plan file of its own: the plan can live in the results bucket."""
    plan = build_plan([_game(1, TIP)], _settings(), now=NOW, selection_source="stored")
    where = f"s3://{s3_bucket}/plans/plan.json"
    write_plan(plan, where)
    assert read_plan(where) == plan
    with pytest.raises(PlanningError, match="cannot read plan file s3://.*missing"):
        read_plan(f"s3://{s3_bucket}/plans/missing.json")
    with pytest.raises(
        PlanningError, match="cannot write plan file s3://nowhere: .*bucket and a key"
    ):
        write_plan(plan, "s3://nowhere")

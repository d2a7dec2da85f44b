"""The gap finder, the "already tried" rule, the ranking and the cap (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from oddscore.backfill.gaps import (
    RANK,
    Attempt,
    Gap,
    build_gap_plan,
    covered_tiers,
    find_gaps,
    gap_slots,
    unfillable,
)
from oddscore.backfill.planner import PlanSettings, default_slots
from oddscore.backfill.selection import Game
from oddscore.scheduling.tiers import TIERS, FetchTier

TIP = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
SETTINGS = PlanSettings(
    start=date(2026, 3, 1),
    end=date(2026, 3, 31),
    bookmakers=["draftkings"],
    slots=list(gap_slots(timedelta(minutes=5))),
)
CLOSING, PREGAME, SHARP, EARLY, OPENING = RANK


def _game(event_id: str, tip: datetime = TIP) -> Game:
    return Game(id=event_id, sport_key="basketball_nba", commence_time=tip, home_team=event_id,
                away_team=f"{event_id} away")  # fmt: skip


def _before(**kwargs: float) -> datetime:
    return TIP - timedelta(**kwargs)


def test_gap_slots_are_the_tier_table_and_the_closing_capture() -> None:
    slots = {slot.name: slot for slot in gap_slots(timedelta(minutes=5))}
    assert set(slots) == {tier.value for tier in RANK}
    for spec in TIERS:
        assert slots[spec.tier.value].tier is spec.tier
    assert slots["closing"].lead == timedelta(minutes=5)
    # The same moments as the sampled backfill's slots, minus its 30-minute one.
    sampled = {slot.lead for slot in default_slots()} - {timedelta(minutes=30)}
    assert {slot.lead for slot in slots.values()} == sampled


def test_the_closing_capture_not_the_closing_tier_fills_closing() -> None:
    assert covered_tiers(TIP, [_before(minutes=30)], WINDOW) == set()
    assert covered_tiers(TIP, [_before(minutes=10)], WINDOW) == {CLOSING}
    assert covered_tiers(TIP, [_before(minutes=10, seconds=1)], WINDOW) == set()
    assert covered_tiers(TIP, [TIP + timedelta(minutes=1)], WINDOW) == set()  # in-play
    times = [_before(hours=100), _before(hours=30), _before(hours=13), _before(hours=4)]
    assert covered_tiers(TIP, times, WINDOW) == {OPENING, EARLY, SHARP, PREGAME}
    # Tiers follow the current tip-off time, not a stored label.
    assert covered_tiers(TIP + timedelta(hours=2), [_before(hours=2)], WINDOW) == {PREGAME}


def test_find_gaps_lists_missing_tiers_of_past_slots_only() -> None:
    a, b = _game("a"), _game("b")
    captures = {"a": [_before(hours=100), _before(minutes=5)], "b": []}
    gaps = find_gaps([a, b], captures, SETTINGS, closing_window=WINDOW, now=TIP + timedelta(days=1))
    assert gaps == sorted(
        [Gap("a", t) for t in (PREGAME, SHARP, EARLY)] + [Gap("b", t) for t in RANK]
    )
    # Twenty hours before tip: the sharp (12 h), pregame and closing slots are still ahead.
    early = find_gaps([b], captures, SETTINGS, closing_window=WINDOW, now=_before(hours=20))
    assert early == [Gap("b", EARLY), Gap("b", OPENING)]


def test_a_gap_already_tried_in_vain_is_not_planned_again() -> None:
    game = _game("g")
    sharp, closing = Gap("g", SHARP), Gap("g", CLOSING)

    def attempt(at: datetime, snapshot: datetime | None, missing: bool = False) -> Attempt:
        return Attempt(at, frozenset({"g"}), frozenset({"g"} if missing else ()), snapshot)

    def tried(*attempts: Attempt) -> list[Gap]:
        return unfillable([sharp, closing], [game], attempts, SETTINGS, closing_window=WINDOW)

    assert tried() == []
    # Asked inside the sharp window, answered with an older (early-tier) snapshot: hopeless.
    assert tried(attempt(_before(hours=12), _before(hours=30))) == [sharp]
    # Answered inside the tier: the snapshot was stored and deleted since, so fillable.
    assert tried(attempt(_before(hours=12), _before(hours=12, minutes=4))) == []
    # Not listed at 5 minutes before tip: not listed earlier either.
    assert tried(attempt(_before(minutes=5), None, missing=True)) == [closing, sharp]
    # Answered inside the tier but refused by validation: history would answer the same.
    refused = Attempt(
        _before(hours=12), frozenset({"g"}), frozenset(), _before(hours=12, minutes=4), True
    )
    assert tried(refused) == [sharp]
    # Asked before the windows open: says nothing about them.
    assert tried(attempt(_before(hours=40), _before(hours=40))) == []
    # Another game's attempt says nothing about this one.
    other = Attempt(_before(hours=12), frozenset({"x"}), frozenset({"x"}), None)
    assert tried(other) == []


def test_calls_are_ranked_closing_first_and_cut_at_the_cap() -> None:
    # Four games tipping 6 h apart: closing and opening gaps each need their own calls.
    games = [_game(f"g{i}", TIP + timedelta(hours=6 * i)) for i in range(4)]
    gaps = [Gap(g.id, tier) for g in games for tier in (CLOSING, OPENING)]
    now = TIP + timedelta(days=3)
    full = build_gap_plan(games, gaps, SETTINGS, now=now)
    assert sorted((t.event_id, t.tier) for c in full.plan.calls for t in c.targets) == sorted(
        (g.event_id, g.tier) for g in gaps
    )
    best = [min(RANK.index(t.tier) for t in call.targets) for call in full.plan.calls]
    assert best == sorted(best) and best[0] == 0
    per_call = full.plan.costs.per_call
    assert per_call == 30 and full.plan.costs.grouped == per_call * len(full.plan.calls)

    closing_calls = sum(1 for b in best if b == 0)
    capped = build_gap_plan(
        games, gaps, SETTINGS, now=now, max_credits=per_call * closing_calls + per_call - 1
    )
    assert capped.plan.calls == full.plan.calls[:closing_calls]
    assert {g.tier for g in capped.planned} == {CLOSING}
    assert set(capped.planned) | set(capped.deferred) == set(gaps)
    assert capped.plan.plan_id != full.plan.plan_id
    assert build_gap_plan(games, gaps, SETTINGS, now=now, max_credits=0).plan.calls == []
    # Hopeless gaps are left out of the plan and reported.
    skipped = build_gap_plan(games, gaps, SETTINGS, now=now, hopeless=gaps[:2])
    assert skipped.unfillable == sorted(gaps[:2])
    assert not set(skipped.planned) & set(gaps[:2])
    assert FetchTier.CLOSING in {t.tier for c in skipped.plan.calls for t in c.targets}

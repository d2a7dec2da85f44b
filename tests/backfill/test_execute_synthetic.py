"""Acceptance on the synthetic market: 5-minute snapshots, so every planned slot is stored.

Unlike the daily real archive, the synthetic history has a snapshot every 5 minutes, so each
planned (game, slot) becomes its own snapshot, no older than 5 minutes before the call, and
its label (from the real timestamp) is the tier the slot aimed at.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col
from starlette.applications import Starlette

from oddscore.backfill.executor import CallOutcome, CallStatus, ExecutionReport, Executor
from oddscore.backfill.planner import BackfillPlan, PlannedCall, PlanSettings, build_plan
from oddscore.backfill.selection import Game, select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.clock import FrozenClock
from oddscore.simulator import create_app, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, OddsSnapshot
from tests.backfill.conftest import API_KEY, BOOKS, SPORT, InjectedCrash, make_client

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DATES = (date(2026, 11, 10), date(2026, 11, 12))


@pytest.fixture(scope="module")
def synthetic_app() -> Starlette:
    return create_app(
        api_key=API_KEY,
        seed=11,
        clock=FrozenClock(NOW),
        requests_per_second_limit=None,
        quota=1_000_000,
    )


SETTINGS = PlanSettings(sport=SPORT, start=DATES[0], end=DATES[1], bookmakers=BOOKS)


async def _games(app: Starlette) -> list[Game]:
    async with make_client(app) as client:
        games, credits, calls = await endpoint_games(client, SPORT, *DATES)
    assert calls == 3 and credits == 3
    return games


async def _plan(app: Starlette, count: int) -> BackfillPlan:
    games = await _games(app)
    assert len(games) >= count
    return build_plan(
        select_games(games, count=count),
        SETTINGS,
        now=NOW,
        selection_source="endpoint",
        selection_credits=3,
    )


async def _snapshots(db: Database) -> list[OddsSnapshot]:
    async with db.session() as session:
        return list((await session.execute(select(OddsSnapshot))).scalars())


def _check_stored(plan: BackfillPlan, stored: list[OddsSnapshot]) -> None:
    """One snapshot per planned (game, slot), at most 5 min before its call, in its tier."""
    targets = {(t.event_id, call.time): t.tier.value for call in plan.calls for t in call.targets}
    assert len(stored) == len(targets) == len(plan.games) * len(plan.settings.slots)
    matched = set()
    for snap in stored:
        [(key, tier)] = [
            (key, tier)
            for key, tier in targets.items()
            if key[0] == snap.event_id
            and key[1] - timedelta(minutes=5) <= snap.snapshot_time <= key[1]
        ]
        assert snap.fetch_tier == tier
        matched.add(key)
    assert matched == set(targets)


async def test_plan_execute_rerun_on_the_synthetic_market(
    db: Database, synthetic_app: Starlette
) -> None:
    ledger = simulator_of(synthetic_app).ledger
    plan = await _plan(synthetic_app, count=6)
    assert plan.costs.grouped < plan.costs.naive
    used = ledger.used
    async with make_client(synthetic_app) as client:
        report = await Executor(db, client, plan).execute(concurrency=3)
    assert ledger.used - used == report.credits_spent == plan.costs.grouped
    assert all(o.status is CallStatus.DONE and not o.games_missing for o in report.outcomes)
    stored = await _snapshots(db)
    _check_stored(plan, stored)
    assert {s.fetch_tier for s in stored} == {"opening", "early", "sharp", "pregame", "closing"}

    used = ledger.used
    async with make_client(synthetic_app) as client:
        again = await Executor(db, client, plan).execute()
    assert again.credits_spent == 0 and ledger.used == used
    assert len(await _snapshots(db)) == len(stored)


async def test_crash_and_resume_on_the_synthetic_market(
    db: Database, synthetic_app: Starlette
) -> None:
    ledger = simulator_of(synthetic_app).ledger
    plan = await _plan(synthetic_app, count=4)
    used = ledger.used
    half = len(plan.calls) // 2
    async with make_client(synthetic_app, crash_at=half) as client:
        with pytest.raises(InjectedCrash):
            await Executor(db, client, plan, stale_claim_after=timedelta(0)).execute(concurrency=2)
    assert 0 < ledger.used - used < plan.costs.grouped
    async with make_client(synthetic_app) as client:
        await Executor(db, client, plan, stale_claim_after=timedelta(0)).execute()
    assert ledger.used - used == plan.costs.grouped
    _check_stored(plan, await _snapshots(db))


async def test_overlapping_plans_pay_only_for_games_not_stored_yet(
    db: Database, synthetic_app: Starlette
) -> None:
    """A second plan over stored games pays nothing, unless it asks for more (other books);
    a wider one pays only for the calls that hold a new game."""
    ledger = simulator_of(synthetic_app).ledger
    first = await _plan(synthetic_app, count=4)
    async with make_client(synthetic_app) as client:
        await Executor(db, client, first).execute()
    stored = len(await _snapshots(db))

    async def run(plan: BackfillPlan) -> tuple[int, int, ExecutionReport]:
        used = ledger.used
        async with make_client(synthetic_app) as client:
            executor = Executor(db, client, plan)
            dry = await executor.execute(dry_run=True)
            report = await executor.execute()
        assert ledger.used - used == report.credits_spent
        assert all(o.status is CallStatus.DONE for o in report.outcomes)
        return dry.credits_outstanding, report.credits_spent, report

    for settings in (SETTINGS, SETTINGS.model_copy(update={"markets": ["h2h"]})):
        subset = build_plan(first.games[:2], settings, now=NOW, selection_source="endpoint")
        assert subset.plan_id != first.plan_id
        outstanding, spent, report = await run(subset)
        assert (outstanding, spent) == (0, 0)
        assert report.calls_served == len(subset.calls) > 0
        assert {o.served_by for o in report.outcomes} == {(first.plan_id,)}
    assert len(await _snapshots(db)) == stored

    other_books = SETTINGS.model_copy(update={"bookmakers": BOOKS[:1]})
    narrower = build_plan(first.games[:2], other_books, now=NOW, selection_source="endpoint")
    outstanding, spent, report = await run(narrower)
    assert outstanding == spent == narrower.costs.grouped > 0 and report.calls_served == 0

    known = {game.id for game in first.games}
    new = [game for game in await _games(synthetic_app) if game.id not in known][:2]
    wider = build_plan([*first.games, *new], SETTINGS, now=NOW, selection_source="endpoint")
    paying = [call for call in wider.calls if not set(call.event_ids) <= known]
    outstanding, spent, report = await run(wider)
    assert outstanding == spent == sum(call.credits for call in paying) > 0
    assert report.calls_served == len(wider.calls) - len(paying) > 0


async def test_a_game_missing_from_an_earlier_slate_is_asked_for_again(
    db: Database, synthetic_app: Starlette
) -> None:
    """Another plan's call that found a game missing serves only calls at its time or
    earlier: a later slate may list the game."""
    first = await _plan(synthetic_app, count=4)
    async with make_client(synthetic_app) as client:
        await Executor(db, client, first).execute()
    asked = {
        (target.event_id, target.slot): call.time for call in first.calls for target in call.targets
    }
    # The game with a slot asked for before its target, in a call shared with another game.
    game = next(
        g
        for g in first.games
        for slot in SETTINGS.slots
        if asked[(g.id, slot.name)] < g.commence_time - slot.lead
    )
    async with db.session() as session:  # pretend every slate of the first plan lacked it
        await session.execute(
            update(BackfillCall)
            .where(col(BackfillCall.plan_id) == first.plan_id)
            .values(games_missing=[game.id])
        )
    # Alone, the game's calls sit at its slots' targets; shared, some were asked earlier.
    single = build_plan([game], SETTINGS, now=NOW, selection_source="endpoint")
    later = [call for call in single.calls if asked[(game.id, call.targets[0].slot)] < call.time]
    assert later and len(later) < len(single.calls)
    ledger = simulator_of(synthetic_app).ledger
    used = ledger.used
    async with make_client(synthetic_app) as client:
        report = await Executor(db, client, single).execute()
    assert ledger.used - used == report.credits_spent == sum(call.credits for call in later)
    served = [o for o in report.outcomes if o.served_by]
    assert len(served) == len(single.calls) - len(later)
    assert all(o.games_missing == (game.id,) and o.games_stored == 0 for o in served)


async def test_two_plans_sharing_calls_run_at_once_pay_each_call_once(
    db: Database, synthetic_app: Starlette
) -> None:
    """Two different plans over the same games (another selection seed: another plan id, the
    same calls), run at the same time: each shared call is paid once whatever the
    interleaving, and what one run let go is served by the other's answers on the next run."""
    ledger = simulator_of(synthetic_app).ledger
    first = await _plan(synthetic_app, count=4)
    twin_settings = SETTINGS.model_copy(update={"seed": 1})
    twin = build_plan(first.games, twin_settings, now=NOW, selection_source="endpoint")
    assert twin.plan_id != first.plan_id
    assert [c.time for c in twin.calls] == [c.time for c in first.calls]
    used = ledger.used
    async with make_client(synthetic_app) as one, make_client(synthetic_app) as two:
        reports = await asyncio.gather(
            Executor(db, one, first).execute(concurrency=2),
            Executor(db, two, twin).execute(concurrency=2),
        )
    assert ledger.used - used == sum(r.credits_spent for r in reports) == first.costs.grouped
    async with make_client(synthetic_app) as client:
        again = [await Executor(db, client, plan).execute() for plan in (first, twin)]
    assert ledger.used - used == first.costs.grouped
    assert all(o.status is CallStatus.DONE for report in again for o in report.outcomes)
    _check_stored(first, await _snapshots(db))


async def test_a_call_another_plan_claimed_first_is_let_go_unpaid(
    db: Database, synthetic_app: Starlette
) -> None:
    """The exact race: the other plan claims between this run's check and its claim. This
    run lets its claim go, unpaid, and leaves the call pending; the other run holds it."""
    ledger = simulator_of(synthetic_app).ledger
    mine = await _plan(synthetic_app, count=2)
    rival_plan = build_plan(
        mine.games, SETTINGS.model_copy(update={"seed": 2}), now=NOW, selection_source="endpoint"
    )
    rival = Executor(db, None, rival_plan)
    await rival.register()
    contested = mine.calls[0]

    class Interleaved(Executor):
        async def _before_paying(self, call: PlannedCall) -> CallOutcome | None:
            outcome = await super()._before_paying(call)
            if outcome is None and call.time == contested.time:
                assert await rival._claim(rival_plan.calls[0])
            return outcome

    used = ledger.used
    async with make_client(synthetic_app) as client:
        report = await Interleaved(db, client, mine).execute(concurrency=1)
    outcome = {o.call_time: o for o in report.outcomes}
    assert outcome[contested.time].status is CallStatus.CLAIMED
    assert not outcome[contested.time].paid
    paid = sum(call.credits for call in mine.calls[1:])
    assert ledger.used - used == report.credits_spent == paid
    async with db.session() as session:
        statuses = dict(
            (
                await session.execute(
                    select(BackfillCall.plan_id, BackfillCall.status).where(
                        col(BackfillCall.call_time) == contested.time
                    )
                )
            ).all()
        )
    assert statuses == {mine.plan_id: "pending", rival_plan.plan_id: "claimed"}

"""The gap backfill on a recorded season with holes punched in, against the simulator's history.

The season: eight games of the synthetic market backfilled at every slot (5-minute snapshots,
so each slot is its own snapshot in its tier). Holes are then punched by deleting snapshots
(and their odds rows); the gap backfill must plan exactly those holes, pay exactly what it
planned (the simulator's billed credits), fill them, and plan nothing on a second run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlmodel import col
from starlette.applications import Starlette

from oddscore.backfill.executor import CallOutcome, CallStatus, Executor
from oddscore.backfill.gap_fill import GapExecutor, default_settings, plan_gaps
from oddscore.backfill.gaps import RANK, Gap, GapPlan, covered_tiers
from oddscore.backfill.planner import BackfillPlan, PlannedCall, PlanSettings, build_plan
from oddscore.backfill.selection import Game, select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.clock import FrozenClock
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.scheduling.tiers import FetchTier, hours_until, tier_for
from oddscore.simulator import create_app, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, Odds, OddsSnapshot
from tests.backfill.conftest import (
    API_KEY,
    BOOKS,
    SPORT,
    ExplodingClock,
    InjectedCrash,
    make_client,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DATES = (date(2026, 11, 10), date(2026, 11, 12))
CLOSING_WINDOW = timedelta(minutes=10)
PER_CALL = 30  # 10 x 3 markets x 1 region (3 books)
GAP_SETTINGS = default_settings(
    SPORT,
    *DATES,
    markets=["h2h", "spreads", "totals"],
    bookmakers=BOOKS,
    regions=[],
    closing_lead=timedelta(minutes=5),
)


@pytest.fixture(scope="module")
def season_app() -> Starlette:
    return create_app(
        api_key=API_KEY,
        seed=11,
        clock=FrozenClock(NOW),
        requests_per_second_limit=None,
        quota=10_000_000,
    )


async def _record_season(db: Database, app: Starlette) -> BackfillPlan:
    """Eight games stored at every slot: 72 h, 24 h, 12 h, 3 h, 30 min and 5 min before tip."""
    async with make_client(app) as client:
        games, _, _ = await endpoint_games(client, SPORT, *DATES)
        plan = build_plan(
            select_games(games, count=8),
            PlanSettings(sport=SPORT, start=DATES[0], end=DATES[1], bookmakers=BOOKS),
            now=NOW,
            selection_source="endpoint",
        )
        report = await Executor(db, client, plan).execute(concurrency=4)
    assert all(o.status is CallStatus.DONE and not o.games_missing for o in report.outcomes)
    return plan


def _kind(game: Game, at: datetime) -> str:
    """'close' (the closing capture), '30m' (closing tier, not a capture) or the tier."""
    tier = tier_for(hours_until(game.commence_time, at))
    assert tier is not None
    if tier is FetchTier.CLOSING:
        return "close" if game.commence_time - at <= CLOSING_WINDOW else "30m"
    return tier.value


async def _punch(db: Database, holes: dict[str, set[str]], games: Iterable[Game]) -> int:
    """Delete the snapshots (and their odds) of each game's listed kinds; how many went."""
    by_id = {game.id: game for game in games}
    async with db.session() as session:
        snaps = list((await session.execute(select(OddsSnapshot))).scalars())
        doomed = [
            s.id
            for s in snaps
            if _kind(by_id[s.event_id], s.snapshot_time) in holes.get(s.event_id, ())
        ]
        await session.execute(delete(Odds).where(col(Odds.snapshot_id).in_(doomed)))
        await session.execute(delete(OddsSnapshot).where(col(OddsSnapshot.id).in_(doomed)))
    return len(doomed)


async def _season_with_holes(db: Database, app: Starlette) -> tuple[BackfillPlan, set[Gap]]:
    season = await _record_season(db, app)
    a, b, c, d, e = (game.id for game in season.games[:5])
    holes = {
        a: {"close"},  # the closing capture only: a closing gap
        b: {"30m"},  # closing tier without the capture: the capture still covers it
        c: {"close", "30m"},  # one closing gap, not two
        d: {"pregame", "opening"},
        e: {"sharp", "early"},
    }
    assert await _punch(db, holes, season.games) == 8
    expected = {
        Gap(a, FetchTier.CLOSING),
        Gap(c, FetchTier.CLOSING),
        Gap(d, FetchTier.PREGAME),
        Gap(d, FetchTier.OPENING),
        Gap(e, FetchTier.SHARP),
        Gap(e, FetchTier.EARLY),
    }
    return season, expected


async def _plan(db: Database, max_credits: int | None = None) -> GapPlan:
    return await plan_gaps(
        db, GAP_SETTINGS, closing_window=CLOSING_WINDOW, now=NOW, max_credits=max_credits
    )


async def _missing(db: Database, season: BackfillPlan) -> set[Gap]:
    """Every game's missing tiers, computed from the stored snapshots directly."""
    async with db.session() as session:
        rows = (
            await session.execute(
                select(col(OddsSnapshot.event_id), col(OddsSnapshot.snapshot_time))
            )
        ).all()
    missing = set()
    for game in season.games:
        times = [t for event_id, t in rows if event_id == game.id]
        have = covered_tiers(game.commence_time, times, CLOSING_WINDOW)
        missing |= {Gap(game.id, tier) for tier in RANK if tier not in have}
    return missing


def _targets(plan: BackfillPlan) -> list[Gap]:
    return [Gap(t.event_id, t.tier) for call in plan.calls for t in call.targets]


async def test_plans_exactly_the_holes_pays_the_plan_fills_them_and_replans_nothing(
    db: Database, season_app: Starlette
) -> None:
    ledger = simulator_of(season_app).ledger
    season, expected = await _season_with_holes(db, season_app)
    assert await _missing(db, season) == expected

    gaps = await _plan(db)
    assert set(gaps.gaps) == expected and gaps.unfillable == []
    targets = _targets(gaps.plan)
    assert sorted(targets) == sorted(expected)  # each hole once, nothing more
    assert gaps.plan.plan_id == gaps.full.plan_id and gaps.left == []
    assert {g.id for g in gaps.plan.games} == {gap.event_id for gap in expected}
    assert gaps.plan.costs.per_call == PER_CALL
    assert gaps.plan.costs.grouped == PER_CALL * len(gaps.plan.calls)
    # Ranked: the closing calls come first.
    first = gaps.plan.calls[0]
    assert any(t.tier is FetchTier.CLOSING for t in first.targets)
    ranks = [min(RANK.index(t.tier) for t in call.targets) for call in gaps.plan.calls]
    assert ranks == sorted(ranks)

    used = ledger.used
    async with make_client(season_app) as client:
        report = await GapExecutor(db, client, gaps.plan, closing_window=CLOSING_WINDOW).execute(
            budget=gaps.plan.costs.grouped
        )
    assert all(o.status is CallStatus.DONE and o.paid for o in report.outcomes)
    assert ledger.used - used == report.credits_spent == gaps.plan.costs.grouped
    assert await _missing(db, season) == set()

    again = await _plan(db)
    assert again.gaps == [] and again.plan.calls == [] and again.plan.costs.grouped == 0


async def test_the_cap_takes_closing_gaps_first_and_the_rest_later(
    db: Database, season_app: Starlette
) -> None:
    ledger = simulator_of(season_app).ledger
    season, expected = await _season_with_holes(db, season_app)
    full = await _plan(db)
    closing = {gap for gap in expected if gap.tier is FetchTier.CLOSING}
    closing_calls = [
        call for call in full.plan.calls if any(t.tier is FetchTier.CLOSING for t in call.targets)
    ]
    cap = PER_CALL * len(closing_calls) + PER_CALL - 1  # one credit short of one more call
    capped = await _plan(db, max_credits=cap)
    assert capped.plan.calls == full.plan.calls[: len(closing_calls)]
    assert closing <= set(capped.planned) and capped.plan.costs.grouped <= cap
    assert set(capped.planned) | set(capped.deferred) == expected
    assert capped.plan.plan_id != full.plan.plan_id

    used = ledger.used
    async with make_client(season_app) as client:
        report = await GapExecutor(db, client, capped.plan, closing_window=CLOSING_WINDOW).execute(
            budget=cap
        )
    assert ledger.used - used == report.credits_spent == capped.plan.costs.grouped
    assert await _missing(db, season) == set(capped.deferred)

    # A cap below one call plans nothing and spends nothing.
    assert (await _plan(db, max_credits=PER_CALL - 1)).plan.calls == []
    rest = await _plan(db)
    assert sorted(_targets(rest.plan)) == sorted(capped.deferred)


@pytest.mark.parametrize("fault", ["before_request", "during_ingest"])
async def test_a_crash_resumes_without_paying_twice(
    db: Database, season_app: Starlette, fault: str
) -> None:
    ledger = simulator_of(season_app).ledger
    season, expected = await _season_with_holes(db, season_app)
    gaps = await _plan(db)
    assert len(gaps.plan.calls) >= 3
    used = ledger.used
    options = IngestOptions.from_settings(
        expected_bookmakers=tuple(BOOKS), clock=ExplodingClock(fail_at=2)
    )
    crash_at = 2 if fault == "before_request" else None
    async with make_client(season_app, crash_at=crash_at) as client:
        with pytest.raises(InjectedCrash):
            await GapExecutor(
                db,
                client,
                gaps.plan,
                closing_window=CLOSING_WINDOW,
                options=options if fault == "during_ingest" else None,
            ).execute(concurrency=1)
    paid_before = ledger.used - used
    assert 0 < paid_before < gaps.plan.costs.grouped
    async with db.session() as session:
        statuses = {r.status for r in (await session.execute(select(BackfillCall))).scalars()}
    assert ("claimed" if fault == "before_request" else "fetched") in statuses

    # Rerun as the command does: finish what was paid for, plan again from storage, execute.
    async with make_client(season_app) as client:
        executor = GapExecutor(
            db, client, gaps.plan, closing_window=CLOSING_WINDOW, stale_claim_after=timedelta(0)
        )
        recovered = await executor.finish_fetched()
        assert len(recovered) == (1 if fault == "during_ingest" else 0)
        resumed = await _plan(db)
        assert set(_targets(resumed.plan)) < expected
        report = await GapExecutor(
            db, client, resumed.plan, closing_window=CLOSING_WINDOW, stale_claim_after=timedelta(0)
        ).execute()
    assert all(o.status is CallStatus.DONE for o in report.outcomes)
    assert ledger.used - used == paid_before + resumed.plan.costs.grouped
    # Nothing paid twice: never more than the first plan, each paid call time once.
    assert ledger.used - used <= gaps.plan.costs.grouped
    async with db.session() as session:
        paid = [
            r.call_time
            for r in (await session.execute(select(BackfillCall))).scalars()
            if r.credits_spent > 0 and r.plan_id != season.plan_id
        ]
    assert len(paid) == len(set(paid)) and PER_CALL * len(paid) == ledger.used - used
    assert await _missing(db, season) == set()
    assert (await _plan(db)).plan.calls == []


async def test_a_second_writer_never_pays_twice(db: Database, season_app: Starlette) -> None:
    ledger = simulator_of(season_app).ledger
    season, expected = await _season_with_holes(db, season_app)
    gaps = await _plan(db)
    later = await _plan(db)  # a second run planning from the same storage: the same plan
    assert later.plan.plan_id == gaps.plan.plan_id

    # Both at once: the ledger's claim lets one of them pay each call.
    used = ledger.used
    async with make_client(season_app) as one, make_client(season_app) as two:
        first, second = await asyncio.gather(
            GapExecutor(db, one, gaps.plan, closing_window=CLOSING_WINDOW).execute(concurrency=2),
            GapExecutor(db, two, later.plan, closing_window=CLOSING_WINDOW).execute(concurrency=2),
        )
    assert ledger.used - used == first.credits_spent + second.credits_spent
    assert ledger.used - used == gaps.plan.costs.grouped
    assert await _missing(db, season) == set()

    # A plan made before another run filled the holes pays nothing when its turn comes
    # (a cap of one call makes it a different plan from the full one).
    g0, g1 = (game.id for game in gaps.plan.games[:2])
    holes = {g0: {"close", "30m"}, g1: {"opening"}}
    await _punch(db, holes, season.games)
    early_view = await _plan(db, max_credits=PER_CALL)
    other = await _plan(db)
    assert len(other.plan.calls) == 2 and early_view.plan.calls == other.plan.calls[:1]
    async with make_client(season_app) as client:
        await GapExecutor(db, client, other.plan, closing_window=CLOSING_WINDOW).execute()
        used = ledger.used
        late = await GapExecutor(
            db, client, early_view.plan, closing_window=CLOSING_WINDOW
        ).execute()
    assert ledger.used == used and late.credits_spent == 0
    assert [(o.status, o.served_by) for o in late.outcomes] == [(CallStatus.DONE, ("stored",))]
    assert await _missing(db, season) == set()

    # A call another run holds right now (claimed, not stale) is left alone, unpaid.
    await _punch(db, holes, season.games)
    rival = await _plan(db, max_credits=PER_CALL)
    mine = await _plan(db)
    await GapExecutor(db, None, rival.plan).register()
    async with db.session() as session:
        await session.execute(
            update(BackfillCall)
            .where(col(BackfillCall.plan_id) == rival.plan.plan_id)
            .values(status="claimed", claimed_at=datetime.now(UTC))
        )
    used = ledger.used
    async with make_client(season_app) as client:
        held = await GapExecutor(db, client, mine.plan, closing_window=CLOSING_WINDOW).execute()
    outcome = {o.call_time: o for o in held.outcomes}
    assert outcome[rival.plan.calls[0].time].status is CallStatus.CLAIMED
    assert outcome[mine.plan.calls[1].time].paid
    assert ledger.used - used == held.credits_spent == PER_CALL
    assert await _missing(db, season) == {Gap(g0, FetchTier.CLOSING)}


async def test_two_plans_racing_for_one_call_pay_it_once(
    db: Database, season_app: Starlette
) -> None:
    """Different plans (here: with and without a cap) over the same gaps, run at once."""
    ledger = simulator_of(season_app).ledger
    season, _ = await _season_with_holes(db, season_app)
    async with make_client(season_app) as client:  # fill the season's holes first
        await GapExecutor(db, client, (await _plan(db)).plan).execute()
    g0, g1 = (game.id for game in season.games[:2])
    holes = {g0: {"close", "30m"}, g1: {"opening"}}

    # Both at once: whichever interleaving happens, each moment is paid once.
    await _punch(db, holes, season.games)
    full, capped = await _plan(db), await _plan(db, max_credits=PER_CALL)
    assert capped.plan.calls == full.plan.calls[:1] and capped.plan.plan_id != full.plan.plan_id
    used = ledger.used
    async with make_client(season_app) as one, make_client(season_app) as two:
        await asyncio.gather(
            GapExecutor(db, one, full.plan, closing_window=CLOSING_WINDOW).execute(),
            GapExecutor(db, two, capped.plan, closing_window=CLOSING_WINDOW).execute(),
        )
    assert ledger.used - used == full.plan.costs.grouped
    assert await _missing(db, season) == set()

    # The exact race: the rival claims between this run's check and its claim. The earlier
    # claim wins; this run lets its claim go, unpaid, and leaves the call pending.
    await _punch(db, holes, season.games)
    mine = await _plan(db)
    # Another range over the same games: a plan of its own, never run before.
    wider = GAP_SETTINGS.model_copy(update={"end": DATES[1] + timedelta(days=1)})
    rival = await plan_gaps(db, wider, closing_window=CLOSING_WINDOW, now=NOW, max_credits=PER_CALL)
    assert rival.plan.calls == mine.plan.calls[:1]
    rival_executor = GapExecutor(db, None, rival.plan)
    await rival_executor.register()

    class Interleaved(GapExecutor):
        async def _before_paying(self, call: PlannedCall) -> CallOutcome | None:
            outcome = await super()._before_paying(call)
            if outcome is None and call.time == rival.plan.calls[0].time:
                assert await rival_executor._claim(rival.plan.calls[0])
            return outcome

    used = ledger.used
    spent_before = (await _row(db, mine.plan.plan_id, rival.plan.calls[0].time)).credits_spent
    async with make_client(season_app) as client:
        report = await Interleaved(db, client, mine.plan, closing_window=CLOSING_WINDOW).execute(
            concurrency=1
        )
    outcome = {o.call_time: o for o in report.outcomes}
    assert outcome[rival.plan.calls[0].time].status is CallStatus.CLAIMED
    assert ledger.used - used == report.credits_spent == PER_CALL  # only the other call
    row = await _row(db, mine.plan.plan_id, rival.plan.calls[0].time)
    assert mine.plan.plan_id == full.plan.plan_id  # the same holes: the same plan
    assert row.status == "pending" and row.credits_spent == spent_before  # nothing added


async def _row(db: Database, plan_id: str, call_time: datetime) -> BackfillCall:
    async with db.session() as session:
        [row] = (
            await session.execute(
                select(BackfillCall).where(
                    col(BackfillCall.plan_id) == plan_id, col(BackfillCall.call_time) == call_time
                )
            )
        ).scalars()
    return row

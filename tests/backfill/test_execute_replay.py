"""Acceptance on the real 2023-24 archive: plan December 2023, execute, re-run, crash, resume.

The archive holds one snapshot a day (~11:55 UTC), and the replay answers each request with
the latest snapshot at or before it. So the six slots of a game collapse onto at most a few
distinct daily snapshots: the stored snapshots are the planned (game, call) pairs *as the
provider timed them*, one per distinct (game, response timestamp), and each is labelled with
the tier of its real timestamp (mostly "sharp"/"early"/"opening", never "closing").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from oddscore.backfill.executor import CallStatus, Executor
from oddscore.backfill.planner import BackfillPlan, PlanSettings, build_plan
from oddscore.backfill.selection import select_games
from oddscore.backfill.sources import endpoint_games, stored_games
from oddscore.backfill.status import backfill_status
from oddscore.exceptions import PlanningError
from oddscore.ingestion.pipeline import IngestOptions
from oddscore.scheduling.tiers import hours_until, tier_for
from oddscore.simulator import ReplayArchive, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import BackfillCall, OddsSnapshot
from tests.backfill.conftest import (
    BOOKS,
    SPORT,
    ExplodingClock,
    InjectedCrash,
    make_client,
)
from tests.conftest import real_data

NOW = datetime(2026, 11, 29, tzinfo=UTC)
DECEMBER = (date(2023, 12, 1), date(2023, 12, 31))


def _settings(**changes: object) -> PlanSettings:
    values: dict[str, object] = {
        "sport": SPORT,
        "start": DECEMBER[0],
        "end": DECEMBER[1],
        "bookmakers": BOOKS,
    }
    values.update(changes)
    return PlanSettings.model_validate(values)


def _expected_snapshots(plan: BackfillPlan, calls: Iterable[object] | None = None) -> set:
    """(event, snapshot time) the archive holds for the planned calls, computed independently."""
    archive = ReplayArchive(real_data("the_odds_api_snapshots"))
    expected = set()
    for call in plan.calls:
        snapshot = archive.snapshot_at("odds", call.time)
        assert snapshot is not None
        listed = {event["id"] for event in archive.events(snapshot)}
        expected |= {(eid, snapshot.timestamp) for eid in call.event_ids if eid in listed}
    return expected


async def _stored(db: Database) -> list[OddsSnapshot]:
    async with db.session() as session:
        return list((await session.execute(select(OddsSnapshot))).scalars())


async def _plan(db: Database, app: Starlette, **selection: object) -> BackfillPlan:
    async with make_client(app) as client:
        games, credits, calls = await endpoint_games(client, SPORT, *DECEMBER)
    # One historical /events call per date: 1 credit, 0 on a date without games.
    assert calls == 31 and credits == len({g.slate for g in games}) == 28
    chosen = select_games(games, **selection)  # type: ignore[arg-type]
    return build_plan(
        chosen, _settings(), now=NOW, selection_source="endpoint", selection_credits=credits
    )


async def test_plan_execute_rerun_on_the_real_archive(db: Database, replay_app: Starlette) -> None:
    ledger = simulator_of(replay_app).ledger
    plan = await _plan(db, replay_app)
    assert len(plan.games) == 42 and plan.costs.selection == 28
    assert plan.costs.grouped == 30 * len(plan.calls) < plan.costs.naive

    used = ledger.used
    async with make_client(replay_app) as client:
        report = await Executor(db, client, plan).execute(concurrency=4)
    assert report.credits_spent == plan.costs.grouped
    assert ledger.used - used == plan.costs.grouped  # what the provider actually billed
    assert all(o.status is CallStatus.DONE for o in report.outcomes)

    stored = await _stored(db)
    expected = _expected_snapshots(plan)
    assert {(s.event_id, s.snapshot_time) for s in stored} == expected
    assert len(stored) == len(expected)  # no duplicates
    assert {s.event_id for s in stored} <= {g.id for g in plan.games}
    assert all(s.source == "historical" for s in stored)
    # Labels follow the real snapshot time, not the slot the call aimed at.
    commence = {g.id: g.commence_time for g in plan.games}
    for snap in stored:
        assert snap.fetch_tier == tier_for(hours_until(commence[snap.event_id], snap.snapshot_time))
    assert "closing" not in {s.fetch_tier for s in stored}  # 11:55 UTC is never near a tip

    # A second execute pays nothing and stores nothing.
    used = ledger.used
    async with make_client(replay_app) as client:
        again = await Executor(db, client, plan).execute()
    assert again.credits_spent == 0 and again.calls_paid == 0 and ledger.used == used
    assert len(await _stored(db)) == len(stored)

    [progress] = await backfill_status(db, now=NOW)
    assert progress.plan_id == plan.plan_id and progress.complete
    assert progress.credits_spent == progress.credits_planned == plan.costs.grouped
    assert progress.snapshots_stored >= len(stored)  # a snapshot can serve two calls
    # No results were imported: every game is listed, with the import as remedy (2023 is
    # far beyond the scores endpoint's 3 days).
    assert len(progress.missing_results) == 42
    assert {m.remedy for m in progress.missing_results} == {"odds results import"}

    # The games are now stored: planning again selects from the table, for free.
    games = await stored_games(db, SPORT, *DECEMBER)
    assert {g.id for g in plan.games} <= {g.id for g in games}


@pytest.mark.parametrize("fault", ["before_request", "during_ingest"])
async def test_crash_and_resume_pays_each_call_once(
    db: Database, replay_app: Starlette, fault: str
) -> None:
    ledger = simulator_of(replay_app).ledger
    plan = await _plan(db, replay_app, count=8, strategy="random", seed=3)
    used = ledger.used
    options = IngestOptions.from_settings(
        expected_bookmakers=tuple(BOOKS), clock=ExplodingClock(fail_at=6)
    )
    crash_at = 6 if fault == "before_request" else None
    async with make_client(replay_app, crash_at=crash_at) as client:
        executor = Executor(
            db,
            client,
            plan,
            options=options if fault == "during_ingest" else None,
            stale_claim_after=timedelta(0),  # the crashed run is gone: take its claims over
        )
        with pytest.raises(InjectedCrash):
            await executor.execute(concurrency=1)
    async with db.session() as session:
        rows = list((await session.execute(select(BackfillCall))).scalars())
    statuses = {row.status for row in rows}
    done = sum(row.status == "done" for row in rows)
    assert (done == 5) if fault == "before_request" else (5 <= done < len(plan.calls) - 1)
    # before_request: call 6 was claimed, never sent; during_ingest: paid, kept as fetched.
    assert ("claimed" if fault == "before_request" else "fetched") in statuses
    spent_before = ledger.used - used

    async with make_client(replay_app) as client:
        resumed = await Executor(db, client, plan, stale_claim_after=timedelta(0)).execute()
    assert all(o.status is CallStatus.DONE for o in resumed.outcomes)
    assert ledger.used - used == plan.costs.grouped  # total billed == the plan, nothing twice
    assert spent_before + resumed.credits_spent == plan.costs.grouped
    stored = await _stored(db)
    assert {(s.event_id, s.snapshot_time) for s in stored} == _expected_snapshots(plan)
    async with db.session() as session:
        duplicates = await session.execute(
            select(OddsSnapshot.event_id, OddsSnapshot.snapshot_time)
            .group_by(OddsSnapshot.event_id, OddsSnapshot.snapshot_time)
            .having(func.count() > 1)
        )
        assert duplicates.all() == []
    [progress] = await backfill_status(db, now=NOW)
    assert progress.credits_spent == plan.costs.grouped and progress.complete


async def test_refuses_over_budget_or_quota_and_dry_run_spends_nothing(
    db: Database, replay_app: Starlette
) -> None:
    ledger = simulator_of(replay_app).ledger
    plan = await _plan(db, replay_app, count=3)
    used = ledger.used
    async with make_client(replay_app) as client:
        executor = Executor(db, client, plan)
        with pytest.raises(PlanningError, match="over the budget"):
            await executor.execute(budget=plan.costs.grouped - 1)
        dry = await executor.execute(dry_run=True, budget=plan.costs.grouped)
        assert dry.credits_outstanding == plan.costs.grouped and dry.outcomes == []
        assert dry.quota_remaining == ledger.remaining
        quota, ledger.quota = ledger.quota, ledger.used + plan.costs.grouped - 1
        try:
            with pytest.raises(PlanningError, match="remain on the account"):
                await executor.execute()
        finally:
            ledger.quota = quota
    assert ledger.used == used  # the quota check is the free /sports endpoint
    assert await _stored(db) == []

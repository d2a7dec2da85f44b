"""Database faults: a failure at commit or a connection killed mid-ingest leaves nothing of
the payload (events, snapshots, odds all-or-nothing); a retry stores it exactly once; a backfill
whose ingest failed after paying re-ingests the response kept in its ledger without paying."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from oddscore.backfill.executor import CallStatus, Executor
from oddscore.backfill.planner import BackfillPlan, PlanSettings, build_plan
from oddscore.backfill.selection import select_games
from oddscore.backfill.sources import endpoint_games
from oddscore.exceptions import StorageError
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.provider.client import OddsApiClient
from oddscore.simulator import simulator_of
from oddscore.storage.engine import Database
from tests.reliability.conftest import (
    NOW,
    SPORT,
    fault_app,
    make_client,
    odds_event,
    table_counts,
)

OPTIONS = IngestOptions(expected_bookmakers=None, expected_markets=None)
TIP = NOW + timedelta(hours=30)
PAYLOAD = [odds_event(f"dbf{i:02d}" + "0" * 27, TIP + timedelta(days=i)) for i in range(3)]


async def _arm_failure(
    db: Database, *, sleep_seconds: float = 0, table: str = "odds_snapshots"
) -> None:
    """A trigger that fails every insert into ``table`` (or, on PostgreSQL, stalls it first)."""
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            body = (
                f"PERFORM pg_sleep({sleep_seconds}); RETURN NEW;"
                if sleep_seconds
                else "RAISE EXCEPTION 'injected failure before commit';"
            )
            await conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION rel_fail() RETURNS trigger AS $$ "
                    f"BEGIN {body} END $$ LANGUAGE plpgsql"
                )
            )
            await conn.execute(
                text(
                    f"CREATE TRIGGER rel_fail BEFORE INSERT ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION rel_fail()"
                )
            )
        else:
            await conn.execute(
                text(
                    f"CREATE TRIGGER rel_fail BEFORE INSERT ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure before commit'); END"
                )
            )


async def _disarm(db: Database, table: str = "odds_snapshots") -> None:
    async with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text(f"DROP TRIGGER IF EXISTS rel_fail ON {table}"))
        else:
            await conn.execute(text("DROP TRIGGER IF EXISTS rel_fail"))


async def test_a_failure_before_commit_stores_nothing_and_a_retry_stores_once(
    db: Database,
) -> None:
    before = await table_counts(db)
    await _arm_failure(db)
    with pytest.raises(StorageError, match="nothing stored"):
        await ingest_odds(db, PAYLOAD, snapshot_time=NOW, options=OPTIONS)
    assert await table_counts(db) == before  # not even the events
    await _disarm(db)
    first = await ingest_odds(db, PAYLOAD, snapshot_time=NOW, options=OPTIONS)
    again = await ingest_odds(db, PAYLOAD, snapshot_time=NOW, options=OPTIONS)
    assert (first.snapshots_inserted, first.odds_rows) == (3, 6)
    assert (again.snapshots_inserted, again.odds_rows) == (0, 0)
    counts = await table_counts(db)
    assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (3, 3, 6)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # pg_terminate_backend
async def test_a_connection_killed_mid_ingest_leaves_no_partial_snapshot(db_url: str) -> None:
    db = Database.from_url(db_url)
    killer = Database.from_url(db_url, null_pool=True)
    try:
        await _arm_failure(db, sleep_seconds=5)  # the insert stalls: time to kill it
        ingest = asyncio.create_task(ingest_odds(db, PAYLOAD, snapshot_time=NOW, options=OPTIONS))
        killed = 0
        for _ in range(100):
            await asyncio.sleep(0.05)
            async with killer.engine.begin() as conn:
                killed = (
                    await conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND query ILIKE 'INSERT INTO odds_snapshots%'"
                        )
                    )
                ).scalar_one()
            if killed:
                break
        assert killed == 1
        with pytest.raises(StorageError, match="nothing stored"):
            await ingest
        await _disarm(db)
        counts = await table_counts(db)
        assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (0, 0, 0)
        result = await ingest_odds(db, PAYLOAD, snapshot_time=NOW, options=OPTIONS)
        assert (result.snapshots_inserted, result.odds_rows) == (3, 6)
        counts = await table_counts(db)
        assert (counts["events"], counts["odds_snapshots"], counts["odds"]) == (3, 3, 6)
    finally:
        await db.dispose()
        await killer.dispose()


async def _fanduel_plan(client: OddsApiClient, last_day: date, *, games: int) -> BackfillPlan:
    """A plan for ``games`` games from 10 November to ``last_day``, FanDuel only."""
    first_day = date(2026, 11, 10)
    listed, _, _ = await endpoint_games(client, SPORT, first_day, last_day)
    settings = PlanSettings(sport=SPORT, start=first_day, end=last_day, bookmakers=["fanduel"])
    return build_plan(
        select_games(listed, count=games), settings, now=NOW, selection_source="endpoint"
    )


async def test_a_backfill_whose_ingest_fails_after_paying_resumes_from_its_ledger(
    db: Database,
) -> None:
    """The process "dies" between the paid answer and the commit of its rows: the ledger
    kept the response, so the resume stores it and pays nothing."""
    app = fault_app(quota=1_000_000)
    client, wire = make_client(app=app)
    async with client:
        plan = await _fanduel_plan(client, date(2026, 11, 11), games=2)
        ledger = simulator_of(app).ledger
        paid_before = ledger.used
        await _arm_failure(db)
        first = await Executor(db, client, plan).execute(concurrency=2)
        assert {o.status for o in first.outcomes} == {CallStatus.FETCHED}
        assert ledger.used - paid_before == plan.costs.grouped == first.credits_spent
        assert (await table_counts(db))["odds_snapshots"] == 0
        await _disarm(db)
        requests = len(wire.requests)
        second = await Executor(db, client, plan).execute(concurrency=2)
    assert {o.status for o in second.outcomes} == {CallStatus.DONE}
    assert second.credits_spent == 0 and ledger.used - paid_before == plan.costs.grouped
    assert len(wire.requests) == requests  # nothing outstanding: not even a quota check
    targets = sum(len(call.targets) for call in plan.calls)
    assert (await table_counts(db))["odds_snapshots"] == targets


async def test_quota_exhausted_mid_backfill_stops_cleanly_and_the_resume_pays_the_plan(
    db: Database,
) -> None:
    faults_app = fault_app(quota=1_000_000)
    sim = simulator_of(faults_app)
    faults = faults_app.state.faults
    client, wire = make_client(app=faults_app)
    async with client:
        plan = await _fanduel_plan(client, date(2026, 11, 12), games=3)
        assert len(plan.calls) >= 4
        executor = Executor(db, client, plan)
        start = sim.ledger.used
        paid_calls = 2
        afford = sum(call.credits for call in plan.calls[:paid_calls])
        # The account runs dry mid-run (another consumer, the month's end): after preflight.
        first_outcome = True

        def dry_up(_outcome: object) -> None:
            nonlocal first_outcome
            if first_outcome:
                faults.exhaust_after(afford - plan.calls[0].credits)
                first_outcome = False

        report = await executor.execute(concurrency=1, on_outcome=dry_up)
        statuses = [o.status for o in report.outcomes]
        assert statuses[:paid_calls] == [CallStatus.DONE] * paid_calls
        assert set(statuses[paid_calls:]) == {CallStatus.FAILED}
        historical = [p for p in wire.requests if "/historical/" in p and p.endswith("/odds")]
        assert len(historical) == paid_calls + 1  # one refused call, then no more requests
        ledger_rows = await executor.ledger()
        spent = sum(row.credits_spent for row in ledger_rows.values())
        assert spent == sim.ledger.used - start == afford == report.credits_spent
        by_status = {row.status for row in ledger_rows.values()}
        assert by_status == {"done", "failed", "pending"}
        assert all(
            row.raw_response is None and row.credits_spent == 0
            for row in ledger_rows.values()
            if row.status != "done"
        )
        faults.restore_quota(1_000_000)  # the monthly reset
        resumed = await Executor(db, client, plan).execute(concurrency=2)
    assert all(o.status is CallStatus.DONE for o in resumed.outcomes)
    ledger_rows = await Executor(db, None, plan).ledger()
    assert sum(row.credits_spent for row in ledger_rows.values()) == plan.costs.grouped
    assert afford + sim.ledger.used == plan.costs.grouped

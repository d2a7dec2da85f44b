"""Faults through the Prefect flows (the session's one test server): failed provider calls are
in ``fetch_logs``; a database that is down costs nothing; a run that dies between the paid
answer and its commit is retried on the response it paid for."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from oddscore.clock import SystemClock, utcnow
from oddscore.config import get_settings
from oddscore.exceptions import QuotaExhaustedError, StorageError
from oddscore.simulator import FaultPlan, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import FetchLog, OddsSnapshot, PaidCall
from tests.reliability.conftest import API_KEY, fault_app, serve, table_counts
from tests.reliability.test_database_faults import _arm_failure, _disarm

pytestmark = pytest.mark.usefixtures("prefect_harness")
ODDS_COST = 3  # h2h,spreads,totals for the eight default books (one region)


@pytest.fixture
def flow_settings(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A flow run's environment: the database, the key, no client retries (faults are
    injected deliberately; backoff would only make the tests slow)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "0")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def _point_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODDS_API_BASE_URL", url)
    get_settings.cache_clear()


async def _fetch_logs(url: str) -> list[FetchLog]:
    async with Database.from_url(url) as db, db.session() as session:
        return list((await session.execute(select(FetchLog))).scalars())


async def test_a_failed_paid_call_is_in_fetch_logs_and_in_the_success_rate(
    flow_settings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow
    from oddscore.queries.health import flow_activity

    faults = FaultPlan()
    app = fault_app(faults, clock=SystemClock())
    faults.exhaust_after(0)  # /events is free and answers; /odds is refused
    async with serve(app) as url:
        _point_at(url, monkeypatch)
        state = await fetch_odds_flow.with_options(retries=0)(
            FetchOddsParams(reschedule=False, force=True), return_state=True
        )
    assert state.is_failed()
    with pytest.raises(QuotaExhaustedError):
        await state.aresult()
    logs = {row.endpoint.rsplit("/", 1)[-1]: row for row in await _fetch_logs(flow_settings)}
    assert set(logs) == {"events", "odds"}
    failed = logs["odds"]
    assert (failed.success, failed.status_code, failed.error_code) == (
        False,
        401,
        "OUT_OF_USAGE_CREDITS",
    )
    assert failed.flow_name == "fetch-odds" and failed.sport_key == "basketball_nba"
    assert failed.params is not None and "markets" in failed.params
    assert not any("key" in name.lower() for name in failed.params)
    assert logs["events"].success is True
    async with Database.from_url(flow_settings) as db, db.session() as session:
        [activity] = await flow_activity(session, since=failed.fetch_time.replace(year=2000))
    assert (activity.flow, activity.requests, activity.succeeded) == ("fetch-odds", 2, 1)
    assert activity.success_rate == 0.5


@pytest.mark.parametrize(
    ("where", "db_url"),
    [
        ("closed port", "sqlite"),
        ("closed port", "postgres"),
        # A database name that does not exist is a PostgreSQL case.
        ("missing database", "postgres"),
    ],
    indirect=["db_url"],
)
async def test_a_database_that_is_down_when_the_flow_starts_fails_clearly_and_costs_nothing(
    where: str, flow_settings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow

    broken = (
        "postgresql+asyncpg://postgres@127.0.0.1:1/odds"
        if where == "closed port"
        else flow_settings.rsplit("/", 1)[0] + "/odds_does_not_exist_faults"
    )
    app = fault_app(clock=SystemClock())
    ledger = simulator_of(app).ledger
    async with serve(app) as url:
        _point_at(url, monkeypatch)
        monkeypatch.setenv("DATABASE_URL", broken)
        get_settings.cache_clear()
        state = await fetch_odds_flow.with_options(retries=0)(
            FetchOddsParams(reschedule=False), return_state=True
        )
        assert state.is_failed()
        with pytest.raises(StorageError) as raised:
            await state.aresult()
        if where == "missing database":
            assert 'database "odds_does_not_exist_faults" does not exist' in str(raised.value)
        else:
            assert "127.0.0.1" in str(raised.value)  # names what it could not reach
        assert ledger.used == 0  # the free listing only: nothing was paid for
        # The database is back: the next run pays once.
        monkeypatch.setenv("DATABASE_URL", flow_settings)
        get_settings.cache_clear()
        summary = await fetch_odds_flow.with_options(retries=0)(FetchOddsParams(reschedule=False))
    assert summary["basketball_nba.fetched"] is True
    assert ledger.used == ODDS_COST


class _Watch(logging.Handler):
    """Sets ``seen`` when a log line mentions ``text`` (the failed first attempt)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


async def test_a_run_that_dies_between_paying_and_committing_is_retried_on_the_paid_response(
    flow_settings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt pays for /odds, then its write fails before commit (nothing of it
    stored); the flow's retry reuses the persisted response: credits are spent once."""
    from prefect import get_client

    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow

    app = fault_app(clock=SystemClock())
    ledger = simulator_of(app).ledger
    watch = _Watch("injected failure before commit")
    logging.getLogger().addHandler(watch)
    db = Database.from_url(flow_settings)
    await _arm_failure(db)

    async def disarm_after_the_failure() -> None:
        while not watch.seen.is_set():
            await asyncio.sleep(0.05)
        await _disarm(db)

    try:
        async with serve(app) as url:
            _point_at(url, monkeypatch)
            disarming = asyncio.create_task(disarm_after_the_failure())
            state = await fetch_odds_flow.with_options(retries=1, retry_delay_seconds=2)(
                FetchOddsParams(reschedule=False), return_state=True
            )
            await asyncio.wait_for(disarming, 5)
        assert state.is_completed(), state
        summary: dict[str, Any] = await state.aresult()
        async with get_client() as client:
            run = await client.read_flow_run(state.state_details.flow_run_id)
        assert run.run_count == 2  # it really failed once and was retried
        assert ledger.used == ODDS_COST  # paid once
        counts = await table_counts(db)
        assert counts["odds_snapshots"] == summary["basketball_nba.snapshots"] > 0
        async with db.session() as session:
            snapshots = list((await session.execute(select(OddsSnapshot))).scalars())
            odds_fetches = [
                row
                for row in (await session.execute(select(FetchLog))).scalars()
                if row.endpoint.endswith("/odds")
            ]
        assert len({s.api_request_id for s in snapshots}) == 1  # one paid response
        assert len(odds_fetches) == 1 and odds_fetches[0].success
    finally:
        logging.getLogger().removeHandler(watch)
        await _disarm(db)
        await db.dispose()


async def test_a_new_run_stores_the_answer_a_failed_run_paid_for_and_pays_nothing(
    flow_settings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storage raises after the paid answer and the run fails (no flow retry): the ledger row
    holds the answer and the billed credits; the next run, a new flow run, stores that answer
    and the simulator bills nothing more."""
    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow
    from oddscore.queries.credits import credits_report

    app = fault_app(clock=SystemClock())
    billed = simulator_of(app).ledger
    db = Database.from_url(flow_settings)
    await _arm_failure(db)
    try:
        async with serve(app) as url:
            _point_at(url, monkeypatch)
            failed = await fetch_odds_flow.with_options(retries=0)(
                FetchOddsParams(reschedule=False), return_state=True
            )
            assert failed.is_failed()
            with pytest.raises(StorageError):
                await failed.aresult()
            async with db.session() as session:
                [row] = (await session.execute(select(PaidCall))).scalars()
            assert (row.status, row.credits, row.flow_name) == ("paid", ODDS_COST, "fetch-odds")
            assert billed.used == ODDS_COST and row.quota_used == billed.used
            await _disarm(db)
            summary = await fetch_odds_flow.with_options(retries=0)(
                FetchOddsParams(reschedule=False)
            )
        assert summary["basketball_nba.fetched"] is True
        assert summary["basketball_nba.credits"] == 0
        assert "nothing paid" in summary["basketball_nba.paid_call"]
        assert billed.used == ODDS_COST  # the second run paid nothing
        counts = await table_counts(db)
        assert counts["odds_snapshots"] == summary["basketball_nba.snapshots"] > 0
        assert counts["paid_calls"] == 1
        async with db.session() as session:
            report = await credits_report(
                session, row.created_at - timedelta(minutes=1), utcnow() + timedelta(minutes=1)
            )
        assert (report.credits_paid, report.credits_stored, report.credits_logged) == (
            ODDS_COST,
            ODDS_COST,
            ODDS_COST,
        )
        assert report.ok
    finally:
        await _disarm(db)
        await db.dispose()


async def test_a_failed_scores_call_is_in_fetch_logs(
    flow_settings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.fetch_scores import FetchScoresParams, fetch_scores_flow

    faults = FaultPlan()
    app = fault_app(faults, clock=SystemClock())
    faults.exhaust_after(0)
    async with serve(app) as url:
        _point_at(url, monkeypatch)
        state = await fetch_scores_flow.with_options(retries=0)(
            FetchScoresParams(reschedule=False, force=True, days_from=2), return_state=True
        )
    assert state.is_failed()
    [row] = await _fetch_logs(flow_settings)
    assert row.endpoint.endswith("/scores") and row.flow_name == "fetch-scores"
    assert (row.success, row.error_code, row.params) == (
        False,
        "OUT_OF_USAGE_CREDITS",
        {"daysFrom": "2"},
    )

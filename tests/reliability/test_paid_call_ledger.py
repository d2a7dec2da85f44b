"""The paid-call ledger against the simulator on both backends: a store that fails after the
provider billed leaves exactly one ledger row with the billed credits, and the next run (a
later slot, not a retry of the same run) stores the saved answer without paying; two runs of
one slot at once pay once; ``odds credits`` shows the difference until it is settled."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from oddscore.clock import FrozenClock
from oddscore.config import get_settings
from oddscore.exceptions import MalformedResponseError, StorageError
from oddscore.ingestion.fetch import fetch_current, fetch_scores
from oddscore.ingestion.paid_calls import PaidCallStatus, request_hash, request_key
from oddscore.provider.client import OddsApiClient
from oddscore.queries.credits import credits_report
from oddscore.simulator import Fault, FaultPlan, simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import FetchLog, PaidCall
from tests.conftest import SAMPLES_DIR
from tests.reliability.conftest import NOW, SPORT, fault_app, make_client, table_counts
from tests.reliability.test_database_faults import _arm_failure, _disarm

ODDS_COST = 3  # h2h,spreads,totals for the eight default books (one region)
SCORES_COST = 2  # daysFrom=2


async def _ledger(db: Database) -> list[PaidCall]:
    async with db.session() as session:
        return list((await session.execute(select(PaidCall).order_by(PaidCall.id))).scalars())


async def _fetch_logs(db: Database, suffix: str) -> list[FetchLog]:
    async with db.session() as session:
        rows = (await session.execute(select(FetchLog))).scalars()
        return [row for row in rows if row.endpoint.endswith(suffix)]


async def _report(db: Database) -> tuple[int, int, int, bool, list[str]]:
    async with db.session() as session:
        report = await credits_report(session, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    statuses = [call.status for call in report.unsettled]
    return report.credits_paid, report.credits_stored, report.credits_logged, report.ok, statuses


async def test_odds_stored_after_a_failed_store_are_paid_once_and_ledgered_once(
    db: Database,
) -> None:
    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await _arm_failure(db)
        with pytest.raises(StorageError, match="nothing stored"):
            await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW)
        # Paid, not stored: the ledger row holds the answer and the billed credits.
        [row] = await _ledger(db)
        assert billed.used == ODDS_COST
        assert (row.status, row.credits, row.attempts) == ("paid", ODDS_COST, 1)
        assert row.quota_used == billed.used and row.quota_remaining == billed.remaining
        assert row.raw_response and row.error and "injected failure" in row.error
        assert row.params is not None and not any("key" in n.lower() for n in row.params)
        assert (await table_counts(db))["odds_snapshots"] == 0
        assert await _fetch_logs(db, "/odds") == []
        assert await _report(db) == (ODDS_COST, 0, 0, False, ["paid"])

        # The next run, planned for a later slot, stores the saved answer and pays nothing.
        await _disarm(db)
        client.clock = FrozenClock(NOW + timedelta(minutes=7))
        requests = len(wire.requests)
        outcome = await fetch_current(
            db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW + timedelta(minutes=7)
        )
    assert billed.used == ODDS_COST and len(wire.requests) == requests
    assert (outcome.paid, outcome.credits_paid, outcome.status) == (False, 0, "stored")
    assert outcome.stored is not None and outcome.stored.snapshots_inserted > 0
    assert "nothing paid" in outcome.note
    [row] = await _ledger(db)
    assert (row.status, row.credits, row.raw_response, row.error) == ("stored", 3, None, None)
    counts = await table_counts(db)
    assert counts["odds_snapshots"] == outcome.stored.snapshots_inserted
    [logged] = await _fetch_logs(db, "/odds")
    assert (logged.request_id, logged.api_quota_last) == (row.request_id, ODDS_COST)
    assert await _report(db) == (ODDS_COST, ODDS_COST, ODDS_COST, True, [])


async def test_scores_stored_after_a_failed_store_are_paid_once_and_ledgered_once(
    db: Database,
) -> None:
    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await _arm_failure(db, table="events")
        with pytest.raises(StorageError):
            await fetch_scores(db, client, sport=SPORT, days=2, slot=NOW)
        [row] = await _ledger(db)
        assert (row.status, row.credits, billed.used) == ("paid", SCORES_COST, SCORES_COST)
        assert (await table_counts(db))["events"] == 0
        await _disarm(db, table="events")
        requests = len(wire.requests)
        outcome = await fetch_scores(
            db, client, sport=SPORT, days=2, slot=NOW + timedelta(minutes=30)
        )
    assert billed.used == SCORES_COST and len(wire.requests) == requests
    assert outcome.stored is not None and outcome.stored.events > 0 and not outcome.paid
    assert (await table_counts(db))["events"] == outcome.stored.events
    [row] = await _ledger(db)
    assert (row.status, row.credits) == ("stored", SCORES_COST)
    assert await _report(db) == (SCORES_COST, SCORES_COST, SCORES_COST, True, [])


async def test_an_answer_cut_short_then_retried_is_ledgered_with_both_payments(
    db: Database,
) -> None:
    """The provider bills a 200 whose body is cut short; the client retries and the second
    answer is stored. One row carries both payments, and the report flags the unread one."""
    faults = FaultPlan()
    app = fault_app(faults)
    billed = simulator_of(app).ledger
    faults.add(Fault("truncated", times=1, path="/odds"))
    client, wire = make_client(app=app)
    async with client:
        outcome = await fetch_current(db, client, sport=SPORT, slot=NOW)
    assert [p.rsplit("/", 1)[-1] for p in wire.requests] == ["odds", "odds"]
    assert billed.used == 2 * ODDS_COST == outcome.credits_paid
    [row] = await _ledger(db)
    assert (row.status, row.credits, row.credits_unread) == ("stored", 2 * ODDS_COST, ODDS_COST)
    assert await _report(db) == (2 * ODDS_COST, ODDS_COST, ODDS_COST, False, ["stored"])


async def test_an_answer_that_does_not_fit_the_schema_is_kept_unusable_and_not_bought_again(
    db: Database,
) -> None:
    """A real recorded /odds body with one broken field: the answer and its credits are in
    the ledger before the schema check refuses it; the same slot is not bought again."""
    path = SAMPLES_DIR / "nba_odds_us_h2h_spreads_totals_american_2022-11-23.json"
    if not path.exists():
        pytest.skip(f"sample not available at {path}")
    body = json.loads(path.read_text())
    body[0]["commence_time"] = "not a time"
    sent: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        headers = {"x-requests-last": "3", "x-requests-used": "3", "x-requests-remaining": "497"}
        return httpx.Response(200, json=body, headers=headers)

    client = OddsApiClient(
        "schema-test-key",
        base_url="http://provider",
        transport=httpx.MockTransport(provider),
        clock=FrozenClock(NOW),
        max_retries=0,
    )
    async with client:
        with pytest.raises(MalformedResponseError, match="commence_time"):
            await fetch_current(db, client, sport=SPORT, slot=NOW)
        again = await fetch_current(db, client, sport=SPORT, slot=NOW)
    assert len(sent) == 1
    assert (again.status, again.paid, again.credits_paid) == (PaidCallStatus.UNUSABLE, False, 0)
    [row] = await _ledger(db)
    assert (row.status, row.credits) == ("unusable", 3)
    assert row.raw_response is not None and json.loads(row.raw_response) == body
    assert row.error is not None and "commence_time" in row.error
    [failed] = await _fetch_logs(db, "/odds")
    assert (failed.success, failed.error_code) == (False, "MalformedResponseError")
    assert await _report(db) == (3, 0, 0, False, ["unusable"])


async def test_two_runs_of_one_slot_at_once_pay_once_and_write_one_row(db_url: str) -> None:
    """Two runs, each with its own engine, ask for the same slot at the same moment: the
    unique request key lets one insert its claim; the other pays nothing."""
    app = fault_app()
    billed = simulator_of(app).ledger
    first, second = Database.from_url(db_url), Database.from_url(db_url)
    client_a, wire_a = make_client(app=app)
    client_b, wire_b = make_client(app=app)
    try:
        async with client_a, client_b:
            outcomes = await asyncio.gather(
                fetch_current(first, client_a, sport=SPORT, slot=NOW),
                fetch_current(second, client_b, sport=SPORT, slot=NOW),
            )
        paid = [o for o in outcomes if o.paid]
        assert len(paid) == 1 and paid[0].credits_paid == ODDS_COST
        assert billed.used == ODDS_COST
        odds_requests = [p for p in wire_a.requests + wire_b.requests if p.endswith("/odds")]
        assert len(odds_requests) == 1
        [idle] = [o for o in outcomes if not o.paid]
        assert idle.credits_paid == 0 and "nothing paid" in idle.note
        [row] = await _ledger(first)
        assert (row.status, row.credits) == ("stored", ODDS_COST)
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_claim_without_answer_blocks_paying_until_it_is_stale(db: Database) -> None:
    """A run that died inside the request leaves a claim: a run soon after pays nothing (it
    may still be in flight); once the claim is stale, one run takes it over and pays."""
    app = fault_app()
    billed = simulator_of(app).ledger
    client, _ = make_client(app=app)
    request = client.odds_request(
        SPORT,
        markets=get_settings().collection.markets,
        bookmakers=get_settings().collection.bookmakers,
    )
    key = request_key(request.endpoint, request.params, NOW)
    async with db.session() as session:
        session.add(
            PaidCall(
                request_key=key,
                request_hash=request_hash(request.endpoint, request.params),
                endpoint=request.endpoint,
                slot=NOW,
                claimed_at=NOW - timedelta(minutes=3),
                created_at=NOW - timedelta(minutes=3),
            )
        )
    async with client:
        busy = await fetch_current(db, client, sport=SPORT, slot=NOW)
        assert (busy.busy, busy.stored, billed.used) == (True, None, 0)
        assert "another run is paying" in busy.note
        assert (await _report(db))[3:] == (False, ["claimed"])
        client.clock = FrozenClock(NOW + timedelta(minutes=8))  # the claim is 11 minutes old
        taken = await fetch_current(db, client, sport=SPORT, slot=NOW)
    assert (taken.paid, taken.credits_paid, billed.used) == (True, ODDS_COST, ODDS_COST)
    [row] = await _ledger(db)
    assert (row.status, row.attempts, row.credits) == (PaidCallStatus.STORED, 2, ODDS_COST)


def test_odds_credits_flags_a_difference_with_exit_code_1(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oddscore.cli.app import app as cli

    async def paid_not_stored() -> None:
        app = fault_app()
        client, _ = make_client(app=app)
        db = Database.from_url(db_url)
        try:
            async with client:
                await _arm_failure(db)
                with pytest.raises(StorageError):
                    await fetch_current(db, client, sport=SPORT, slot=NOW)
                await _disarm(db)
        finally:
            await db.dispose()

    asyncio.run(paid_not_stored())
    since, until = NOW - timedelta(days=1), NOW + timedelta(minutes=1)
    window = ["--since", since.isoformat(), "--until", until.isoformat()]
    runner = CliRunner()
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    result = runner.invoke(cli, ["credits", *window], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "DIFFERENCE: 3 credits paid, 0 stored" in result.output
    as_json = runner.invoke(cli, ["credits", *window, "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert (report["credits_paid"], report["credits_stored"], report["ok"]) == (3, 0, False)
    [call] = report["unsettled"]
    assert (call["status"], call["credits"]) == ("paid", 3)
    assert call["why"].startswith("paid, not stored yet")


class ProcessDied(BaseException):
    """What a kill -9 looks like from inside: nothing after it runs (not even except
    Exception), so the ledger row keeps its claim."""


class LoseAnswer(httpx.AsyncBaseTransport):
    """Forwards a request to the simulator (which bills it on receipt) and then dies instead
    of returning the answer; ``before=True`` dies before the request leaves."""

    def __init__(self, inner: httpx.AsyncBaseTransport, *, path: str, before: bool = False):
        self.inner, self.path, self.before, self.armed = inner, path, before, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not (self.armed and request.url.path.endswith(self.path)):
            return await self.inner.handle_async_request(request)
        self.armed = False
        if not self.before:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        raise ProcessDied

    async def aclose(self) -> None:
        await self.inner.aclose()


def _dead_process() -> str:
    """The identity of a process of this host that ran and is gone (a killed run)."""
    import signal
    import socket
    import subprocess

    from oddscore.ingestion.lost_calls import _start_ticks

    child = subprocess.Popen(["sleep", "60"])
    start = _start_ticks(child.pid)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return f"{socket.gethostname()[:80]}:{child.pid}:{start or ''}"


async def _kill_claimant(db: Database) -> None:
    async with db.session() as session:
        [row] = (
            await session.execute(select(PaidCall).where(PaidCall.status == "claimed"))
        ).scalars()
        row.claimed_by = _dead_process()


async def _die_in_flight(db: Database, client: OddsApiClient, wire: Any, *, before: bool) -> None:
    wire.inner = LoseAnswer(wire.inner, path="/odds", before=before)
    with pytest.raises(ProcessDied):
        await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW)


async def test_an_answer_billed_and_lost_with_its_process_is_settled_from_the_counter(
    db: Database,
) -> None:
    from oddscore.ingestion.lost_calls import process_identity

    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await client.events(SPORT)  # what fetch-odds does first: the counter before the call
        await _die_in_flight(db, client, wire, before=False)
        [row] = await _ledger(db)
        assert billed.used == ODDS_COST  # billed on receipt, answer never read
        assert (row.status, row.credits, row.claimed_by) == ("claimed", None, process_identity())

        # Its process is alive (this one): it may still be in flight, so nothing is settled.
        busy = await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW)
        assert busy.busy and billed.used == ODDS_COST
        assert [r.status for r in await _ledger(db)] == ["claimed"]

        # Killed: the rerun (same slot, well before the claim is stale) settles it from the
        # counter and pays once more, for the answer nobody read.
        await _kill_claimant(db)
        rerun = await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW)
    assert (rerun.paid, rerun.credits_paid) == (True, ODDS_COST)
    assert rerun.stored is not None and rerun.stored.snapshots_inserted > 0
    assert billed.used == 2 * ODDS_COST
    [row] = await _ledger(db)
    assert (row.status, row.attempts, row.credits, row.credits_unread) == (
        "stored",
        2,
        2 * ODDS_COST,
        ODDS_COST,
    )
    async with db.session() as session:
        report = await credits_report(session, NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert report.credits_paid == billed.used  # billed == ledger, exactly
    assert (report.credits_stored, report.credits_unexplained) == (ODDS_COST, 0)
    [lost] = report.unsettled
    assert lost.credits_unread == ODDS_COST and "lost with its process" in lost.why
    assert not report.ok  # the lost answer's credits stay visible


async def test_a_call_killed_before_it_left_is_settled_as_not_billed(db: Database) -> None:
    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await client.events(SPORT)
        await _die_in_flight(db, client, wire, before=True)
        assert billed.used == 0
        await _kill_claimant(db)
        rerun = await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=NOW)
    assert (rerun.paid, billed.used) == (True, ODDS_COST)
    [row] = await _ledger(db)
    assert (row.status, row.attempts, row.credits, row.credits_unread) == (
        "stored",
        2,
        ODDS_COST,
        0,
    )
    assert await _report(db) == (ODDS_COST, ODDS_COST, ODDS_COST, True, [])


async def test_usage_of_the_key_outside_the_ledger_is_not_blamed_on_a_lost_call(
    db: Database,
) -> None:
    """Another product spends 2 credits with the same key while a call is lost: the lost call
    is settled with at most what it can cost (3), and the 2 are reported as unexplained."""
    from oddscore.ingestion.lost_calls import settle_lost_calls

    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await client.events(SPORT)
        await _die_in_flight(db, client, wire, before=False)
        await client.scores(SPORT, days_from=2)  # outside the ledger: another product
        await _kill_claimant(db)
        settled = await settle_lost_calls(
            db, client, clock=FrozenClock(NOW), stale_after=timedelta(minutes=10)
        )
        again = await settle_lost_calls(
            db, client, clock=FrozenClock(NOW), stale_after=timedelta(minutes=10)
        )
    assert billed.used == ODDS_COST + SCORES_COST
    assert [c.credits for c in settled.settled] == [ODDS_COST]
    assert (settled.gap, settled.unexplained) == (ODDS_COST + SCORES_COST, SCORES_COST)
    assert again.settled == [] and again.counter is None  # nothing left to settle
    [row] = await _ledger(db)
    assert (row.status, row.credits, row.credits_unread) == ("lost", ODDS_COST, ODDS_COST)
    assert row.error is not None and row.error.startswith("billed 3 credit(s), answer lost")


async def test_a_lost_call_without_a_counter_reading_before_it_waits_until_stale(
    db: Database,
) -> None:
    """No reading of the counter before the claim (a first call, no free call before it):
    nothing can be attributed honestly, so the claim is left alone until it is stale."""
    from oddscore.ingestion.lost_calls import settle_lost_calls

    app = fault_app()
    client, wire = make_client(app=app)
    async with client:
        await _die_in_flight(db, client, wire, before=False)
        await _kill_claimant(db)
        settled = await settle_lost_calls(
            db, client, clock=FrozenClock(NOW), stale_after=timedelta(minutes=10)
        )
    assert settled.settled == [] and "no answer before the claim" in settled.note
    assert [r.status for r in await _ledger(db)] == ["claimed"]


async def test_a_run_with_no_call_due_recovers_what_crashed_runs_left_without_paying(
    db: Database,
) -> None:
    """A call lost in flight with its process, then an answer paid for and not stored: the
    next run has no call due (``recover_current``), yet it settles the lost call from the
    counter and stores the saved answer, without an ``/odds`` request."""
    from oddscore.ingestion.fetch import recover_current

    app = fault_app()
    billed = simulator_of(app).ledger
    client, wire = make_client(app=app)
    async with client:
        await client.events(SPORT)
        await _die_in_flight(db, client, wire, before=False)
        await _arm_failure(db)
        later = NOW + timedelta(minutes=7)
        client.clock = FrozenClock(later)  # the second call answered after the first claim
        with pytest.raises(StorageError):
            await fetch_current(db, client, sport=SPORT, flow_name="fetch-odds", slot=later)
        await _disarm(db)
        await _kill_claimant(db)
        assert sorted(r.status for r in await _ledger(db)) == ["claimed", "paid"]
        assert await _report(db) == (ODDS_COST, 0, 0, False, ["claimed", "paid"])
        odds_requests = sum(path.endswith("/odds") for path in wire.requests)
        recovery = await recover_current(db, client, sport=SPORT, flow_name="fetch-odds")
        again = await recover_current(db, client, sport=SPORT, flow_name="fetch-odds")
        assert sum(path.endswith("/odds") for path in wire.requests) == odds_requests
    assert billed.used == 2 * ODDS_COST  # nothing more billed
    assert [result.snapshots_inserted > 0 for result in recovery.stored] == [True]
    assert [call.credits for call in recovery.settlement.settled] == [ODDS_COST]
    assert not again  # nothing left: two queries, no call
    rows = {row.status: row for row in await _ledger(db)}
    assert (rows["lost"].credits, rows["stored"].credits) == (ODDS_COST, ODDS_COST)
    assert (await table_counts(db))["odds_snapshots"] == recovery.stored[0].snapshots_inserted
    paid, stored, _, _, unsettled = await _report(db)
    assert (paid, stored, unsettled) == (billed.used, ODDS_COST, ["lost"])

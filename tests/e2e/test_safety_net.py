"""End to end: a dead run never ends its chain, and a paid call is neither lost nor paid twice.

The real stack of tests/e2e/stack.py (Prefect server, process worker, `prefect deploy --all`,
the simulator) on PostgreSQL, plus `odds safety-net apply --window 60`. Two deaths:

1. ``kill -9`` of the fetch-odds flow-run process after the provider answered and before the
   store committed (the test holds a lock on the snapshot tables so that the run waits
   there). The worker reports the run Crashed; the restart automation starts a safety-net
   run, which stores the saved answer without paying and schedules the next run.
2. A lost host: the worker and the run are both killed while the run is inside its paid call
   (same lock). Nobody reports the run's end; its heartbeats stop and the zombie automation
   marks it Crashed after the window, which frees the concurrency slot; the restart
   automation's run goes to a fresh worker and the chain goes on.

3. ``kill -9`` of a (forced) run in the middle of its paid call: the simulator has billed the
   request on receipt and holds the answer (a runtime fault rule). The restart automation's
   run resumes the chain and, with no call due, settles the lost call from the provider's
   ``x-requests-used`` (``lost``, carrying the credits billed) without paying.

The lost host's answer is stored by the run that resumes its chain even when that run has no
call due (``recover_paid_calls``): left in the ledger, it stood in for the forced call of
case 3 (a saved answer younger than two hours does), which then never reached the provider.

A duplicate safety-net run (the chain alive) ends at once. Afterwards each chain has exactly
one waiting run, the chain-health artifact lists the chain, and the simulator's billed credits
equal the ledger's. The figures (kill to resumed chain, credits) are printed (``-s`` shows them).
Three runs on the 2-core box at load 7-12 (13-15 minutes for the module): kill after the answer
-> resumed chain 46-64 s; lost host -> zombie crashed 58-63 s, resumed 106-108 s; kill in the
paid call -> resumed 38-44 s; billed 9 = ledger 9 credits (3 stored, 3 stored, 3 lost).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.stack import DEPLOYMENT, Stack, running_stack
from tests.flows.processes import SIMULATOR_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.postgres]

WINDOW = 60  # seconds; heartbeats every 30 s (prefect.yaml)
CHAINS = (
    "fetch-odds/fetch-odds-local",
    "fetch-scores/fetch-scores-local",
    "update-status/update-status-local",
)
WAITING = {"SCHEDULED", "PENDING"}


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Stack]:
    asyncio.run(_sql(postgres_url, _truncate_all()))
    with running_stack(tmp_path_factory.mktemp("safety-net"), db_url=postgres_url) as stack:
        out = stack.odds("safety-net", "apply", "--window", str(WINDOW), "--json")
        assert '"window_seconds": 60' in out, out
        yield stack


def _truncate_all() -> str:
    from sqlmodel import SQLModel

    import oddscore.storage.models  # noqa: F401  (the tables)

    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    return f"TRUNCATE {tables} RESTART IDENTITY CASCADE"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _sql(url: str, statement: str) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        return list(await conn.fetch(statement))
    finally:
        await conn.close()


class StoreBlocker:
    """Holds ``LOCK TABLE odds_snapshots, odds IN EXCLUSIVE MODE`` (reads pass, writes wait), so a
    run that got its paid answer waits right before its store commits."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.conn: Any = None

    def __enter__(self) -> StoreBlocker:
        import asyncpg

        async def lock() -> Any:
            conn = await asyncpg.connect(_dsn(self.url))
            await conn.execute("BEGIN; LOCK TABLE odds_snapshots, odds IN EXCLUSIVE MODE")
            return conn

        self.conn = self.loop.run_until_complete(lock())
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self.conn.execute("ROLLBACK"))
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


def _paid_rows(url: str, flow: str | None = None) -> list[dict[str, Any]]:
    rows = asyncio.run(
        _sql(url, "SELECT request_key, status, credits, flow_name FROM paid_calls ORDER BY id")
    )
    return [dict(row) for row in rows if flow is None or row["flow_name"] == flow]


def _wait_for_a_new_slot(url: str) -> None:
    """Sleep until the wall clock's minute is past every paid call's slot. A forced call is
    keyed by the current minute, and one in a minute already paid for is served the stored
    answer (by design): a case that needs a fresh payment must start in a later minute."""
    [row] = asyncio.run(_sql(url, "SELECT max(slot) AS slot FROM paid_calls"))
    latest = row["slot"]
    if latest is None:
        return
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    next_minute = latest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    time.sleep(max(0.0, (next_minute - datetime.now(UTC)).total_seconds()) + 1)


def _hold_next_answer(stack: Stack, path: str, *, seconds: int) -> None:
    """The simulator's next answer on ``path`` is billed at once and held ``seconds``."""
    response = httpx.post(
        f"{stack.simulator_url}/simulator/faults",
        params={"apiKey": SIMULATOR_KEY},
        content=f"slow:{seconds}x1@{path}",
        timeout=10,
    )
    response.raise_for_status()


def _ledger_credits(url: str) -> int:
    return sum(int(row["credits"] or 0) for row in _paid_rows(url))


def _billed(stack: Stack) -> int:
    """The simulator's own meter (a free call answers with the credit headers)."""
    response = httpx.get(
        f"{stack.simulator_url}/v4/sports", params={"apiKey": SIMULATOR_KEY}, timeout=10
    )
    response.raise_for_status()
    return int(response.headers["x-requests-used"])


def _wait(what: str, check: Any, timeout: float, stack: Stack) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout}s\n{stack.worker_log()}")


def _flow_run_pids(run_id: str) -> list[int]:
    """The processes of one flow run: those whose environment names it."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _safety_net_run(stack: Stack, exclude: set[str]) -> dict[str, Any] | None:
    """The newest run started by the safety net (parameter safety_net) not in ``exclude``."""
    for run in reversed(stack.runs()):
        params = (run.get("parameters") or {}).get("params") or {}
        if run["id"] not in exclude and params.get("safety_net") is True:
            return run
    return None


def _field(summary: str, name: str) -> str | None:
    for line in summary.splitlines():
        if line.startswith(f"| {name} |"):
            return line.split("|")[2].strip()
    return None


def _one_waiting_run_per_chain(stack: Stack) -> None:
    for chain in CHAINS:
        runs = stack.runs(deployment=chain)
        waiting = [r for r in runs if r["state_type"] in WAITING]
        running = [r for r in runs if r["state_type"] == "RUNNING"]
        # exactly one run ahead; zero only at the moment that one is running
        assert len(waiting) + len(running) == 1, (
            chain,
            [(r["name"], r["state_name"]) for r in runs],
        )


def test_a_killed_run_and_a_lost_host_never_end_the_chain(net: Stack) -> None:
    stack, url = net, net.db_url
    automations = stack.post("/automations/filter", {})
    names = {a["name"] for a in automations}
    assert "oddscore: mark silent runs crashed" in names
    assert f"oddscore: restart {DEPLOYMENT} when a run dies" in names

    # the two other chains must keep one run ahead too (fetch-scores pays through the ledger)
    for chain in CHAINS[1:]:
        first = stack.wait_final(stack.run(chain))
        assert first["state_type"] == "COMPLETED", (chain, first["state"])

    # -- 1. kill -9 of the flow-run process between the paid answer and the store ------------
    with StoreBlocker(url):
        killed = stack.run()
        _wait(
            "a paid, unstored answer",
            lambda: any(r["status"] == "paid" for r in _paid_rows(url, "fetch-odds")),
            180,
            stack,
        )
        pids = _wait("the flow-run process", lambda: _flow_run_pids(killed), 30, stack)
        _kill(pids)
        killed_at = time.monotonic()
    odds_credits = sum(int(r["credits"] or 0) for r in _paid_rows(url, "fetch-odds"))
    crashed = _wait(
        "the killed run crashed",
        lambda: stack.flow_run(killed)["state_type"] == "CRASHED",
        90,
        stack,
    )
    assert crashed
    rerun = _wait("a safety-net run", lambda: _safety_net_run(stack, {killed}), 90, stack)
    done = stack.wait_final(rerun["id"], timeout=180)
    assert done["state_type"] == "COMPLETED", (done["state"], stack.worker_log())
    resumed_1 = time.monotonic() - killed_at
    summary = stack.summary(rerun["id"])
    assert _field(summary, "basketball_nba.credits") == "0", summary  # the saved answer
    assert _field(summary, "basketball_nba.fetched") == "True", summary
    assert (_field(summary, "reschedule") or "").startswith("next run scheduled for"), summary
    # the rerun paid nothing: still the one fetch-odds payment, made by the killed run
    assert sum(int(r["credits"] or 0) for r in _paid_rows(url, "fetch-odds")) == odds_credits
    assert _billed(stack) == _ledger_credits(url) > 0
    assert [r["status"] for r in _paid_rows(url, "fetch-odds")] == ["stored"]
    assert len(stack.runs("SCHEDULED")) == 1

    # -- 2. a lost host: worker and run killed inside the paid call ---------------------------
    for waiting in stack.runs("SCHEDULED"):  # the killed run is the chain's only run
        stack.http.delete(f"/flow_runs/{waiting['id']}").raise_for_status()
    _wait_for_a_new_slot(url)
    with StoreBlocker(url):
        lost = stack.run(DEPLOYMENT, "--params", '{"params": {"force": true}}')
        _wait(
            "a second paid answer",
            lambda: sum(r["status"] == "paid" for r in _paid_rows(url, "fetch-odds")) == 1,
            180,
            stack,
        )
        pids = _wait("the flow-run process", lambda: _flow_run_pids(lost), 30, stack)
        assert stack.worker is not None
        _kill([stack.worker.pid, *pids])
        lost_at = time.monotonic()
    assert stack.flow_run(lost)["state_type"] == "RUNNING"  # nobody left to report its end
    stack.start_worker()
    _wait(
        "the zombie crashed",
        lambda: stack.flow_run(lost)["state_type"] == "CRASHED",
        WINDOW + 90,
        stack,
    )
    crashed_2 = time.monotonic() - lost_at
    rerun_2 = _wait(
        "a safety-net run", lambda: _safety_net_run(stack, {killed, lost, rerun["id"]}), 60, stack
    )
    done_2 = stack.wait_final(rerun_2["id"], timeout=180)
    assert done_2["state_type"] == "COMPLETED", (done_2["state"], stack.worker_log())
    resumed_2 = time.monotonic() - lost_at
    summary_2 = stack.summary(rerun_2["id"])
    assert (_field(summary_2, "reschedule") or "").startswith("next run scheduled for"), summary_2
    assert _field(summary_2, "basketball_nba.credits") in (None, "0"), summary_2
    # the lost host's answer is stored by that run, whether or not a call was due
    assert [r["status"] for r in _paid_rows(url, "fetch-odds")] == ["stored", "stored"]

    # -- a duplicate trigger: a safety-net run while the chain is alive ends at once ------------
    scheduled = stack.runs("SCHEDULED")
    duplicate = stack.wait_final(
        stack.run(DEPLOYMENT, "--params", '{"params": {"safety_net": true}}'), timeout=180
    )
    assert duplicate["state_type"] == "COMPLETED", duplicate["state"]
    alive = _field(stack.summary(duplicate["id"]), "safety_net") or ""
    assert alive.startswith(f"the chain is alive: run {scheduled[0]['id']} waits"), alive
    assert [r["id"] for r in stack.runs("SCHEDULED")] == [r["id"] for r in scheduled]

    # -- 3. kill -9 in the middle of the paid call (billed, answer held) ------------------------
    for waiting in stack.runs("SCHEDULED"):  # the killed run must be the chain's only run
        stack.http.delete(f"/flow_runs/{waiting['id']}").raise_for_status()
    _wait_for_a_new_slot(url)  # a forced call in a minute already paid for pays nothing
    billed_before = _billed(stack)
    # Held far longer than the kill takes and shorter than the client's retries would need
    # to matter: the process is killed a second or two after the bill.
    _hold_next_answer(stack, "/odds", seconds=120)
    in_flight = stack.run(DEPLOYMENT, "--params", '{"params": {"force": true}}')
    cost = _wait(
        "the paid request billed and held", lambda: _billed(stack) - billed_before, 180, stack
    )
    claimed = [r for r in _paid_rows(url, "fetch-odds") if r["status"] == "claimed"]
    assert len(claimed) == 1, _paid_rows(url)
    pids = _wait("the flow-run process", lambda: _flow_run_pids(in_flight), 30, stack)
    _kill(pids)
    in_flight_at = time.monotonic()
    _wait(
        "the in-flight run crashed",
        lambda: stack.flow_run(in_flight)["state_type"] == "CRASHED",
        90,
        stack,
    )
    seen = {killed, lost, rerun["id"], rerun_2["id"], duplicate["id"], in_flight}
    rerun_3 = _wait("a safety-net run", lambda: _safety_net_run(stack, seen), 90, stack)
    done_3 = stack.wait_final(rerun_3["id"], timeout=180)
    assert done_3["state_type"] == "COMPLETED", (done_3["state"], stack.worker_log())
    resumed_3 = time.monotonic() - in_flight_at
    summary_3 = stack.summary(rerun_3["id"])
    assert (_field(summary_3, "reschedule") or "").startswith("next run scheduled for"), summary_3
    # settled by the resuming run: lost, carrying what the provider billed for it
    [settled] = [r for r in _paid_rows(url) if r["request_key"] == claimed[0]["request_key"]]
    assert (settled["status"], settled["credits"]) == ("lost", cost), settled
    in_flight_billed = _billed(stack) - billed_before

    # -- afterwards ----------------------------------------------------------------------------
    _one_waiting_run_per_chain(stack)
    health = stack.post("/artifacts/filter", {"artifacts": {"key": {"any_": ["chain-health"]}}})
    assert any(f"| {DEPLOYMENT} |" in str(a.get("data")) for a in health), health
    billed, recorded = _billed(stack), _ledger_credits(url)
    assert billed == recorded
    print(
        f"\nsafety net figures: kill -9 -> resumed chain {resumed_1:.0f} s; "
        f"lost host -> zombie crashed {crashed_2:.0f} s, resumed chain {resumed_2:.0f} s "
        f"(window {WINDOW} s); kill -9 in the paid call -> resumed chain {resumed_3:.0f} s, "
        f"the lost call settled with {cost} of the {in_flight_billed} credits billed since; "
        f"credits billed {billed}, recorded in the ledger {recorded}; "
        f"ledger rows {[(r['flow_name'], r['status'], r['credits']) for r in _paid_rows(url)]}"
    )

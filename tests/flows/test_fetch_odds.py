"""fetch-odds against the simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select

from flows.fetch_odds import FetchOddsParams, fetch_odds_flow
from oddscore.exceptions import StorageError
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, FetchLog, Odds, OddsSnapshot


async def _count(url: str, model: type) -> int:
    async with Database.from_url(url, null_pool=True) as db, db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_first_run_stores_odds_and_plans_the_next(flow_env: str) -> None:
    summary = await fetch_odds_flow(FetchOddsParams(reschedule=False))
    assert summary["basketball_nba.fetched"] is True
    assert summary["basketball_nba.new_games"] > 0
    assert await _count(flow_env, Event) >= summary["basketball_nba.new_games"]
    assert await _count(flow_env, OddsSnapshot) == summary["basketball_nba.snapshots"] > 0
    assert await _count(flow_env, Odds) == summary["basketball_nba.odds_rows"] > 0
    assert summary["basketball_nba.credits"] == 3
    assert summary["next_run"] > summary["planned_at"]
    # a second run a moment later finds nothing due: no paid call
    logs_before = await _count(flow_env, FetchLog)
    again = await fetch_odds_flow(FetchOddsParams(reschedule=False))
    assert again["basketball_nba.fetched"] is False
    assert await _count(flow_env, OddsSnapshot) == summary["basketball_nba.snapshots"]
    assert await _count(flow_env, FetchLog) == logs_before + 1  # the free /events call only


async def test_dry_run_writes_nothing_and_pays_nothing(flow_env: str) -> None:
    summary = await fetch_odds_flow(FetchOddsParams(dry_run=True))
    assert summary["dry_run"] is True
    assert str(summary["basketball_nba.fetched"]).startswith("dry run: would spend 3")
    assert await _count(flow_env, Event) == 0
    assert await _count(flow_env, FetchLog) == 0
    assert "reschedule" not in summary


async def test_a_run_with_nothing_due_stores_what_a_crashed_run_paid_for(flow_env: str) -> None:
    """An answer paid for and never stored (its run died in the store) is stored by the next
    run even when that run has no call due, and nothing more is paid."""
    from datetime import timedelta

    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.ingestion.fetch import fetch_current
    from oddscore.provider.client import OddsApiClient
    from oddscore.storage.models import PaidCall
    from tests.reliability.test_database_faults import _arm_failure, _disarm

    first = await fetch_odds_flow(FetchOddsParams(reschedule=False))
    async with (
        Database.from_url(flow_env, null_pool=True) as db,
        OddsApiClient.from_settings(get_settings().api) as client,
    ):
        await _arm_failure(db)
        try:
            with pytest.raises(StorageError):
                slot = utcnow() + timedelta(minutes=1)
                await fetch_current(db, client, sport="basketball_nba", slot=slot)
        finally:
            await _disarm(db)
    snapshots = await _count(flow_env, OddsSnapshot)
    again = await fetch_odds_flow(FetchOddsParams(reschedule=False))
    assert again["basketball_nba.fetched"] is False  # nothing due
    assert str(again["basketball_nba.recovered"]).startswith("stored 1 answer(s) paid for")
    assert "basketball_nba.credits" not in again
    assert await _count(flow_env, OddsSnapshot) > snapshots == first["basketball_nba.snapshots"]
    async with Database.from_url(flow_env, null_pool=True) as db, db.session() as session:
        rows = (await session.execute(select(PaidCall.status, PaidCall.credits))).all()
    assert sorted(rows) == [("stored", 3), ("stored", 3)]  # two calls paid, both stored


async def test_a_failed_call_with_a_close_at_stake_is_retried_within_minutes(
    flow_env: str, simulator_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The closing capture is planned minutes before tip: a failed run retried 15 minutes
    later would lose the close, so a failure with a game in its closing window retries soon."""
    from datetime import timedelta

    import httpx

    import flows._runtime as runtime
    import flows.fetch_odds as fetch_flow
    from oddscore.clock import utcnow
    from oddscore.exceptions import InvalidRequestError
    from oddscore.scheduling.planner import Action, Decision, GameNeed, Need
    from oddscore.scheduling.tiers import FetchTier
    from tests.flows.processes import SIMULATOR_KEY

    scheduled: list[tuple[datetime, str]] = []

    async def record(deployment: str | None, at: datetime, *, reason: str = "") -> dict:
        scheduled.append((at, reason))
        return {"scheduled": False, "at": at.isoformat(), "why": "recorded by the test"}

    def closing_in(minutes: float) -> Callable[..., Awaitable[Decision]]:
        async def plan(*_: object) -> Decision:
            now = utcnow()
            tip = now + timedelta(minutes=minutes)
            need = GameNeed("closing-game", tip, now, Need.CLOSING, FetchTier.CLOSING)
            return Decision(now, Action.FETCH_ODDS, "closing capture", (need,), 3)

        return plan

    monkeypatch.setattr(runtime, "schedule_next", record)
    once = fetch_flow.fetch_odds_flow.with_options(retries=0)
    async with httpx.AsyncClient(base_url=simulator_url) as http:
        for minutes in (5, 40):  # inside the closing window, then a pregame call
            monkeypatch.setattr(fetch_flow, "plan_odds", closing_in(minutes))
            # Not transient: neither the client nor the task tries again.
            armed = await http.post(
                "/simulator/faults", params={"apiKey": SIMULATOR_KEY}, content="status:422x1@/odds"
            )
            assert armed.status_code < 300, armed.text
            started = utcnow()
            with pytest.raises(InvalidRequestError):
                await once(FetchOddsParams())
    (soon, why_soon), (late, why_late) = scheduled
    assert timedelta(minutes=1) < soon - started < timedelta(minutes=3)
    assert "closing window" in why_soon
    assert timedelta(minutes=14) < late - started < timedelta(minutes=16)
    assert "failed before planning" in why_late

"""A malformed provider response inside fetch-odds: a failed run with one clear message.

The simulator (with its fault switches, over real HTTP) answers every ``/odds`` request with
a 200 whose body is not JSON (a proxy's error page); the free ``/events`` listing works. The
run of the real flow on the session's Prefect test server must end ``Failed`` with the
client's one-line message, store no odds, and log the failed call.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oddscore.clock import SystemClock
from oddscore.config import get_settings
from oddscore.exceptions import MalformedResponseError
from oddscore.simulator import FaultPlan
from oddscore.simulator.faults import Fault
from oddscore.storage.engine import Database
from oddscore.storage.models import FetchLog
from tests.reliability.conftest import API_KEY, fault_app, serve, table_counts

pytestmark = pytest.mark.usefixtures("prefect_harness")


async def test_a_malformed_odds_body_fails_the_run_with_one_clear_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.fetch_odds as fetch_module
    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "0")
    # A malformed body is not retried by the task (it is billed); no pause to wait out anyway.
    monkeypatch.setattr(
        fetch_module, "fetch_odds", fetch_module.fetch_odds.with_options(retry_delay_seconds=0)
    )
    faults = FaultPlan([Fault("malformed", times=None, path="/odds")])
    app = fault_app(faults, clock=SystemClock())
    async with serve(app) as url:
        monkeypatch.setenv("ODDS_API_BASE_URL", url)
        get_settings.cache_clear()
        state = await fetch_odds_flow.with_options(retries=0)(
            FetchOddsParams(reschedule=False, force=True), return_state=True
        )
    get_settings.cache_clear()

    assert state.is_failed()
    message = state.message or ""
    assert "MalformedResponseError" in message and "body is not JSON" in message, message
    assert "\n" not in message and "Traceback" not in message and API_KEY not in message
    with pytest.raises(MalformedResponseError, match=r"/odds: HTTP 200 body is not JSON"):
        await state.aresult()

    async with Database.from_url(db_url) as db:
        counts = await table_counts(db)
        async with db.session() as session:
            logs = list((await session.execute(select(FetchLog))).scalars())
    assert counts["events"] > 0  # the free listing was stored before the paid call failed
    assert (counts["odds_snapshots"], counts["odds"]) == (0, 0)
    failed = [log for log in logs if log.endpoint.endswith("/odds")]
    assert failed and all(not log.success for log in failed)
    assert all("body is not JSON" in (log.error_message or "") for log in failed)

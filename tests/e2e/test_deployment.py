"""End to end: a real Prefect server, work pools, a process worker, `prefect deploy --all`,
the simulator as the provider, and the self-rescheduling chain of fetch-odds.

The stack (tests/e2e/stack.py) runs in its own PREFECT_HOME and on free local ports; every
process is killed by pid in teardown. About a minute on the 2-core CI box (see docs/scheduling.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.e2e.stack import Stack, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("e2e")) as deployed:
        yield deployed


async def _expected_slot(db_url: str, planned_at: datetime) -> datetime:
    """What the intelligence computes from the stored state at the flow's planning time."""
    from oddscore.scheduling.planner import decide_odds, next_slot
    from oddscore.scheduling.policy import SchedulePolicy
    from oddscore.scheduling.state import load_games, load_quota
    from oddscore.storage.engine import Database

    policy = SchedulePolicy()
    async with Database.from_url(db_url, null_pool=True) as db, db.session() as session:
        games = await load_games(
            session, sport_key="basketball_nba", now=planned_at, past=policy.season_gap
        )
        quota = await load_quota(session, now=planned_at)
    return next_slot(decide_odds(games, planned_at, policy, quota).at, planned_at, policy)


async def _count_odds(db_url: str) -> int:
    from sqlalchemy import func, select

    from oddscore.storage.engine import Database
    from oddscore.storage.models import Odds

    async with Database.from_url(db_url, null_pool=True) as db, db.session() as session:
        return int((await session.execute(select(func.count()).select_from(Odds))).scalar_one())


def _field(summary: str, name: str) -> str:
    line = next(line for line in summary.splitlines() if line.startswith(f"| {name} |"))
    return line.split("|")[2].strip()


def test_deployed_fetch_odds_runs_stores_and_schedules_exactly_one_next(stack: Stack) -> None:
    from oddscore.clock import parse_timestamp

    deployed = stack.post("/deployments/filter", {})
    assert {d["name"] for d in deployed} >= {
        "fetch-odds-local",
        "fetch-scores-local",
        "update-status-local",
        "backtest-local",
        "backfill-local",
        "fetch-odds-ecs",
    }

    first = stack.run_and_wait()
    assert asyncio.run(_count_odds(stack.db_url)) > 0
    summary = stack.summary(first["id"])
    assert _field(summary, "basketball_nba.fetched") == "True"

    scheduled = stack.runs("SCHEDULED")
    assert len(scheduled) == 1, scheduled
    next_run = scheduled[0]
    assert "auto-rescheduled" in next_run["tags"]
    assert next_run["parent_task_run_id"] is None
    expected_start = parse_timestamp(next_run["expected_start_time"])
    assert expected_start == parse_timestamp(_field(summary, "next_run"))
    planned_at = parse_timestamp(_field(summary, "planned_at"))
    assert expected_start == asyncio.run(_expected_slot(stack.db_url, planned_at))

    assert _field(summary, "reschedule").startswith("next run scheduled for ")

    # A manual run in the middle of the chain does not fork a second chain: it finds a run
    # waiting (the one above, or, if that one already ran, the one it scheduled; the
    # deployment's concurrency limit of 1 keeps the two from overlapping) and adds none.
    second = stack.run_and_wait()
    assert _field(stack.summary(second["id"]), "reschedule").startswith("not scheduled for "), (
        "a manual run in the middle of the chain scheduled a second chain"
    )
    again = stack.runs("SCHEDULED")
    assert len(again) == 1, again

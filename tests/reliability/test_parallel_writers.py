"""Writers in separate processes on one database leave exactly the rows one writer leaves.

Four `odds import snapshots` of the same real season (two on SQLite) and two `odds fetch
current` against one simulator, started at once, round after round. Before the
event-resolution lock, two imports on PostgreSQL left 27 tournament games twice: a writer that
had read an id as stored upserted it back after another had merged it into its game-day id.

The imports take the season's first five weeks (2023-10-24 to 2023-11-30: 292 games, 627
snapshots, 27,770 odds rows, 32 tournament ids), which hold every one of those games; five
rounds of the whole season would take minutes. PostgreSQL runs five rounds; SQLite, whose
write transactions run one at a time by design (``BEGIN IMMEDIATE``), two: there the test shows
that a second process waits its turn instead of failing on a locked file.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import SQLModel

from oddscore.clock import FrozenClock, utcnow
from oddscore.ingestion.duplicates import DuplicateReport, find_duplicates
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, EventAlias, Odds, OddsSnapshot
from tests.conftest import real_data
from tests.servers import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
SUBSET = ("--season", "2023-2024", "--from", "2023-10-24", "--to", "2023-11-30")
SIM_KEY = "parallel-writers-key"
Counts = dict[str, int]


pytestmark = pytest.mark.slow


def _writers(db_url: str) -> int:
    return 4 if db_url.startswith("postgresql") else 2


def _rounds_of(db_url: str) -> int:
    return 5 if db_url.startswith("postgresql") else 2


def _env(db_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "ODDS_ENV_FILE": "", "DATABASE_URL": db_url, "NO_COLOR": "1", **extra}


def _run_at_once(commands: list[list[str]], env: dict[str, str], logs: Path) -> None:
    """Start every command before waiting for any; each must succeed."""
    running = []
    for index, command in enumerate(commands):
        log = logs / f"writer{index}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        running.append((process, handle, log))
    for process, handle, log in running:
        try:
            code = process.wait(timeout=300)
        finally:
            handle.close()
        assert code == 0, log.read_text()[-3000:]


async def _state(db_url: str) -> tuple[Counts, DuplicateReport]:
    db = Database.from_url(db_url, null_pool=True)
    try:
        async with db.engine.connect() as conn:
            counts = {
                model.__name__: int(
                    (await conn.execute(select(func.count()).select_from(model))).scalar_one()
                )
                for model in (Event, EventAlias, OddsSnapshot, Odds)
            }
            return counts, await conn.run_sync(find_duplicates)
    finally:
        await db.dispose()


async def _empty(db_url: str) -> None:
    db = Database.from_url(db_url, null_pool=True)
    try:
        async with db.engine.begin() as conn:
            for table in reversed(SQLModel.metadata.sorted_tables):
                await conn.execute(delete(table))
    finally:
        await db.dispose()


def _rounds(db_url: str, command: list[str], env: dict[str, str], logs: Path) -> Counts:
    """One writer alone, then rounds of several at once on an emptied database;
    every round must leave the counts of the one alone and no duplicate."""
    _run_at_once([command], env, logs)
    alone, duplicates = asyncio.run(_state(db_url))
    assert not duplicates, duplicates.summary()
    for round_ in range(_rounds_of(db_url)):
        asyncio.run(_empty(db_url))
        _run_at_once([command] * _writers(db_url), env, logs)
        together, duplicates = asyncio.run(_state(db_url))
        assert (round_, together) == (round_, alone)
        assert not duplicates, f"round {round_}: {duplicates.summary()}"
    return alone


def test_parallel_imports_of_one_season_store_what_one_import_stores(
    db_url: str, tmp_path: Path
) -> None:
    archive = real_data("the_odds_api_snapshots")
    command = [sys.executable, "-m", "oddscore", "import", "snapshots", str(archive), *SUBSET]
    alone = _rounds(db_url, command, _env(db_url), tmp_path)
    # 324 ids listed, 32 of them tournament placeholders merged into their game-day ids.
    assert alone == {"Event": 292, "EventAlias": 32, "OddsSnapshot": 627, "Odds": 27770}


def test_parallel_fetches_store_what_one_fetch_stores(db_url: str, tmp_path: Path) -> None:
    """Both processes run on the simulator's frozen clock, so they fetch the same market and
    stamp the same snapshot time: together they must store what one stores."""
    from oddscore.simulator import create_app

    clock = FrozenClock(utcnow())
    simulator = create_app(api_key=SIM_KEY, seed=11, clock=clock)
    at = clock.now().isoformat()
    command = [sys.executable, "-m", "tests.reliability.cli_at", at, "fetch", "current"]
    with serve_in_thread(simulator) as url:
        env = _env(db_url, ODDS_API_BASE_URL=url, ODDS_API_KEY=SIM_KEY)
        alone = _rounds(db_url, command, env, tmp_path)
    assert alone["Event"] > 0 and alone["OddsSnapshot"] == alone["Event"]
    assert alone["Odds"] > 0

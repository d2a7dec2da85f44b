"""``odds backfill gaps`` end to end on the real December 2023 archive, replayed over HTTP.

The archive holds one snapshot a day (~11:55 UTC), so a sampled backfill leaves most tiers
(every closing capture) empty, and the provider cannot fill them: the sampled plan already
asked inside each window. Those gaps are reported, never paid for. Deleting a game's stored
snapshots makes the tiers those snapshots held fillable again: exactly those are planned,
paid once and stored, and the next run plans nothing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlmodel import col
from starlette.applications import Starlette
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.scheduling.tiers import FetchTier, hours_until, tier_for
from oddscore.simulator import simulator_of
from oddscore.storage.engine import Database
from oddscore.storage.models import Event, Odds, OddsSnapshot
from tests.backfill.conftest import API_KEY, BOOKS

runner = CliRunner()
RANGE = ["--from", "2023-12-01", "--to", "2023-12-07"]


@pytest.fixture
def env(db_url: str, replay_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_BASE_URL", replay_server)
    monkeypatch.setenv("BOOKMAKERS", ",".join(BOOKS))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")


def _json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert API_KEY not in result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


async def _delete_game(url: str) -> set[FetchTier]:
    """Delete every stored snapshot of the first stored game; the tiers they filled."""
    db = Database.from_url(url, null_pool=True)
    try:
        async with db.session() as session:
            event = (
                (await session.execute(select(Event).order_by(col(Event.commence_time))))
                .scalars()
                .first()
            )
            assert event is not None
            snaps = list(
                (
                    await session.execute(
                        select(OddsSnapshot).where(col(OddsSnapshot.event_id) == event.id)
                    )
                ).scalars()
            )
            assert snaps
            filled = set()
            for snap in snaps:
                tier = tier_for(hours_until(event.commence_time, snap.snapshot_time))
                assert tier is not None and tier is not FetchTier.CLOSING
                filled.add(tier)
            ids = [snap.id for snap in snaps]
            await session.execute(delete(Odds).where(col(Odds.snapshot_id).in_(ids)))
            await session.execute(delete(OddsSnapshot).where(col(OddsSnapshot.id).in_(ids)))
            return filled
    finally:
        await db.dispose()


def test_gaps_plan_pay_fill_and_replan_nothing(
    env: None, db_url: str, tmp_path: Path, replay_app: Starlette
) -> None:
    ledger = simulator_of(replay_app).ledger
    plan_file = tmp_path / "plan.json"
    _json("backfill", "plan", "--start", "2023-12-01", "--end", "2023-12-07", "--games", "4",
          "--output", str(plan_file))  # fmt: skip
    _json("backfill", "execute", "--plan", str(plan_file))

    used = ledger.used
    before = _json("backfill", "gaps", *RANGE)
    assert before["games_checked"] == 4 and before["gaps_closing"] == 4
    # Every gap was asked for by the sampled plan already: the daily archive has nothing.
    assert before["gaps"] == before["unfillable"] > 0 and before["calls_planned"] == 0
    assert ledger.used == used

    filled = asyncio.run(_delete_game(db_url))
    gap_file = tmp_path / "gaps.json"
    found = _json("backfill", "gaps", *RANGE, "--output", str(gap_file))
    assert json.loads(gap_file.read_text())["plan_id"] == found["plan_id"]
    assert found["gaps"] == before["gaps"] + len(filled)
    assert found["unfillable"] == before["unfillable"]
    planned = {(t["event_id"], t["tier"]) for call in found["calls"] for t in call["targets"]}
    assert {tier for _, tier in planned} == {tier.value for tier in filled}
    assert len({event_id for event_id, _ in planned}) == 1
    assert found["credits_planned"] == 30 * found["calls_planned"] > 0
    assert ledger.used == used  # planning is free

    capped = _json("backfill", "gaps", *RANGE, "--max-credits", "29", "--execute")
    assert capped["calls_planned"] == 0 and capped["gaps_left_by_the_cap"] == len(filled)
    assert capped["credits_spent"] == 0 and ledger.used == used

    result = runner.invoke(
        app,
        ["backfill", "gaps", *RANGE, "--execute", "--max-credits", str(found["credits_planned"])],
    )
    assert result.exit_code == 0, result.output
    assert "calls, most valuable first" in result.output
    assert f"paid {found['calls_planned']} calls, {found['credits_planned']} credits" in (
        result.output
    )
    assert ledger.used - used == found["credits_planned"]

    # The plan written is an ordinary plan: executing it again pays nothing ...
    again = _json("backfill", "execute", "--plan", str(gap_file))
    assert again["plan_id"] == found["plan_id"] and again["credits_spent"] == 0
    # ... unless its snapshots were deleted since: the stored snapshots decide, not the ledger.
    assert asyncio.run(_delete_game(db_url)) == filled
    refill = _json("backfill", "execute", "--plan", str(gap_file))
    assert refill["credits_spent"] == found["credits_planned"]
    assert ledger.used - used == 2 * found["credits_planned"]
    after = _json("backfill", "gaps", *RANGE)
    assert after["calls_planned"] == 0 and after["gaps"] == before["gaps"]
    dry = runner.invoke(app, ["backfill", "gaps", *RANGE, "--execute"])
    assert dry.exit_code == 0 and "no gaps the provider can fill" in dry.output
    assert ledger.used - used == 2 * found["credits_planned"]


def test_bad_gap_options_are_one_line(env: None, tmp_path: Path) -> None:
    result = runner.invoke(app, ["backfill", "gaps", "--from", "2023-12-09", "--to", "2023-12-01"])
    assert result.exit_code == 1 and "--to is before --from" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(app, ["backfill", "gaps", "--max-credits", "-5"])
    assert result.exit_code == 2 and "--max-credits" in result.output
    result = runner.invoke(app, ["backfill", "gaps", "--from", "2023-02-30"])
    assert result.exit_code == 2 and "must be a date" in result.output
    (tmp_path / "a-file").write_text("")
    unwritable = str(tmp_path / "a-file" / "gaps.json")
    result = runner.invoke(
        app, ["backfill", "gaps", "--output", unwritable, "--from", "2023-12-01"]
    )
    assert result.exit_code == 1 and "cannot write plan file" in result.output
    result = runner.invoke(app, ["backfill", "gaps", "--sport", "soccer_nowhere"])
    assert result.exit_code == 1 and "no stored soccer_nowhere games" in result.output
    assert len(result.output.strip().splitlines()) == 1

"""Security: parameterized SQL under hostile names and ids; secrets out of git and the image;
the simulator local by default; the container not root."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from oddscore.clock import utcnow
from oddscore.config import get_settings
from oddscore.ingestion.pipeline import IngestOptions, ingest_odds
from oddscore.queries.events import get_event, list_events
from oddscore.storage.engine import Database
from oddscore.storage.models import Event
from tests.reliability.conftest import odds_event, table_counts

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

HOSTILE_TEAMS = [
    ("Robert'); DROP TABLE events;--", 'Bobby "Tables" \\ Club'),
    ("Ünïcødé 🏀 Ωmega ñ 東京", "x' OR '1'='1"),
    ("A" * 99 + "'", "%_ LIKE wildcards %"),
]
HOSTILE_IDS = [
    "e'; drop table odds; --",  # ids are matched lower-case (provider ids are hex)
    'id"with"quotes',
    "ünï-🏀-" + "9" * 40,
]


def test_hostile_team_names_and_event_ids_are_data_not_sql(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    payload = [
        odds_event(event_id, now + timedelta(days=1 + i), home=home, away=away)
        for i, (event_id, (home, away)) in enumerate(zip(HOSTILE_IDS, HOSTILE_TEAMS, strict=True))
    ]
    options = IngestOptions(expected_bookmakers=None, expected_markets=None)

    async def seed() -> dict[str, int]:
        async with Database.from_url(db_url) as db:
            result = await ingest_odds(
                db, payload, snapshot_time=now - timedelta(hours=1), options=options
            )
            assert result.snapshots_inserted == 3 and result.odds_rows == 6
            async with db.session() as session:
                for event_id, (home, _) in zip(HOSTILE_IDS, HOSTILE_TEAMS, strict=True):
                    stored = await get_event(session, event_id)
                    assert stored.home_team == home
                for _, away in HOSTILE_TEAMS:
                    found = await list_events(
                        session, start=now, end=now + timedelta(days=5), team=away
                    )
                    assert [e.away_team for e in found] == [away]
            return await table_counts(db)

    before = asyncio.run(seed())
    assert before["events"] == 3 and before["odds"] == 6

    from oddscore.cli.app import app as cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    for event_id, (home, away) in zip(HOSTILE_IDS, HOSTILE_TEAMS, strict=True):
        shown = runner.invoke(
            cli,
            ["odds", "show", event_id, "--json"],
        )
        assert shown.exit_code == 0, shown.output
        board = json.loads(shown.stdout)
        assert board["event"]["home_team"] == home and len(board["quotes"]) == 2
        listed = runner.invoke(
            cli,
            ["status", "events", "--days", "5", "--team", away, "--json"],
        )
        assert listed.exit_code == 0, listed.output
        assert [e["away_team"] for e in json.loads(listed.stdout)] == [away]
    missing = runner.invoke(
        cli,
        ["odds", "show", "zz' OR 1=1 --"],
    )
    assert missing.exit_code == 1 and "Traceback" not in missing.output

    async def after() -> tuple[dict[str, int], list[str]]:
        async with Database.from_url(db_url) as db:
            async with db.session() as session:
                ids = sorted((await session.execute(select(Event.id))).scalars())
            return await table_counts(db), ids

    counts, ids = asyncio.run(after())
    assert counts == before  # every table still there, nothing added or dropped
    assert ids == sorted(HOSTILE_IDS)


def test_dotenv_is_ignored_by_git_and_kept_out_of_the_image() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", ".env"], cwd=ROOT, check=False
    ).returncode
    assert ignored == 0, ".env is not ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env"], cwd=ROOT, capture_output=True, check=False
    ).returncode
    assert tracked != 0, ".env is tracked"
    dockerignore = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in dockerignore  # `COPY . /app` must not bake a key into the image


def test_the_simulator_binds_localhost_unless_told_otherwise() -> None:
    import typer.main

    from oddscore.cli.app import app

    command = typer.main.get_command(app)
    serve = command.commands["simulator"].commands["serve"]  # type: ignore[attr-defined]
    [host] = [p for p in serve.params if p.name == "host"]
    assert host.default == "127.0.0.1"


def test_the_docker_image_runs_as_a_non_root_user() -> None:
    lines = [
        line.strip()
        for line in re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text()).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    instructions = [line.split(None, 1) for line in lines]
    installs = [
        i for i, (op, *rest) in enumerate(instructions) if op.upper() in {"RUN", "COPY", "ADD"}
    ]
    users = [(i, rest[0].split()[0]) for i, (op, *rest) in enumerate(instructions) if op == "USER"]
    assert users, "no USER line: the container runs as root"
    last_index, last_user = users[-1]
    assert last_index > installs[-1], "a step after the last USER runs as root again"
    assert last_user.split(":")[0] not in {"root", "0"}


async def test_a_recorded_failure_keeps_no_credential(db: Database) -> None:
    from oddscore.exceptions import ServerError
    from oddscore.ingestion.fetch import record_failed_fetch
    from oddscore.logs import register_secret
    from oddscore.storage.models import FetchLog

    secret = "leaky-KEY-0b1c2d3e4f5a6978"
    register_secret(secret)
    error = ServerError(
        f"/v4/sports/x/odds: HTTP 502: upstream said apiKey={secret}",
        status_code=502,
        error_code="BAD_GATEWAY",
        endpoint="/v4/sports/x/odds",
    )
    await record_failed_fetch(
        db,
        error,
        sport="basketball_nba",
        flow_name="t",
        params={"apiKey": secret, "api_key": secret, "markets": f"h2h {secret}"},
    )
    async with db.session() as session:
        [row] = (await session.execute(select(FetchLog))).scalars()
    assert row.params == {"markets": "h2h ***"}
    assert (row.success, row.status_code, row.error_code) == (False, 502, "BAD_GATEWAY")
    assert secret not in (row.error_message or "") and "***" in (row.error_message or "")


async def test_a_database_that_is_down_does_not_mask_the_provider_error() -> None:
    from oddscore.exceptions import ServerError
    from oddscore.ingestion.fetch import record_failed_fetch

    error = ServerError("boom", status_code=503, endpoint="/v4/sports/x/odds")
    async with Database.from_url("postgresql+asyncpg://postgres@127.0.0.1:1/odds") as down:
        await record_failed_fetch(down, error, sport="basketball_nba")  # logs, never raises


def test_a_bad_fault_spec_is_one_clear_error() -> None:
    from oddscore.cli.app import app as cli

    result = runner.invoke(cli, ["simulator", "serve", "--fault", "explode:3"])
    assert result.exit_code == 1
    assert "unknown fault kind 'explode'" in result.output and "Traceback" not in result.output

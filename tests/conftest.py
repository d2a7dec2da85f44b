"""Shared fixtures: an isolated environment and a real database on SQLite and PostgreSQL.

Each storage test runs twice, on a migrated SQLite file and on a migrated PostgreSQL database
(``TEST_DATABASE_URL``). PostgreSQL cases skip with a reason when the server cannot be
reached, unless ``ODDS_REQUIRE_POSTGRES=1``, which makes that a failure.
"""

from __future__ import annotations

import os
import tempfile

# Before oddscore is imported: a developer's .env must not leak into the tests.
os.environ["ODDS_ENV_FILE"] = ""
# moto's request recorder reads its path once, at its first import (by whichever test comes
# first): never the working directory, which is the repository.
os.environ.setdefault(
    "MOTO_RECORDER_FILEPATH",
    os.path.join(tempfile.gettempdir(), f"oddscore-moto-recording-{os.getpid()}.jsonl"),
)

# An xdist worker starts with COLUMNS=80 and LINES=24 in its environment, which Rich would
# read once, at import, and keep: a test that widens a table through COLUMNS would get 80.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import oddscore.storage.models  # noqa: F401  (registers every table)
from oddscore.config import get_settings
from oddscore.storage.engine import Database
from oddscore.storage.migrate import upgrade

# CI replays the same generated examples on every machine (a red run blocks landing, so it
# must not depend on the draw); a local run explores new ones each time.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/odds_test"
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
REAL_DATA_DIR = SHARED_DIR / "data" / "real_nba_odds"
SAMPLES_DIR = SHARED_DIR / "reference" / "odds_api_samples"


def _settings_env() -> list[str]:
    """Every environment variable a settings model reads (its alias, or prefix and name), so
    that no developer's setting, old or new, leaks into a test."""
    from pydantic import AliasChoices
    from pydantic_settings import BaseSettings

    import oddscore.config as config

    names = set()
    for model in vars(config).values():
        if isinstance(model, type) and issubclass(model, BaseSettings):
            prefix = str(model.model_config.get("env_prefix") or "")
            for name, field in model.model_fields.items():
                alias = field.validation_alias
                if isinstance(alias, AliasChoices):
                    names.update(c for c in alias.choices if isinstance(c, str))
                else:
                    names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return sorted(names)


_SETTINGS_ENV = _settings_env()


# The test modules (or folders, ending in "/") that run code reading the wall clock: the CLI's
# "now", live fetches, fetch-log and ledger times, Prefect schedules and flows, simulators on
# the system clock (in-process or served by a subprocess). Found by recording every read of
# oddscore.clock during a full run, plus the Prefect and subprocess tests that read it out of
# process. .ci/run runs them again under faked clocks (`-m wallclock`); the rest pass explicit
# times only.
WALL_CLOCK_TESTS = (
    "alerts/",
    "backfill/test_cli.py",
    "backfill/test_execute_replay.py",
    "backfill/test_execute_synthetic.py",
    "backfill/test_gaps_cli.py",
    "backfill/test_gaps_replay.py",
    "backtest/test_real_archive.py",
    "cli/test_bootstrap.py",
    "cli/test_schedule.py",
    "e2e/",
    "flows/",
    "ingestion/test_archive.py",
    "ingestion/test_cli.py",
    "ingestion/test_live.py",
    "ingestion/test_recheck_and_serve.py",
    "ingestion/test_results.py",
    "queries/test_cli.py",
    "reliability/bad_input/test_cli_args.py",
    "reliability/bad_input/test_flow.py",
    "reliability/test_",
    "simulator/test_serve.py",
    "status/test_next_runs.py",
)


# Workers of a plain `uv run pytest` (the whole suite, or a marker selection of it). The suite
# mostly waits on Prefect servers and subprocesses, so more workers than the two cores of the
# CI machine still pay; each worker also starts its own Prefect server, which caps the gain.
DEFAULT_WORKERS = 3


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run the whole suite on :data:`DEFAULT_WORKERS` xdist workers; a run naming its tests
    (a folder, a file, a node id) stays in one process, and ``-n`` decides either way.

    Runs before xdist's own hook of the same name, which turns ``numprocesses`` into workers.
    """
    if hasattr(config, "workerinput") or config.option.numprocesses is not None:
        return
    if config.args_source is pytest.Config.ArgsSource.TESTPATHS and not config.option.usepdb:
        config.option.numprocesses = DEFAULT_WORKERS


# The modules with a module-scoped fixture (a deployed stack, a moto ECS walk-through, a
# browser, a replay simulator): one worker runs each whole, so the fixture is built once, not
# once per worker. Collection fails when a module's fixture is missing here.
ONE_WORKER_MODULES = frozenset(
    f"tests/{module}"
    for module in (
        "backfill/test_cli.py",
        "backfill/test_execute_replay.py",
        "backfill/test_execute_synthetic.py",
        "backfill/test_gaps_cli.py",
        "backfill/test_gaps_replay.py",
        "backfill/test_selection.py",
        "deploy/test_ecs_template.py",
        "e2e/test_deployment.py",
        "e2e/test_safety_net.py",
        "flows/test_ecs_deploy.py",
        "ingestion/test_recheck_and_serve.py",
        "simulator/test_replay.py",
        "web/test_browser.py",
    )
)


def _uses_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)  # pytest's own record of the item's fixtures
    if info is None:
        return False
    scopes = {defs[-1].scope for defs in info.name2fixturedefs.values() if defs}
    return bool(scopes - {"function", "session"})


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """xdist's ``load``, except that each of :data:`ONE_WORKER_MODULES` goes to one worker.

    Not ``xdist_group`` marks with ``--dist loadgroup``: xdist 3.8 groups by renaming the
    items' node ids, which pytest 9.2 no longer reads, so the marks have no effect.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return ModuleGroups(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        if item.path.relative_to(tests).as_posix().startswith(WALL_CLOCK_TESTS):
            item.add_marker(pytest.mark.wallclock)
    unlisted = sorted(
        {
            item.nodeid.split("::", 1)[0]
            for item in items
            if _uses_module_fixture(item)
            and item.nodeid.split("::", 1)[0] not in ONE_WORKER_MODULES
        }
    )
    if unlisted:
        raise pytest.UsageError(f"add to ONE_WORKER_MODULES in tests/conftest.py: {unlisted}")
    if hasattr(config, "workerinput"):
        # Workers take tests in collection order: the slow ones (minutes each) go first, so
        # none of them starts last and holds up the end of the run. Every worker sorts alike.
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def require_postgres() -> bool:
    return os.environ.get("ODDS_REQUIRE_POSTGRES", "").lower() in {"1", "true", "yes"}


def real_data(*parts: str) -> Path:
    """A path under shared/data/real_nba_odds; skips the test cleanly when it is absent."""
    path = REAL_DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    return path


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's settings; every test reads settings afresh."""
    for name in _SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _prepare_postgres(url: str) -> str | None:
    """Create the test database if missing and reset its schema; None when unreachable."""
    import asyncpg

    target = make_url(url)
    server = target.set(drivername="postgresql", database="postgres")
    dsn = server.render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {server.host}:{server.port} is unreachable: {exc}"
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{target.database}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(target.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    return None


def worker_database_url(url: str) -> str:
    """``url`` for this process: an xdist worker gets its own database (``odds_test_gw1``),
    since every test empties the tables of the database it uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    target = make_url(url)
    return target.set(database=f"{target.database}_{worker}").render_as_string(False)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A migrated, empty PostgreSQL database for this test session (and this worker)."""
    url = worker_database_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL))
    problem = asyncio.run(_prepare_postgres(url))
    if problem is not None:
        if require_postgres():
            pytest.fail(f"ODDS_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


def _truncate_sql() -> str:
    tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
    return f"TRUNCATE {tables} RESTART IDENTITY CASCADE"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: a SQLite file or the PostgreSQL test database."""
    if request.param == "sqlite":
        path = tmp_path / "odds.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")

    async def truncate() -> None:
        database = Database.from_url(url, null_pool=True)
        async with database.engine.begin() as conn:
            await conn.execute(text(_truncate_sql()))
        await database.dispose()

    asyncio.run(truncate())
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A :class:`Database` on an empty, migrated database (both backends)."""
    database = Database.from_url(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def s3_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket in moto's in-process S3 (``mock_aws``); fake credentials, nothing leaves."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="oddscore-test")
        yield "oddscore-test"


# baseball_mlb's tiers moved by a profiles file (tests of per-sport tier offsets): opening
# 48 h+, early 18-48 h, sharp 6-18 h, pregame 1-6 h, closing the last hour.
MLB_TIER_OFFSETS = {"early": 48.0, "sharp": 18.0, "pregame": 6.0, "closing": 1.0}


@pytest.fixture
def mlb_tiers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """``SPORT_PROFILES_FILE`` giving baseball_mlb :data:`MLB_TIER_OFFSETS`."""
    body = ", ".join(f"{tier} = {hours}" for tier, hours in MLB_TIER_OFFSETS.items())
    path = tmp_path / "sports.toml"
    path.write_text(f"[baseball_mlb]\ntier_offsets = {{{body}}}\n", encoding="utf-8")
    monkeypatch.setenv("SPORT_PROFILES_FILE", str(path))
    get_settings.cache_clear()
    return dict(MLB_TIER_OFFSETS)

"""The CLI's cold start: importing the app and printing help load none of the heavy libraries.

Each probe runs in a fresh interpreter, since this test process has imported them all already.
No timing is asserted (benchmarks/cli.py prints the times); what is asserted is which modules
are loaded, which is what the start-up time follows from.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "pandas", "numpy", "matplotlib", "prefect", "scipy")
# The database layer, the data libraries and the orchestrator: loaded inside the commands
# that use them, never by the CLI module itself.
_LOADED = f"sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))"


def _probe(code: str) -> subprocess.CompletedProcess[str]:
    # PostgreSQL is never migrated by the CLI's start-up (only the embedded SQLite file is), so
    # this URL keeps the help runs from touching any database; nothing connects to it.
    env = {**os.environ, "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )


def test_importing_the_cli_loads_no_heavy_library() -> None:
    done = _probe(f"import sys, json; import oddscore.cli.app; print(json.dumps({_LOADED}))")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["status", "show", "--help"],
        ["lines", "--help"],
        ["best", "--help"],
        ["odds", "show", "--help"],
        ["backtest", "show", "--help"],
        ["plot", "clv", "--help"],
    ],
    ids=" ".join,
)
def test_help_is_printed_without_any_heavy_library(args: list[str]) -> None:
    """`odds ... --help` as a user runs it (``python -m oddscore``); the loaded modules are
    reported on stderr after the command has exited."""
    code = (
        "import json, runpy, sys\n"
        f"sys.argv = ['odds', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('oddscore', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"print(json.dumps({{'code': code, 'loaded': {_LOADED}}}), file=sys.stderr)\n"
    )
    done = _probe(code)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    assert "Usage" in done.stdout
    assert report["loaded"] == []


QUERY_HEAVY = ("sqlmodel", "sqlalchemy.orm", "sqlalchemy.ext.asyncio", "structlog", "httpx")
# A query command reads through SQLAlchemy Core: the SQLModel models, the ORM behind an
# AsyncSession, structlog (nothing is logged) and httpx (no Prefect server named) are for
# the commands that write, log or call out.


def _run_query(args: list[str], modules: tuple[str, ...], url: str) -> dict[str, Any]:
    """``odds ARGS`` as a user runs it, reporting its exit code and which of ``modules``
    it loaded."""
    code = (
        "import json, runpy, sys\n"
        f"sys.argv = ['odds', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('oddscore', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        f"loaded = [m for m in {modules!r} if m in sys.modules]\n"
        "print(json.dumps({'code': code, 'loaded': loaded}), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "DATABASE_URL": url},
    )
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    report["output"] = done.stdout + done.stderr
    return report


@pytest.fixture
def migrated(tmp_path: Path) -> str:
    from oddscore.storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'odds.db'}"
    upgrade(url)  # here: creating the embedded database on first use is a write (Alembic)
    return url


@pytest.mark.parametrize(
    "args",
    [["status", "show"], ["best", "nosuchevent"], ["odds", "show", "nosuchevent"]],
    ids=" ".join,
)
def test_a_query_command_reads_without_the_orm(args: list[str], migrated: str) -> None:
    report = _run_query(args, QUERY_HEAVY, migrated)
    # An unknown event is a clean error, after the same reads.
    assert report["code"] in ((0, None) if args[0] == "status" else (1,)), report["output"]
    assert report["loaded"] == []


PLAIN_SQL_HEAVY = ("sqlalchemy",)
# The commands whose reads are all plain SQL on the driver (oddscore.queries.plain) load no
# SQLAlchemy at all.


@pytest.mark.parametrize(
    "args",
    [
        ["status", "show"],
        ["status", "show", "--verbose"],
        ["lines", "nosuchevent"],
        ["best", "nosuchevent"],
        ["odds", "show", "nosuchevent"],
    ],
    ids=" ".join,
)
def test_a_plain_sql_command_loads_no_sqlalchemy(args: list[str], migrated: str) -> None:
    report = _run_query(args, PLAIN_SQL_HEAVY, migrated)
    assert report["code"] in ((0, None) if args[0] == "status" else (1,)), report["output"]
    assert report["loaded"] == []


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["status", "show", "--help"], "oddscore.cli.status"),
        (["lines", "--help"], "oddscore.cli.lines"),
        (["odds", "show", "--help"], "oddscore.cli.board"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value,
)
def test_a_command_line_builds_only_the_command_it_names(args: list[str], module: str) -> None:
    """The root group imports a command's module when a command line names it, not before:
    the other groups' modules stay unloaded (``odds --help`` alone loads them all)."""
    code = (
        "import json, runpy, sys\n"
        f"sys.argv = ['odds', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('oddscore', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "commands = [m for m in sys.modules if m.startswith('oddscore.cli.')]\n"
        "print(json.dumps(commands), file=sys.stderr)\n"
    )
    done = _probe(code)
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert module in loaded, done.stdout + done.stderr
    # Shared helpers aside, the one command module named is the only one imported.
    helpers = {"oddscore.cli.app", "oddscore.cli.common", "oddscore.cli.lazy_commands"}
    helpers |= {"oddscore.cli.options"}
    assert loaded - helpers == {module}


def test_help_still_lists_every_command() -> None:
    from oddscore.cli.app import _COMMANDS

    done = _probe(
        "import sys, runpy\nsys.argv = ['odds', '--help']\n"
        "runpy.run_module('oddscore', run_name='__main__')\n"
    )
    assert done.returncode == 0, done.stderr
    listed = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("│ ")}
    assert {entry.name for entry in _COMMANDS} <= listed

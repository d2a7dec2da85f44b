"""Every command documents itself: a walk over the whole command tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from oddscore.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # On the default embedded database: were help to create it, it would show up here.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def _is_group(command: Any) -> bool:
    # Typer vendors its own click; tell groups by shape rather than by class.
    return hasattr(command, "commands")


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if _is_group(command):
        for name, sub in sorted(command.commands.items()):
            paths.extend(_walk(sub, (*path, name)))
    return paths


COMMANDS = _walk(get_command(app))


def test_the_tree_has_the_groups_the_readme_promises() -> None:
    top = {p[0] for p in COMMANDS if p}
    assert "db" in top
    assert len(COMMANDS) > 2


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "odds")
def test_every_command_has_help_text(path: tuple[str, ...], in_tmp: Path) -> None:
    result = runner.invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert not list(in_tmp.iterdir()), "help created a file (the embedded database?)"
    command: Any = get_command(app)
    for name in path:
        command = command.commands[name]
    text = (command.help or command.short_help or "").strip()
    assert text, f"`odds {' '.join(path)}` has no help text"
    if not _is_group(command) and path:
        # Commands (not groups) show how they are used.
        assert "Example" in text or "example" in text, f"`odds {' '.join(path)}` has no example"
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not param.hidden:
            assert param.help, f"option {param.opts} of `odds {' '.join(path)}` has no help"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("odds ")


def test_unknown_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["no-such-command"])
    assert result.exit_code == 2


@pytest.mark.parametrize("args", [["status"], ["backtest"], ["status", "show", "-h"]], ids=" ".join)
def test_a_group_alone_or_short_help_creates_no_database(args: list[str], in_tmp: Path) -> None:
    result = runner.invoke(app, args, terminal_width=100)
    assert "Usage" in result.output
    assert not (in_tmp / "odds.db").exists()


def test_a_command_that_reads_no_database_creates_none(in_tmp: Path) -> None:
    listed = runner.invoke(app, ["backtest", "list-strategies", "--json"])
    assert listed.exit_code == 0, listed.output
    replay = runner.invoke(app, ["schedule", "replay", "--events", str(in_tmp / "missing")])
    assert replay.exit_code != 0 and "missing" in replay.output
    assert not (in_tmp / "odds.db").exists()


def test_a_query_creates_the_embedded_database(in_tmp: Path) -> None:
    result = runner.invoke(app, ["status", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert (in_tmp / "odds.db").stat().st_size > 0


def test_typer_is_the_cli() -> None:
    assert isinstance(app, typer.Typer)

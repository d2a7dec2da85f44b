"""CLI habits the whole command tree keeps: --json on reads, completion, quiet spinners."""

from __future__ import annotations

from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.cli.common import working

# Commands that write or serve rather than answer a question; everything else has --json.
NOT_QUERIES = {("backtest", "export"), ("db", "upgrade"), ("simulator", "serve"), ("serve",)}


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if hasattr(command, "commands"):
        return [
            leaf
            for name, sub in sorted(command.commands.items())
            for leaf in _leaves(sub, (*path, name))
        ]
    return [(path, command)]


def test_every_query_command_has_json() -> None:
    missing = [
        " ".join(path)
        for path, command in _leaves(get_command(app))
        if path not in NOT_QUERIES
        and "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}
    ]
    assert missing == []


def test_shell_completion_is_offered() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--install-completion" in result.output
    assert "--show-completion" in result.output


def test_the_spinner_stays_out_of_piped_output(capsys: Any) -> None:
    with working("busy"):
        print("answer")  # noqa: T201 - the command's own output
    captured = capsys.readouterr()
    assert captured.out == "answer\n"
    assert "busy" not in captured.err

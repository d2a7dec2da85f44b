"""The documentation stays true: the README's and the docs' commands parse against the CLI,
the blocks marked runnable run, and the configuration page covers every setting."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from oddscore.cli.app import app
from oddscore.settings_reference import env_example_comments, settings, settings_markdown

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]

runner = CliRunner()
_COMMAND = re.compile(r"uv run odds ([^`\n#]*)")
_RUNNABLE = re.compile(r"^<!-- runnable -->\n```[a-z]*\n(.*?)^```", re.M | re.S)


def odds_lines(text: str) -> list[str]:
    """Every ``uv run odds ...`` command, in code blocks and inline code, without comments."""
    found = [m.group(1).strip() for m in _COMMAND.finditer(text)]
    return [line for line in found if line != "..."]  # "uv run odds ...": any command


def resolve(words: list[str]) -> tuple[list[str], Any]:
    """The command path a line names (``backtest run``) and its click command."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for word in words:
        # get_command, not .commands: a lazily loading group resolves names only there.
        # Typer bundles its own click, so its groups are not click.Group: ask by duck type.
        lookup = getattr(command, "get_command", None)
        found = lookup(command.context_class(command), word) if lookup else None
        if found is None:
            break
        command = found
        path.append(word)
    return path, command


def options_of(command: Any) -> set[str]:
    return {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)} | {"--help"}


ALL_LINES = sorted(
    {
        (page.relative_to(ROOT).as_posix(), line)
        for page in PAGES
        for line in odds_lines(page.read_text(encoding="utf-8"))
    }
)


def test_the_docs_show_commands() -> None:
    pages = {page for page, _ in ALL_LINES}
    assert "README.md" in pages and len(ALL_LINES) >= 30


@pytest.mark.parametrize(("page", "line"), ALL_LINES)
def test_every_documented_command_parses(
    page: str, line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # --help runs the root callback, which creates odds.db here
    words = line.replace("[", " ").replace("]", " ").replace("|", " ").split()
    path, command = resolve(words)
    assert path, f"{page}: `odds {line}` names no odds command"
    helped = runner.invoke(app, [*path, "--help"])
    assert helped.exit_code == 0, f"{page}: odds {' '.join(path)} --help: {helped.output}"
    known = options_of(command)
    for word in words[len(path) :]:
        option = word.split("=", 1)[0]
        if option.startswith("-") and option != "-" and not option[1:2].isdigit():
            assert option in known, f"{page}: `odds {line}`: {option} is not an option"


def runnable_blocks() -> list[tuple[str, str]]:
    """The fenced blocks right after a line ``<!-- runnable -->``."""
    return [
        (page.relative_to(ROOT).as_posix(), m.group(1))
        for page in PAGES
        for m in _RUNNABLE.finditer(page.read_text(encoding="utf-8"))
    ]


def test_some_blocks_are_marked_runnable() -> None:
    assert {page for page, _ in runnable_blocks()} >= {"README.md"}


@pytest.mark.parametrize(("page", "block"), runnable_blocks())
def test_runnable_blocks_run_on_sqlite(
    page: str, block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'odds.db'}")
    from oddscore.config import get_settings

    get_settings.cache_clear()
    try:
        for raw in block.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line:
                continue
            assert line.startswith("uv run odds "), f"{page}: only odds commands run: {line}"
            done = runner.invoke(app, shlex.split(line)[3:])
            assert done.exit_code == 0, f"{page}: {line}: {done.output}"
    finally:
        get_settings.cache_clear()


def test_every_setting_is_in_env_example() -> None:
    documented = env_example_comments((ROOT / ".env.example").read_text(encoding="utf-8"))
    names = [s.name for s in settings()]
    assert len(names) >= 40
    missing = [name for name in names if name not in documented]
    assert not missing, f"settings missing from .env.example: {missing}"


def test_the_configuration_page_lists_every_setting() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "<!-- settings-table -->" in page
    table = settings_markdown(ROOT / ".env.example")
    for s in settings():
        assert f"| `{s.name}` |" in table
    assert "| `ODDS_API_QUOTA` | `int` | `20000` | Monthly credit quota" in table


def test_the_readme_is_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 200


# The API reference shows the docstrings' examples, so each must stay true.
EXAMPLES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for path in (ROOT / "oddscore").glob("**/*.py")
    if ">>> " in path.read_text(encoding="utf-8")
)


def test_the_docstrings_show_examples() -> None:
    assert "oddscore.analytics.devig" in EXAMPLES
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("module", EXAMPLES)
def test_every_docstring_example_holds(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), verbose=False, report=False)
    assert result.attempted > 0, f"{module} shows no example doctest can run"
    assert result.failed == 0, f"{result.failed} example(s) of {module} fail"


def test_sphinx_roles_read_as_code_names_in_the_api_reference() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("roles", ROOT / "docs/hooks/sphinx_roles.py")
    assert spec is not None and spec.loader is not None
    roles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(roles)
    html = (
        "<p>Calls :meth:<code>BettingStrategy.decide</code> with a "
        ":class:<code>~oddscore.backtest.market.MarketView</code>; see :func:<code>x</code>.</p>"
    )
    assert roles.plain_names(html) == (
        "<p>Calls <code>BettingStrategy.decide</code> with a <code>MarketView</code>; "
        "see <code>x</code>.</p>"
    )
    assert "docs/hooks/sphinx_roles.py" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")

"""A newcomer's first commands: the embedded database appears by itself; PostgreSQL is not
migrated behind the operator's back but named in a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app

runner = CliRunner()


def test_embedded_sqlite_is_created_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "first.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    result = runner.invoke(app, ["status", "quota", "--json"])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0


def test_unmigrated_postgres_is_a_clear_one_line_error(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's maintenance database exists and has none of our tables.
    monkeypatch.setenv("DATABASE_URL", postgres_url.rsplit("/", 1)[0] + "/postgres")
    result = runner.invoke(app, ["status", "quota"])
    assert result.exit_code == 1
    assert "run `odds db upgrade`" in result.output
    assert "Traceback" not in result.output

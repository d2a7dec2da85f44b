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


def test_a_database_of_an_older_release_names_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oddscore.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")  # the first release's schema: backfill_calls without later columns
    monkeypatch.setenv("DATABASE_URL", url)
    result = runner.invoke(app, ["backfill", "status"])
    assert result.exit_code == 1
    assert "run `odds db upgrade`" in result.output and "Traceback" not in result.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["backfill", "status"])
    assert result.exit_code == 0 and "no backfill has been executed yet" in result.output

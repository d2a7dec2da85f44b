"""The ingestion commands end to end through the CLI, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app
from tests.conftest import real_data
from tests.ingestion.conftest import archive_dir

runner = CliRunner()


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    return db_url


def odds(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "160"})
    return result.exit_code, result.output


def test_import_validate_and_results_commands(env: str) -> None:
    folder = str(archive_dir())
    window = ["--season", "2023-2024", "--from", "2023-10-24", "--to", "2023-10-26"]
    code, out = odds("import", "snapshots", folder, *window, "--json")
    assert code == 0, out
    first = json.loads(out)
    assert first["odds_files"] == 3 and first["events_files"] == 3 and first["odds_rows"] > 0
    code, out = odds("import", "snapshots", folder, *window, "--json")
    again = json.loads(out)
    assert (again["snapshots_inserted"], again["odds_rows"]) == (0, 0)

    code, out = odds("validate", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert report["findings"] == first["findings"]
    assert {row["issue_type"] for row in report["by_type"]} <= {
        "missing_markets",
        "line_jump",
        "price_jump",
    }
    code, out = odds("validate", "--recheck", "--json")
    assert code == 0, out
    rechecked = json.loads(out)
    assert rechecked["recheck"]["snapshots"] == first["snapshots_inserted"]
    assert rechecked["recheck"]["rows_changed"] == 0
    assert rechecked["findings"] == report["findings"]  # same rules, same findings
    code, out = odds("validate")
    assert code == 0 and "by type" in out

    kaggle = str(real_data("kaggle_nba_2008_2025", "nba_2008-2025.csv"))
    code, out = odds("results", "import", kaggle, "--json")
    assert code == 0, out
    assert json.loads(out)["updated"] > 0


def test_bad_results_file_is_one_red_line(env: str, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("date,home,away,home_score,away_score\n2024-01-09,den,Gotham,1,2\n")
    code, out = odds("results", "import", str(path))
    assert code == 1
    assert "line 2: unknown team 'Gotham'" in out and "Traceback" not in out


def test_import_of_an_empty_folder_fails_cleanly(env: str, tmp_path: Path) -> None:
    code, out = odds("import", "snapshots", str(tmp_path))
    assert code == 1 and "no .json" in out


def test_validate_refuses_an_unknown_issue_type(env: str) -> None:
    """A typo in --type would otherwise report "0 findings" and look like clean data."""
    code, out = odds("validate", "--type", "nonsense")
    assert code == 1 and "--type 'nonsense' is not a data-quality issue type" in out
    assert "line_jump" in out and "Traceback" not in out
    code, out = odds("validate", "--type", "line_jump", "--json")
    assert code == 0 and json.loads(out)["findings"] == 0


def test_every_rule_reports_a_listed_issue_type() -> None:
    from oddscore.ingestion.validation import Action, Finding, Severity

    with pytest.raises(ValueError, match="unknown data-quality issue type 'made_up'"):
        Finding("made_up", Severity.INFO, Action.NONE, "x")

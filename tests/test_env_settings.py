"""How the settings groups read the environment and a .env file (pydantic-settings): names
in any case, aliases and field names, environment before file, empty values unset, and the
errors a bad value gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from oddscore.config import ApiSettings, CollectionSettings, DatabaseSettings, LoggingSettings


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "odds.env"
    path.write_text(
        "# a comment\n"
        "export ODDS_API_QUOTA=1234\n"
        'DATABASE_URL="postgres://u:p@h/db"\n'
        "bookmakers='pinnacle, fanduel'\n"
        "LOG_FORMAT=json   # trailing comment\n"
        "MARKETS=\n"
    )
    return path


def test_the_file_is_read_with_dotenv_syntax(env_file: Path) -> None:
    assert ApiSettings(_env_file=env_file).quota == 1234  # type: ignore[call-arg]
    assert DatabaseSettings(_env_file=env_file).url == "postgresql+asyncpg://u:p@h/db"  # type: ignore[call-arg]
    collection = CollectionSettings(_env_file=env_file)  # type: ignore[call-arg]
    assert collection.bookmakers == ["pinnacle", "fanduel"]
    assert collection.markets == ["h2h", "spreads", "totals"]  # empty: unset, the default
    assert LoggingSettings(_env_file=env_file).format == "json"  # type: ignore[call-arg]
    assert ApiSettings(_env_file=None).quota == 20_000  # type: ignore[call-arg]


def test_the_environment_beats_the_file_and_empty_is_unset(
    env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ODDS_API_QUOTA", "9")
    monkeypatch.setenv("LOG_FORMAT", "")
    assert ApiSettings(_env_file=env_file).quota == 9  # type: ignore[call-arg]
    assert LoggingSettings(_env_file=env_file).format == "json"  # type: ignore[call-arg]


def test_names_match_in_any_case_and_fields_by_their_own_name(
    env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("database_url", "sqlite:///low.db")
    monkeypatch.setenv("LEVEL", "error")  # populate_by_name: the field's own name counts
    monkeypatch.setenv("QUOTA", "5")
    assert DatabaseSettings(_env_file=None).url == "sqlite+aiosqlite:///low.db"  # type: ignore[call-arg]
    assert LoggingSettings(_env_file=None).level == "ERROR"  # type: ignore[call-arg]
    assert ApiSettings(_env_file=None).quota == 5  # type: ignore[call-arg]
    # The alias goes first, wherever it is found: the file's ODDS_API_QUOTA beats QUOTA.
    assert ApiSettings(_env_file=env_file).quota == 1234  # type: ignore[call-arg]


def test_values_given_beat_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env.db")
    assert DatabaseSettings(url="sqlite:///given.db").url == "sqlite+aiosqlite:///given.db"
    assert DatabaseSettings().url == "sqlite+aiosqlite:///env.db"


def test_a_bad_value_is_pydantics_error_under_the_variable_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ODDS_API_QUOTA", "-1")
    with pytest.raises(ValidationError) as raised:
        ApiSettings(_env_file=None)  # type: ignore[call-arg]
    [error] = raised.value.errors()
    assert error["loc"] == ("ODDS_API_QUOTA",)
    assert error["input"] == "-1"
    assert raised.value.title == "ApiSettings"


def test_defaults_are_validated_as_before() -> None:
    # validate_default: the default URL goes through the normalising validator.
    field = DatabaseSettings.model_fields["url"]
    assert field.default == "sqlite+aiosqlite:///odds.db"
    assert DatabaseSettings.model_config.get("validate_default") is True

"""Settings: spec names, comma lists, secrets, defaults that need nothing installed."""

from __future__ import annotations

import pytest

from oddscore.config import get_settings, normalize_database_url
from oddscore.exceptions import ConfigurationError


def test_defaults_need_nothing_installed() -> None:
    settings = get_settings()
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.database.is_sqlite
    assert "pinnacle" in settings.collection.bookmakers
    assert settings.collection.markets == ["h2h", "spreads", "totals"]
    assert settings.api.key is None
    assert settings.alerts.enabled is False


def test_spec_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODDS_API_KEY", "k-123456")
    monkeypatch.setenv("ODDS_API_BASE_URL", "http://127.0.0.1:9999/v4/")
    monkeypatch.setenv("ODDS_API_QUOTA", "500")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db:5432/odds")
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("BOOKMAKERS", "pinnacle, draftkings,fanduel")
    monkeypatch.setenv("MARKETS", "h2h")
    monkeypatch.setenv("SPORTS", "basketball_nba,basketball_wnba")
    monkeypatch.setenv("REGIONS", "us,eu")
    monkeypatch.setenv("SCHEDULER_DRY_RUN", "true")
    monkeypatch.setenv("SCHEDULER_LOOKAHEAD_DAYS", "3")
    monkeypatch.setenv("ENABLE_VALIDATION", "false")
    monkeypatch.setenv("REJECT_INVALID_ODDS", "true")
    monkeypatch.setenv("ALERT_ENABLED", "1")
    monkeypatch.setenv("DISCORD_WEBHOOK_URL", "https://discord.example/hook/secret")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    s = get_settings()
    assert s.api.key is not None and s.api.key.get_secret_value() == "k-123456"
    assert "k-123456" not in repr(s)
    assert s.api.base_url == "http://127.0.0.1:9999"
    assert s.api.quota == 500
    assert s.database.url == "postgresql+asyncpg://u:pw@db:5432/odds"
    assert s.database.pool_size == 3
    assert s.collection.bookmakers == ["pinnacle", "draftkings", "fanduel"]
    assert s.collection.markets == ["h2h"]
    assert s.collection.sports == ["basketball_nba", "basketball_wnba"]
    assert s.collection.regions == ["us", "eu"]
    assert s.scheduler.dry_run is True and s.scheduler.lookahead_days == 3
    assert s.data_quality.enable_validation is False
    assert s.data_quality.reject_invalid_odds is True
    assert s.alerts.enabled is True
    assert "secret" not in repr(s.alerts)
    assert s.logging.level == "DEBUG"


def test_settings_are_built_lazily_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    monkeypatch.setenv("ODDS_API_QUOTA", "7")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().api.quota == 7


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("ODDS_API_KEY", "your-api-key-here", "placeholder"),
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL"),
        ("ODDS_API_QUOTA", "lots", "ODDS_API_QUOTA"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=fragment):
        get_settings()


def test_missing_key_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="ODDS_API_KEY is not set"):
        get_settings().api.require_key()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///odds.db", "sqlite+aiosqlite:///odds.db"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
    ],
)
def test_database_urls_are_normalized(raw: str, expected: str) -> None:
    assert normalize_database_url(raw) == expected


def test_env_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oddscore.config import ApiSettings

    (tmp_path / "custom.env").write_text("ODDS_API_QUOTA=1234\n")
    assert ApiSettings(_env_file=tmp_path / "custom.env").quota == 1234  # type: ignore[call-arg]

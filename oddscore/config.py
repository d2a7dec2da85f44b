"""Settings, read from the environment (and a ``.env`` file) under the names of the spec.

Each group is its own ``BaseSettings`` so that the flat environment names of the
specification (``ODDS_API_KEY``, ``DATABASE_URL``, ``BOOKMAKERS`` ...) keep working, while
code reads ``settings.api.key`` or ``settings.database.url``. Nothing is read at import time:
``get_settings()`` builds the settings on first use and caches them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from oddscore.exceptions import ConfigurationError
from oddscore.prices.realism import DEFAULT_COMMISSION, DEFAULT_MAX_LEG_GAP, DEFAULT_MAX_QUOTE_AGE

__all__ = [
    "AlertSettings",
    "ApiSettings",
    "BettingSettings",
    "CollectionSettings",
    "DataQualitySettings",
    "DatabaseSettings",
    "LoggingSettings",
    "SchedulerSettings",
    "Settings",
    "get_settings",
    "normalize_database_url",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///odds.db"
DEFAULT_BOOKMAKERS = [
    "pinnacle",
    "circasports",
    "draftkings",
    "fanduel",
    "betmgm",
    "williamhill_us",
    "betrivers",
    "bovada",
]
# The value .env.example ships with; a key equal to it is a forgotten edit, not a key.
PLACEHOLDER_API_KEY = "your-api-key-here"

CommaList = Annotated[list[str], NoDecode]


def _split_commas(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _config(env_prefix: str = "") -> SettingsConfigDict:
    # ODDS_ENV_FILE="" turns the .env file off (the test suite does, so a developer's .env
    # cannot leak into tests).
    env_file = os.environ.get("ODDS_ENV_FILE", ".env") or None
    return SettingsConfigDict(
        env_file=env_file,
        env_ignore_empty=True,
        extra="ignore",
        env_prefix=env_prefix,
        populate_by_name=True,
    )


def normalize_database_url(url: str) -> str:
    """Rewrite a plain DSN to the async driver this product uses.

    >>> normalize_database_url("postgres://u@h/db")
    'postgresql+asyncpg://u@h/db'
    >>> normalize_database_url("sqlite:///odds.db")
    'sqlite+aiosqlite:///odds.db'
    """
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigurationError(
        f"DATABASE_URL must be a PostgreSQL or SQLite URL, got scheme {url.split(':', 1)[0]!r}"
    )


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for PostgreSQL and in-memory SQLite.

    Here rather than in the storage layer, so that the CLI's start-up check of the embedded
    database does not import SQLAlchemy (``odds <command> --help`` stays fast).
    """
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path.startswith(":memory:"):
        return None
    return Path(path.split("?", 1)[0])


class ApiSettings(BaseSettings):
    """The Odds API: key, address, plan size and client behaviour."""

    model_config = _config()

    key: SecretStr | None = Field(default=None, validation_alias="ODDS_API_KEY")
    base_url: str = Field(
        default="https://api.the-odds-api.com", validation_alias="ODDS_API_BASE_URL"
    )
    quota: int = Field(default=20_000, ge=0, validation_alias="ODDS_API_QUOTA")
    timeout_seconds: float = Field(default=30.0, gt=0, validation_alias="ODDS_API_TIMEOUT")
    max_retries: int = Field(default=4, ge=0, le=10, validation_alias="ODDS_API_MAX_RETRIES")
    # The provider allows 30 requests per second; stay well under it.
    requests_per_second: float = Field(
        default=10.0, gt=0, le=30, validation_alias="ODDS_API_REQUESTS_PER_SECOND"
    )
    odds_format: Literal["american", "decimal"] = Field(
        default="american", validation_alias="ODDS_API_ODDS_FORMAT"
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.rstrip("/")
        # Accept the spec's form with the version suffix; the client adds /v4 itself.
        return value[: -len("/v4")] if value.endswith("/v4") else value

    @field_validator("key")
    @classmethod
    def _refuse_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value() == PLACEHOLDER_API_KEY:
            raise ValueError("ODDS_API_KEY still holds the placeholder from .env.example")
        return value

    def require_key(self) -> SecretStr:
        if self.key is None:
            raise ConfigurationError(
                "ODDS_API_KEY is not set; put it in the environment or in .env "
                "(or run `odds demo`, which needs no key)"
            )
        return self.key


class DatabaseSettings(BaseSettings):
    """Where the data lives: an embedded SQLite file by default, PostgreSQL in production."""

    model_config = _config()

    url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    pool_size: int = Field(default=5, ge=1, le=100, validation_alias="DATABASE_POOL_SIZE")
    # Serverless runs (one flow run per container) must not keep idle connections open.
    null_pool: bool = Field(default=False, validation_alias="DATABASE_NULL_POOL")
    echo: bool = Field(default=False, validation_alias="DATABASE_ECHO")
    sqlite_busy_timeout_ms: int = Field(
        default=30_000, ge=0, validation_alias="DATABASE_SQLITE_BUSY_TIMEOUT_MS"
    )

    @field_validator("url")
    @classmethod
    def _normalize(cls, value: str) -> str:
        try:
            return normalize_database_url(value)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class CollectionSettings(BaseSettings):
    """What to collect: sports, books, markets, and which books are sharp."""

    model_config = _config()

    sports: CommaList = Field(default=["basketball_nba"], validation_alias="SPORTS")
    bookmakers: CommaList = Field(
        default_factory=lambda: list(DEFAULT_BOOKMAKERS), validation_alias="BOOKMAKERS"
    )
    markets: CommaList = Field(default=["h2h", "spreads", "totals"], validation_alias="MARKETS")
    # Only used when BOOKMAKERS is empty: the provider bills bookmakers and regions alike.
    regions: CommaList = Field(default=["us"], validation_alias="REGIONS")
    sharp_bookmakers: CommaList = Field(
        default=["pinnacle", "circasports"], validation_alias="SHARP_BOOKMAKERS"
    )
    # A JSON or TOML file overriding or adding sport profiles (oddscore.sports); unset: the
    # built-in profiles of basketball_nba, soccer_epl and baseball_mlb.
    sport_profiles_file: Path | None = Field(default=None, validation_alias="SPORT_PROFILES_FILE")

    _split = field_validator(
        "sports", "bookmakers", "markets", "regions", "sharp_bookmakers", mode="before"
    )(_split_commas)


FetchTierName = Literal["opening", "early", "sharp", "pregame", "closing"]


def _tier_minutes(value: Any) -> Any:
    """``SCHEDULER_MIN_CADENCE="closing=30,pregame=90"``: minutes per tier."""
    if not isinstance(value, str):
        return value
    minutes: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        tier, sep, every = item.partition("=")
        if not sep or not tier.strip() or not every.strip():
            raise ValueError(
                f"SCHEDULER_MIN_CADENCE entries are tier=minutes, got {item.strip()!r}"
            )
        minutes[tier.strip()] = every.strip()
    return minutes


class SchedulerSettings(BaseSettings):
    """How the scheduling intelligence plans collection."""

    model_config = _config()

    dry_run: bool = Field(default=False, validation_alias="SCHEDULER_DRY_RUN")
    lookahead_days: int = Field(default=7, ge=1, le=60, validation_alias="SCHEDULER_LOOKAHEAD_DAYS")
    closing_lead_minutes: int = Field(
        default=5, ge=1, le=60, validation_alias="SCHEDULER_CLOSING_LEAD_MINUTES"
    )
    offseason_check_hours: int = Field(
        default=24, ge=1, le=168, validation_alias="SCHEDULER_OFFSEASON_CHECK_HOURS"
    )
    # Unset: each sport's profile says (NBA 2.5, EPL 2, MLB 3); set: every sport's games.
    game_duration_hours: float | None = Field(
        default=None, gt=0, le=6, validation_alias="SCHEDULER_GAME_DURATION_HOURS"
    )
    # How long a run may stay silent (no heartbeat, no final state) before the safety net
    # marks it crashed and restarts its chain (`odds safety-net apply`).
    safety_net_window_seconds: int = Field(
        default=300, ge=60, le=3600, validation_alias="SAFETY_NET_WINDOW_SECONDS"
    )
    # A chain whose runs keep dying is restarted with exponential back-off: after this many
    # crashed or failed runs in a row, the restart waits backoff seconds, doubling, up to cap.
    safety_net_backoff_after: int = Field(
        default=3, ge=1, le=100, validation_alias="SAFETY_NET_BACKOFF_AFTER"
    )
    safety_net_backoff_seconds: int = Field(
        default=60, ge=1, le=86_400, validation_alias="SAFETY_NET_BACKOFF_SECONDS"
    )
    safety_net_backoff_cap_seconds: int = Field(
        default=3600, ge=1, le=7 * 86_400, validation_alias="SAFETY_NET_BACKOFF_CAP_SECONDS"
    )
    # covering: calls placed to cover every game's tiers together; cadence: the original
    # per-game tier cadence (about 2.8x the calls on a real season, same coverage).
    planner: Literal["covering", "cadence"] = Field(
        default="covering", validation_alias="SCHEDULER_PLANNER"
    )
    # The covering planner's minimum cadence inside a tier, ``tier=minutes,...``.
    min_cadence: Annotated[dict[FetchTierName, Annotated[int, Field(ge=1)]], NoDecode] = Field(
        default_factory=dict, validation_alias="SCHEDULER_MIN_CADENCE"
    )

    _cadence = field_validator("min_cadence", mode="before")(_tier_minutes)


class DataQualitySettings(BaseSettings):
    """Validation on the way in: log findings by default, reject in strict mode."""

    model_config = _config()

    enable_validation: bool = Field(default=True, validation_alias="ENABLE_VALIDATION")
    reject_invalid_odds: bool = Field(default=False, validation_alias="REJECT_INVALID_ODDS")
    min_overround: float = Field(default=0.98, validation_alias="DQ_MIN_OVERROUND")
    max_overround: float = Field(default=1.15, validation_alias="DQ_MAX_OVERROUND")
    # Three prices carry more margin than two: soccer's home/draw/away moneyline.
    three_way_min_overround: float = Field(
        default=0.98, validation_alias="DQ_THREE_WAY_MIN_OVERROUND"
    )
    three_way_max_overround: float = Field(
        default=1.20, validation_alias="DQ_THREE_WAY_MAX_OVERROUND"
    )
    max_line_jump_points: float = Field(default=4.0, validation_alias="DQ_MAX_LINE_JUMP_POINTS")
    max_price_jump_prob: float = Field(default=0.15, validation_alias="DQ_MAX_PRICE_JUMP_PROB")
    stale_after_minutes: int = Field(default=180, validation_alias="DQ_STALE_AFTER_MINUTES")
    # A recorded file (or what its gzip unpacks to) larger than this is refused unread.
    import_max_file_mb: int = Field(
        default=256, ge=1, le=65_536, validation_alias="IMPORT_MAX_FILE_MB"
    )


class AlertSettings(BaseSettings):
    """Alerts: built, tested, and off unless ALERT_ENABLED=true."""

    model_config = _config()

    enabled: bool = Field(default=False, validation_alias="ALERT_ENABLED")
    discord_webhook_url: SecretStr | None = Field(
        default=None, validation_alias="DISCORD_WEBHOOK_URL"
    )
    ev_threshold: float = Field(default=0.03, validation_alias="ALERT_EV_THRESHOLD")
    line_move_points: float = Field(default=2.0, validation_alias="ALERT_LINE_MOVE_POINTS")
    timeout_seconds: float = Field(default=5.0, gt=0, validation_alias="ALERT_TIMEOUT")


def _commission(value: Any) -> Any:
    """``BOOK_COMMISSION="betfair_ex_uk=0.02,novig=0"``: rates over the exchange defaults."""
    if not isinstance(value, str):
        return value
    rates = dict(DEFAULT_COMMISSION)
    for item in value.split(","):
        if not item.strip():
            continue
        book, sep, rate = item.partition("=")
        try:
            rates[book.strip()] = float(rate)
        except ValueError:
            raise ValueError(
                f"BOOK_COMMISSION entries are book=rate (0.05 = 5%), got {item.strip()!r}"
            ) from None
        if not sep or not book.strip():
            raise ValueError(f"BOOK_COMMISSION entries are book=rate, got {item.strip()!r}")
    return rates


class BettingSettings(BaseSettings):
    """Betting realism: each book's commission and when an arbitrage is actionable."""

    model_config = _config()

    # Commission on net winnings per book; exchanges default to their base rates.
    commission: Annotated[dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_COMMISSION), validation_alias="BOOK_COMMISSION"
    )
    arb_max_quote_age_minutes: float = Field(
        default=DEFAULT_MAX_QUOTE_AGE.total_seconds() / 60.0,
        gt=0,
        validation_alias="ARB_MAX_QUOTE_AGE_MINUTES",
    )
    arb_max_leg_gap_minutes: float = Field(
        default=DEFAULT_MAX_LEG_GAP.total_seconds() / 60.0,
        ge=0,
        validation_alias="ARB_MAX_LEG_GAP_MINUTES",
    )

    _rates = field_validator("commission", mode="before")(_commission)


class LoggingSettings(BaseSettings):
    """Log level, format and an optional file."""

    model_config = _config()

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL")
    )
    file: Path | None = Field(default=None, validation_alias="LOG_FILE")
    format: Literal["auto", "json", "console"] = Field(
        default="auto", validation_alias="LOG_FORMAT"
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseModel):
    """All settings, grouped. Build it with :func:`get_settings`, or by hand in tests."""

    api: ApiSettings = Field(default_factory=ApiSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    collection: CollectionSettings = Field(default_factory=CollectionSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    data_quality: DataQualitySettings = Field(default_factory=DataQualitySettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    betting: BettingSettings = Field(default_factory=BettingSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once, on first use; ``get_settings.cache_clear()`` re-reads them."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None

"""Storage: tables, the engine and session factory, and migrations."""

from oddscore.storage.engine import Database
from oddscore.storage.models import (
    DataQualityLog,
    Event,
    EventAlias,
    EventStatus,
    FetchLog,
    Odds,
    OddsSnapshot,
    Severity,
)

__all__ = [
    "DataQualityLog",
    "Database",
    "Event",
    "EventAlias",
    "EventStatus",
    "FetchLog",
    "Odds",
    "OddsSnapshot",
    "Severity",
]

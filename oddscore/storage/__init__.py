"""Storage: tables, the engine and session factory, and migrations.

The names below load on first use (PEP 562): a query command imports
``oddscore.storage.engine`` or ``oddscore.storage.tables`` without paying for the SQLModel
models (see :mod:`oddscore.storage.tables`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "oddscore.storage.engine" if name == "Database" else "oddscore.storage.models"
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

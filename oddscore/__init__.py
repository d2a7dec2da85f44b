"""oddscore: the domain library of the odds pipeline.

Importable and testable without Prefect. The public names below are loaded lazily, so that
``import oddscore`` (and ``odds --help``) stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "Clock",
    "ConfigurationError",
    "Database",
    "FrozenClock",
    "OddsApiClient",
    "OddscoreError",
    "Settings",
    "SystemClock",
    "get_logger",
    "get_settings",
]

_LAZY = {
    "Clock": "oddscore.clock",
    "ConfigurationError": "oddscore.exceptions",
    "Database": "oddscore.storage.engine",
    "FrozenClock": "oddscore.clock",
    "OddsApiClient": "oddscore.provider.client",
    "OddscoreError": "oddscore.exceptions",
    "Settings": "oddscore.config",
    "SystemClock": "oddscore.clock",
    "get_logger": "oddscore.logs",
    "get_settings": "oddscore.config",
}

if TYPE_CHECKING:
    from oddscore.clock import Clock, FrozenClock, SystemClock
    from oddscore.config import Settings, get_settings
    from oddscore.exceptions import ConfigurationError, OddscoreError
    from oddscore.logs import get_logger
    from oddscore.provider.client import OddsApiClient
    from oddscore.storage.engine import Database


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'oddscore' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

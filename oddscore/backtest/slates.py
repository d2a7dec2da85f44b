"""Slates: the games of one US game day, decided and sized together."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["slate_key"]

_US_DAY_OFFSET = timedelta(hours=6)


def slate_key(commence_time: datetime) -> str:
    """The US game day of an event: NBA evening tips fall after midnight UTC."""
    return (commence_time - _US_DAY_OFFSET).date().isoformat()

"""What an alert is, and what a channel must do with it."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from oddscore.clock import utcnow
from oddscore.storage.models import Severity

__all__ = ["Alert", "AlertChannel", "AlertKind"]


class AlertKind(StrEnum):
    EV = "ev"
    ARBITRAGE = "arbitrage"
    LINE_MOVE = "line_move"
    DATA_QUALITY = "data_quality"
    FLOW_FAILURE = "flow_failure"
    DEAD_CHAIN = "dead_chain"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    title: str
    message: str
    severity: Severity = Severity.INFO
    fields: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    # Alerts with the same key inside the manager's window are sent once: a line that stays
    # +EV for an hour is one alert, not one per poll.
    dedupe_key: str | None = None


class AlertChannel(abc.ABC):
    """Somewhere alerts go. ``send`` returns False on failure; it must not raise."""

    name: str = "channel"

    @abc.abstractmethod
    async def send(self, alert: Alert) -> bool: ...

    async def aclose(self) -> None:  # noqa: B027  (optional hook, most channels hold nothing)
        """Release what the channel holds."""

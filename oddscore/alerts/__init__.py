"""Alerts: built, tested, and off unless ``ALERT_ENABLED=true``.

A trigger turns a finding (an EV spot, an arbitrage, a line move, a critical data-quality
finding, a failed flow run) into an :class:`Alert`; the :class:`AlertManager` sends it to its
channels. Sending never raises and never blocks a flow for longer than the channel timeout.
"""

from oddscore.alerts.base import Alert, AlertChannel, AlertKind
from oddscore.alerts.discord import DiscordWebhookChannel
from oddscore.alerts.manager import AlertManager

__all__ = ["Alert", "AlertChannel", "AlertKind", "AlertManager", "DiscordWebhookChannel"]

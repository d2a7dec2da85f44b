"""Fans alerts out to channels: concurrently, bounded in time, de-duplicated, never raising."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from oddscore.alerts.base import Alert, AlertChannel
from oddscore.clock import Clock, SystemClock
from oddscore.config import AlertSettings
from oddscore.logs import get_logger

__all__ = ["AlertManager"]

log = get_logger("alerts")


class AlertManager:
    """Sends alerts to every channel when enabled; a disabled manager sends nothing.

    Example::

        manager = AlertManager.from_settings(get_settings().alerts)
        await manager.notify(alert)
    """

    def __init__(
        self,
        channels: Sequence[AlertChannel] = (),
        *,
        enabled: bool = True,
        timeout: float = 5.0,
        dedupe_window: timedelta = timedelta(hours=1),
        clock: Clock | None = None,
    ) -> None:
        self.channels = list(channels)
        self.enabled = enabled
        self.timeout = timeout
        self.dedupe_window = dedupe_window
        self._clock = clock or SystemClock()
        self._sent: dict[str, datetime] = {}

    @classmethod
    def from_settings(cls, settings: AlertSettings | None = None) -> AlertManager:
        from oddscore.alerts.discord import DiscordWebhookChannel

        settings = settings or AlertSettings()
        channels: list[AlertChannel] = []
        if settings.discord_webhook_url is not None:
            channels.append(
                DiscordWebhookChannel(
                    settings.discord_webhook_url, timeout=settings.timeout_seconds
                )
            )
        return cls(channels, enabled=settings.enabled, timeout=settings.timeout_seconds)

    def _is_duplicate(self, alert: Alert) -> bool:
        if alert.dedupe_key is None:
            return False
        now = self._clock.now()
        last = self._sent.get(alert.dedupe_key)
        if last is not None and now - last < self.dedupe_window:
            return True
        self._sent[alert.dedupe_key] = now
        return False

    async def _send_one(self, channel: AlertChannel, alert: Alert) -> bool:
        try:
            return await asyncio.wait_for(channel.send(alert), self.timeout)
        except Exception as exc:  # a broken channel must never fail the flow that alerts
            log.warning("alert channel failed", channel=channel.name, error=repr(exc))
            return False

    async def notify(self, alert: Alert | None) -> int:
        """Send ``alert`` to every channel; returns how many channels accepted it."""
        if alert is None or not self.enabled or not self.channels or self._is_duplicate(alert):
            return 0
        results = await asyncio.gather(*(self._send_one(c, alert) for c in self.channels))
        delivered = sum(results)
        log.info("alert sent", kind=alert.kind.value, title=alert.title, delivered=delivered)
        return delivered

    async def notify_all(self, alerts: Sequence[Alert | None]) -> int:
        total = 0
        for alert in alerts:
            total += await self.notify(alert)
        return total

    async def aclose(self) -> None:
        for channel in self.channels:
            await channel.aclose()

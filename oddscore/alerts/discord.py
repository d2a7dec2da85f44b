"""A Discord webhook channel."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from oddscore.alerts.base import Alert, AlertChannel
from oddscore.logs import get_logger, redact, register_secret
from oddscore.storage.models import Severity

__all__ = ["DiscordWebhookChannel"]

log = get_logger("alerts.discord")

_COLOURS = {
    Severity.INFO: 0x3498DB,
    Severity.WARNING: 0xF1C40F,
    Severity.ERROR: 0xE67E22,
    Severity.CRITICAL: 0xE74C3C,
}


class DiscordWebhookChannel(AlertChannel):
    """Posts each alert as one embed to a Discord webhook.

    The webhook URL is a credential (anyone holding it can post), so it is kept as a secret and
    redacted from every log line.
    """

    name = "discord"

    def __init__(
        self,
        url: SecretStr | str,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url if isinstance(url, SecretStr) else SecretStr(url)
        register_secret(self._url.get_secret_value())
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    @staticmethod
    def payload(alert: Alert) -> dict[str, object]:
        embed: dict[str, object] = {
            "title": alert.title[:256],
            "description": alert.message[:4000],
            "color": _COLOURS.get(Severity(alert.severity), _COLOURS[Severity.INFO]),
            "timestamp": alert.created_at.isoformat(),
            "fields": [
                {"name": str(k)[:256], "value": str(v)[:1024], "inline": True}
                for k, v in list(alert.fields.items())[:25]
            ],
            "footer": {"text": f"oddscore · {alert.kind.value}"},
        }
        return {"username": "oddscore", "embeds": [embed]}

    async def send(self, alert: Alert) -> bool:
        try:
            response = await self._client.post(
                self._url.get_secret_value(), json=self.payload(alert)
            )
        except httpx.HTTPError as exc:
            log.warning("alert not delivered", channel=self.name, error=redact(repr(exc)))
            return False
        if response.status_code >= 400:
            log.warning("alert refused", channel=self.name, status=response.status_code)
            return False
        return True

    async def aclose(self) -> None:
        await self._client.aclose()

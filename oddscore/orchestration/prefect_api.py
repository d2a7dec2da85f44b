"""The Prefect server's REST API over plain httpx: no ``import prefect`` (2.5 s) in commands
that only read or configure the orchestrator, and a short timeout so they never hang on it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from oddscore.logs import redact, register_secret

__all__ = ["API_ERRORS", "api_client", "post", "unreachable"]

# What a missing, failing or odd server raises; each caller turns it into a plain problem.
API_ERRORS = (httpx.HTTPError, ValueError, KeyError, TypeError)


def api_client(
    api_url: str,
    *,
    api_key: str | None = None,
    timeout: float = 2.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client on ``api_url`` (``PREFECT_API_URL``), with ``api_key`` (``PREFECT_API_KEY``,
    Prefect Cloud) as a bearer token that the logs never show."""
    headers = {"accept": "application/json"}
    if api_key:
        register_secret(api_key)
        headers["authorization"] = f"Bearer {api_key}"
    return httpx.AsyncClient(
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        headers=headers,
        transport=RetryBusy(transport or httpx.AsyncHTTPTransport()),
    )


# A busy Prefect server answers 503 (or 429/502) for a moment; Prefect's own client retries
# these, so a command that talks to the API without it must too.
BUSY = frozenset({429, 502, 503})


class RetryBusy(httpx.AsyncBaseTransport):
    """Retries a request the server was too busy to take, a few times with a short pause."""

    def __init__(self, inner: httpx.AsyncBaseTransport, attempts: int = 4) -> None:
        self.inner = inner
        self.attempts = attempts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for attempt in range(1, self.attempts + 1):
            response = await self.inner.handle_async_request(request)
            if response.status_code not in BUSY or attempt == self.attempts:
                return response
            await response.aclose()
            await asyncio.sleep(0.25 * 2**attempt)
        raise AssertionError("unreachable")  # the loop always returns

    async def aclose(self) -> None:
        await self.inner.aclose()


async def post(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await http.post(path, json=body)
    response.raise_for_status()
    return response.json() if response.content else None


def unreachable(base: str, exc: Exception) -> str:
    """One plain line for a server that did not answer as asked."""
    if isinstance(exc, httpx.HTTPStatusError):
        return redact(f"the Prefect API at {base} answered {exc.response.status_code}")
    return redact(f"the Prefect API at {base} did not answer ({type(exc).__name__})")

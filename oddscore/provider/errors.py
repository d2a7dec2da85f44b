"""The one boundary where httpx and provider failures become ``oddscore`` exceptions.

Every message names the endpoint *path*, the provider's ``error_code`` and its message, and
goes through :func:`oddscore.logs.redact`; never the URL, which carries the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from oddscore.clock import as_utc
from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    PlanRestrictedError,
    ProviderStatusError,
    ProviderTimeout,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from oddscore.logs import redact

__all__ = [
    "decode_json",
    "error_for_response",
    "map_transport_errors",
    "parse_retry_after",
    "validate_payload",
]

T = TypeVar("T")

# error_code decides first: OUT_OF_USAGE_CREDITS and a bad key are both 401.
_BY_ERROR_CODE: dict[str, type[ProviderStatusError]] = {
    "INVALID_KEY": AuthenticationError,
    "MISSING_KEY": AuthenticationError,
    "DEACTIVATED_KEY": AuthenticationError,
    "OUT_OF_USAGE_CREDITS": QuotaExhaustedError,
    "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN": PlanRestrictedError,
    "EXCEEDED_FREQ_LIMIT": RateLimitError,
    "UNKNOWN_SPORT": NotFoundError,
    "EVENT_NOT_FOUND": NotFoundError,
}
_MAX_MESSAGE = 300


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT by definition
            when = when.replace(tzinfo=as_utc(now).tzinfo)
        seconds = (when - as_utc(now)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _error_body(response: httpx.Response) -> tuple[str | None, str]:
    """(error_code, message) of an error response, whatever its body is."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        code = body.get("error_code")
        message = body.get("message")
        return (
            str(code) if code is not None else None,
            str(message) if message is not None else response.reason_phrase,
        )
    text = response.text.strip()
    return None, (text[:_MAX_MESSAGE] if text else response.reason_phrase)


def _class_for(status: int, error_code: str | None) -> type[ProviderStatusError]:
    if error_code in _BY_ERROR_CODE:
        return _BY_ERROR_CODE[error_code]
    if status in (401, 403):
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    # 408 is the server giving up on us: as transient as a 5xx (openai retries it too).
    if status >= 500 or status == 408:
        return ServerError
    if 400 <= status < 500:
        return InvalidRequestError
    return ProviderStatusError


def error_for_response(
    response: httpx.Response, *, endpoint: str, now: datetime
) -> ProviderStatusError | None:
    """The exception for an error response, or None when the status is a success."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    error_code, provider_message = _error_body(response)
    cls = _class_for(status, error_code)
    message = redact(
        f"{endpoint}: HTTP {status}{f' {error_code}' if error_code else ''}: {provider_message}"
    )
    if cls is RateLimitError:
        return RateLimitError(
            message,
            status_code=status,
            error_code=error_code,
            endpoint=endpoint,
            retry_after=parse_retry_after(response.headers.get("retry-after"), now=now),
        )
    return cls(message, status_code=status, error_code=error_code, endpoint=endpoint)


@contextmanager
def map_transport_errors(endpoint: str) -> Iterator[None]:
    """Turn httpx's request errors into ours; the cause stays attached with ``from``."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderTimeout(
            redact(f"{endpoint}: request timed out ({type(exc).__name__})"), endpoint=endpoint
        ) from exc
    except httpx.DecodingError as exc:
        raise MalformedResponseError(
            redact(f"{endpoint}: undecodable response body: {exc}"), endpoint=endpoint
        ) from exc
    except httpx.RequestError as exc:
        # ConnectError, ReadError, RemoteProtocolError, TooManyRedirects, ...
        raise TransportError(
            redact(f"{endpoint}: no response ({type(exc).__name__}: {exc})"), endpoint=endpoint
        ) from exc


def decode_json(response: httpx.Response, *, endpoint: str) -> Any:
    """The JSON body of a successful response, or :class:`MalformedResponseError`."""
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedResponseError(
            redact(f"{endpoint}: HTTP {response.status_code} body is not JSON ({exc})"),
            endpoint=endpoint,
        ) from exc


def validate_payload(adapter: TypeAdapter[T], payload: Any, *, endpoint: str) -> T:
    """Parse JSON into the typed models, or :class:`MalformedResponseError` naming the fields."""
    try:
        return adapter.validate_python(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        raise MalformedResponseError(
            redact(
                f"{endpoint}: response does not fit the schema ({exc.error_count()} errors: "
                f"{problems})"
            ),
            endpoint=endpoint,
        ) from exc

"""The one exception tree of ``oddscore``.

Everything ``oddscore`` raises on purpose derives from :class:`OddscoreError`, so a caller
(the CLI, a flow) can catch one class and print one line. Third-party errors (httpx,
SQLAlchemy, pydantic) are translated at the boundary where they occur, with ``raise ... from``
so the cause stays attached.

    OddscoreError
    ├── ConfigurationError          a setting is missing or invalid
    ├── ProviderError               anything about The Odds API
    │   ├── TransportError          no HTTP response (connection refused, reset)
    │   │   └── ProviderTimeout     the request timed out
    │   ├── MalformedResponseError  a response that is not JSON or does not fit the schema
    │   └── ProviderStatusError     an HTTP error status, with ``status_code`` and ``error_code``
    │       ├── AuthenticationError 401 bad, missing or deactivated key
    │       ├── QuotaExhaustedError 401 OUT_OF_USAGE_CREDITS
    │       ├── PlanRestrictedError 401/403 historical data on a free plan
    │       ├── NotFoundError       404 unknown sport or event
    │       ├── InvalidRequestError 422 invalid parameter
    │       ├── RateLimitError      429 frequency limit, with ``retry_after``
    │       └── ServerError         5xx
    ├── DataQualityError            a payload rejected by validation in strict mode
    ├── StorageError                the database failed or is unreachable
    ├── QueryError                  a read cannot be answered as asked (unknown event id ...)
    │   └── ParameterError          a malformed or unknown request parameter (web: 400)
    ├── PlanningError               a plan cannot run (budget, quota, bad plan file)
    ├── BacktestError               a backtest cannot run as asked
    ├── AnalyticsError              odds math without a sound answer (a solver that failed)
    └── UnreadableFileError         an input file that is not what it claims (a directory or
                                    device, over the size limit, a corrupt gzip)

``TRANSIENT_ERRORS`` lists the classes worth retrying; nothing else is ever retried.

Example::

    try:
        await client.get_odds("basketball_nba")
    except QuotaExhaustedError:
        ...  # stop collecting until the quota resets
    except OddscoreError as exc:
        log.error("fetch failed", error=str(exc))
"""

from __future__ import annotations

__all__ = [
    "TRANSIENT_ERRORS",
    "AnalyticsError",
    "AuthenticationError",
    "BacktestError",
    "ConfigurationError",
    "DataQualityError",
    "InvalidRequestError",
    "MalformedResponseError",
    "NotFoundError",
    "OddscoreError",
    "ParameterError",
    "PlanRestrictedError",
    "PlanningError",
    "ProviderError",
    "ProviderStatusError",
    "ProviderTimeout",
    "QueryError",
    "QuotaExhaustedError",
    "RateLimitError",
    "ServerError",
    "StorageError",
    "TransportError",
    "UnreadableFileError",
]


class OddscoreError(Exception):
    """Root of every error that ``oddscore`` raises on purpose."""


class ConfigurationError(OddscoreError):
    """A setting is missing or invalid."""


class ProviderError(OddscoreError):
    """A call to the odds provider failed.

    ``endpoint`` is the path that was called, never the full URL: the URL carries the key.
    ``credits_billed`` is what the answers of the failed call said they cost (a 200 whose body
    was cut short is billed), when the client saw any; None when it saw none.
    """

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.credits_billed: int | None = None


class TransportError(ProviderError):
    """No HTTP response arrived: the connection failed or was reset."""


class ProviderTimeout(TransportError):
    """The provider did not answer in time."""


class MalformedResponseError(ProviderError):
    """The response was not JSON, or its JSON does not fit the provider's schema."""


class ProviderStatusError(ProviderError):
    """The provider answered with an HTTP error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        error_code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.status_code = status_code
        self.error_code = error_code


class AuthenticationError(ProviderStatusError):
    """The API key is missing, unknown or deactivated (401)."""


class QuotaExhaustedError(ProviderStatusError):
    """The monthly credit quota is used up (401 ``OUT_OF_USAGE_CREDITS``)."""


class PlanRestrictedError(ProviderStatusError):
    """The plan does not include this data, e.g. historical odds on the free plan."""


class NotFoundError(ProviderStatusError):
    """Unknown sport, or an event that no longer exists (404)."""


class InvalidRequestError(ProviderStatusError):
    """A parameter was rejected (422); retrying the same request cannot succeed."""


class RateLimitError(ProviderStatusError):
    """Too many requests per second (429)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        error_code: str | None = None,
        endpoint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, error_code=error_code, endpoint=endpoint)
        self.retry_after = retry_after


class ServerError(ProviderStatusError):
    """The provider failed on its side (5xx)."""


class DataQualityError(OddscoreError):
    """A payload was rejected by validation (strict mode); nothing of it was stored."""

    def __init__(self, message: str, *, issues: list[str] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class StorageError(OddscoreError):
    """The database failed, refused the write, or cannot be reached."""


class QueryError(OddscoreError):
    """A read cannot be answered as asked: an unknown or ambiguous event id, a bad range."""


class ParameterError(QueryError):
    """A request parameter is malformed or names something unknown (a web page's 400)."""


class PlanningError(OddscoreError):
    """A plan cannot be made or run: over budget, over quota, or an invalid plan file."""


class BacktestError(OddscoreError):
    """A backtest cannot run as asked (unknown strategy, bad parameter, no data)."""


class AnalyticsError(OddscoreError):
    """Odds math that cannot give a sound answer: a staking optimizer that did not converge."""


class UnreadableFileError(OddscoreError):
    """An input file is not what its name claims: a directory, a device or pipe, larger than
    the size limit (or a gzip unpacking to more), a corrupt gzip."""


# Only these are worth another attempt; 401/404/422 would fail the same way and cost credits.
TRANSIENT_ERRORS: tuple[type[OddscoreError], ...] = (
    TransportError,
    RateLimitError,
    ServerError,
    MalformedResponseError,
)

"""The async client of The Odds API v4.

One :class:`OddsApiClient` owns one ``httpx.AsyncClient`` (injected, or created and closed
by it), one rate limiter shared by all its calls, and one retry policy. Each method returns
an :class:`~oddscore.provider.response.ApiResponse` holding the typed models, the raw JSON
and the fetch record (quota headers, request id, path, parameters without the key).

Example::

    async with OddsApiClient.from_settings() as client:
        response = await client.odds(
            "basketball_nba",
            markets=["h2h", "spreads", "totals"],
            bookmakers=["pinnacle", "draftkings"],
        )
        print(response.quota.remaining, len(response.data))

Configured books go out as ``bookmakers=`` (never ``regions=``): Pinnacle is only in the
``eu`` region, and ``bookmakers`` is billed one region per started group of 10 books.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote
from uuid import uuid4

import httpx
from pydantic import SecretStr, TypeAdapter
from tenacity import RetryCallState

from oddscore.clock import Clock, SystemClock, as_utc
from oddscore.config import ApiSettings
from oddscore.exceptions import (
    ConfigurationError,
    OddscoreError,
    ProviderError,
    ProviderStatusError,
)
from oddscore.logs import get_logger, guard_loggers, redact, register_secret
from oddscore.provider.costs import estimate_cost, is_empty, markets_returned, split_csv
from oddscore.provider.errors import (
    decode_json,
    error_for_response,
    map_transport_errors,
    validate_payload,
)
from oddscore.provider.models import (
    EventInfo,
    EventOdds,
    HistoricalResponse,
    ScoreEvent,
    Sport,
)
from oddscore.provider.ratelimit import RateLimiter
from oddscore.provider.response import ApiResponse, Quota, RawAnswer
from oddscore.provider.retry import RetryPolicy

__all__ = [
    "DEFAULT_BASE_URL",
    "OddsApiClient",
    "OddsFormat",
    "PreparedRequest",
    "format_datetime",
]

T = TypeVar("T")
OddsFormat = Literal["american", "decimal"]
Strings = str | Iterable[str]

DEFAULT_BASE_URL = "https://api.the-odds-api.com"
API_PREFIX = "/v4"

_SPORTS = TypeAdapter(list[Sport])
_EVENT_ODDS_LIST = TypeAdapter(list[EventOdds])
_EVENT_ODDS = TypeAdapter(EventOdds)
_EVENTS = TypeAdapter(list[EventInfo])
_SCORES = TypeAdapter(list[ScoreEvent])
_HISTORICAL_ODDS = TypeAdapter(HistoricalResponse[list[EventOdds]])
_HISTORICAL_EVENTS = TypeAdapter(HistoricalResponse[list[EventInfo]])
# What `data` holds when the event has no snapshot at `date` is undocumented: accept null.
_HISTORICAL_EVENT_ODDS = TypeAdapter(HistoricalResponse[EventOdds | None])

log = get_logger("oddscore.provider")


def format_datetime(value: datetime) -> str:
    """A datetime as the provider wants it: UTC, whole seconds, ``Z``; naive is refused.

    >>> from datetime import timezone, timedelta
    >>> eastern = timezone(timedelta(hours=-5))
    >>> format_datetime(datetime(2023, 11, 29, 17, 40, 39, 500, tzinfo=eastern))
    '2023-11-29T22:40:39Z'
    """
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One request as it will go out, without the key: ``endpoint`` is ``/v4/...``.

    ``adapter`` checks the answer's body; it is not part of what identifies the request.
    """

    endpoint: str
    params: dict[str, str]
    adapter: TypeAdapter[Any] = field(compare=False, repr=False)


def _segment(value: str) -> str:
    # A sport key or event id is one path segment; quoting stops "../" or "?" games.
    return quote(value, safe="")


class OddsApiClient:
    """Async client of every v4 endpoint the product uses; see the module docstring."""

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = 30.0,
        max_retries: int = 4,
        requests_per_second: float = 10.0,
        odds_format: OddsFormat = "american",
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        secret = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        if not secret.get_secret_value().strip():
            raise ConfigurationError("the Odds API key is empty")
        register_secret(secret.get_secret_value())
        if not base_url.startswith(("http://", "https://")):
            # Every request would fail the same way; retrying it as a network error wastes time.
            raise ConfigurationError(
                f"ODDS_API_BASE_URL must start with http:// or https://, got {base_url!r}"
            )
        guard_loggers("httpx", "httpcore")
        self._key = secret
        self._base_url = base_url.rstrip("/").removesuffix(API_PREFIX)
        self.odds_format: OddsFormat = odds_format
        self.clock: Clock = clock or SystemClock()
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds),
            headers={"accept": "application/json", "user-agent": "oddscore"},
            follow_redirects=False,
        )
        self.limiter = RateLimiter(requests_per_second, monotonic=monotonic, sleep=sleep)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries, sleep=sleep)
        # The provider's x-requests-used on the latest answer (free calls too): where the key's
        # counter stood before the next call, which the paid-call ledger notes with its claim.
        self.last_used: int | None = None

    @classmethod
    def from_settings(
        cls,
        settings: ApiSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> OddsApiClient:
        """Build the client from ``ApiSettings`` (the environment by default)."""
        settings = settings or ApiSettings()
        options: dict[str, Any] = {
            "base_url": settings.base_url,
            "timeout_seconds": settings.timeout_seconds,
            "max_retries": settings.max_retries,
            "requests_per_second": settings.requests_per_second,
            "odds_format": settings.odds_format,
            "transport": transport,
            "clock": clock,
        }
        options.update(overrides)
        return cls(settings.require_key(), **options)

    async def __aenter__(self) -> OddsApiClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it (an injected one is the caller's)."""
        if self._owns_http:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"OddsApiClient(base_url={self._base_url!r}, rate={self.limiter.rate}/s)"

    # -- endpoints ---------------------------------------------------------------------------

    async def sports(self, *, all: bool = False) -> ApiResponse[list[Sport]]:
        """``GET /v4/sports`` (free): in-season sports, or every sport with ``all=True``."""
        params = {"all": "true"} if all else {}
        return await self._get("/sports", params, _SPORTS)

    async def odds(
        self,
        sport: str,
        *,
        markets: Strings,
        bookmakers: Strings | None = None,
        regions: Strings | None = None,
        odds_format: OddsFormat | None = None,
        event_ids: Strings | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse[list[EventOdds]]:
        """``GET /v4/sports/{sport}/odds``: upcoming and live events with featured markets."""
        request = self.odds_request(
            sport,
            markets=markets,
            bookmakers=bookmakers,
            regions=regions,
            odds_format=odds_format,
            event_ids=event_ids,
            commence_time_from=commence_time_from,
            commence_time_to=commence_time_to,
        )
        return await self.fetch(request)

    def odds_request(
        self,
        sport: str,
        *,
        markets: Strings,
        bookmakers: Strings | None = None,
        regions: Strings | None = None,
        odds_format: OddsFormat | None = None,
        event_ids: Strings | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> PreparedRequest:
        """The request :meth:`odds` sends, not sent (a ledger keys the paid call by it)."""
        params = self._odds_params(markets, bookmakers, regions, odds_format)
        params.update(_filters(event_ids, commence_time_from, commence_time_to))
        return PreparedRequest(
            API_PREFIX + f"/sports/{_segment(sport)}/odds", params, _EVENT_ODDS_LIST
        )

    async def scores(
        self,
        sport: str,
        *,
        days_from: int | None = None,
        event_ids: Strings | None = None,
    ) -> ApiResponse[list[ScoreEvent]]:
        """``GET /v4/sports/{sport}/scores``: 1 credit, 2 with ``days_from`` (1-3)."""
        request = self.scores_request(sport, days_from=days_from, event_ids=event_ids)
        return await self.fetch(request)

    def scores_request(
        self,
        sport: str,
        *,
        days_from: int | None = None,
        event_ids: Strings | None = None,
    ) -> PreparedRequest:
        """The request :meth:`scores` sends, not sent."""
        params: dict[str, str] = {}
        if days_from is not None:
            params["daysFrom"] = str(days_from)
        params.update(_filters(event_ids, None, None))
        return PreparedRequest(API_PREFIX + f"/sports/{_segment(sport)}/scores", params, _SCORES)

    async def events(
        self,
        sport: str,
        *,
        event_ids: Strings | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse[list[EventInfo]]:
        """``GET /v4/sports/{sport}/events`` (free): upcoming and live events, no odds."""
        params = _filters(event_ids, commence_time_from, commence_time_to)
        return await self._get(f"/sports/{_segment(sport)}/events", params, _EVENTS)

    async def event_odds(
        self,
        sport: str,
        event_id: str,
        *,
        markets: Strings,
        bookmakers: Strings | None = None,
        regions: Strings | None = None,
        odds_format: OddsFormat | None = None,
    ) -> ApiResponse[EventOdds]:
        """``GET /v4/sports/{sport}/events/{id}/odds``: any market; billed on markets returned."""
        params = self._odds_params(markets, bookmakers, regions, odds_format)
        path = f"/sports/{_segment(sport)}/events/{_segment(event_id)}/odds"
        return await self._get(path, params, _EVENT_ODDS)

    async def historical_odds(
        self,
        sport: str,
        *,
        date: datetime,
        markets: Strings,
        bookmakers: Strings | None = None,
        regions: Strings | None = None,
        odds_format: OddsFormat | None = None,
        event_ids: Strings | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse[HistoricalResponse[list[EventOdds]]]:
        """``GET /v4/historical/sports/{sport}/odds``: the snapshot at or before ``date``."""
        params = self._odds_params(markets, bookmakers, regions, odds_format)
        params["date"] = format_datetime(date)
        params.update(_filters(event_ids, commence_time_from, commence_time_to))
        path = f"/historical/sports/{_segment(sport)}/odds"
        return await self._get(path, params, _HISTORICAL_ODDS)

    async def historical_events(
        self,
        sport: str,
        *,
        date: datetime,
        event_ids: Strings | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse[HistoricalResponse[list[EventInfo]]]:
        """``GET /v4/historical/sports/{sport}/events``: 1 credit, 0 when empty."""
        params = {"date": format_datetime(date)}
        params.update(_filters(event_ids, commence_time_from, commence_time_to))
        path = f"/historical/sports/{_segment(sport)}/events"
        return await self._get(path, params, _HISTORICAL_EVENTS)

    async def historical_event_odds(
        self,
        sport: str,
        event_id: str,
        *,
        date: datetime,
        markets: Strings,
        bookmakers: Strings | None = None,
        regions: Strings | None = None,
        odds_format: OddsFormat | None = None,
    ) -> ApiResponse[HistoricalResponse[EventOdds | None]]:
        """``GET /v4/historical/sports/{sport}/events/{id}/odds``: one event at ``date``."""
        params = self._odds_params(markets, bookmakers, regions, odds_format)
        params["date"] = format_datetime(date)
        path = f"/historical/sports/{_segment(sport)}/events/{_segment(event_id)}/odds"
        return await self._get(path, params, _HISTORICAL_EVENT_ODDS)

    # -- plumbing ----------------------------------------------------------------------------

    def _odds_params(
        self,
        markets: Strings,
        bookmakers: Strings | None,
        regions: Strings | None,
        odds_format: OddsFormat | None,
    ) -> dict[str, str]:
        params = {"markets": ",".join(split_csv(markets))}
        if not params["markets"]:
            raise ConfigurationError("an odds request needs at least one market")
        books = split_csv(bookmakers)
        if books:
            # bookmakers wins anyway; not sending regions keeps the billing unambiguous.
            params["bookmakers"] = ",".join(books)
        else:
            region_list = split_csv(regions)
            if not region_list:
                raise ConfigurationError("an odds request needs bookmakers or regions")
            params["regions"] = ",".join(region_list)
        params["oddsFormat"] = odds_format or self.odds_format
        return params

    async def _get(
        self, path: str, params: dict[str, str], adapter: TypeAdapter[T]
    ) -> ApiResponse[T]:
        return await self.fetch(PreparedRequest(API_PREFIX + path, params, adapter))

    async def fetch(self, request: PreparedRequest) -> ApiResponse[Any]:
        """Send ``request`` and check its body: :meth:`send` then :meth:`parse`."""
        return self.parse(request, await self.send(request))

    async def send(self, request: PreparedRequest) -> RawAnswer:
        """The HTTP exchange (rate limit, retries), the body decoded but not yet checked.

        The provider bills a call when it answers, so a caller that must never pay twice
        writes the answer down before :meth:`parse` (which may refuse it).
        """
        endpoint, params = request.endpoint, request.params
        request_id = uuid4().hex
        attempts = 0
        billed: list[int] = []  # what answers that could not be read were billed

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else None
            log.warning(
                "provider retry",
                endpoint=endpoint,
                request_id=request_id,
                attempt=state.attempt_number,
                error=type(error).__name__,
                wait_s=round(wait, 3) if wait is not None else None,
            )

        try:
            async for attempt in self.retry_policy.retrying(before_sleep):
                with attempt:
                    attempts += 1
                    response, payload, elapsed_ms = await self._attempt(
                        endpoint, params, request_id, attempts, billed
                    )
        except ProviderError as exc:
            exc.credits_billed = sum(billed) if billed else None
            raise
        return RawAnswer(
            endpoint=endpoint,
            params=dict(params),
            payload=payload,
            quota=Quota.from_headers(response.headers),
            request_id=request_id,
            status_code=response.status_code,
            fetched_at=as_utc(self.clock.now()),
            elapsed_ms=elapsed_ms,
            attempts=attempts,
            credits_before=sum(billed),
        )

    def parse(self, request: PreparedRequest, answer: RawAnswer) -> ApiResponse[Any]:
        """The typed response of ``answer`` (fresh, or one written down earlier)."""
        endpoint, quota = answer.endpoint, answer.quota
        try:
            data = validate_payload(request.adapter, answer.payload, endpoint=endpoint)
        except OddscoreError as exc:
            # A schema mismatch is deterministic: retrying would only spend credits again.
            log.warning(
                "provider request failed",
                endpoint=endpoint,
                status=answer.status_code,
                error=type(exc).__name__,
                message=redact(str(exc)),
                cost=quota.last,
                remaining=quota.remaining,
                elapsed_ms=round(answer.elapsed_ms, 1),
                attempt=answer.attempts,
                request_id=answer.request_id,
            )
            raise
        estimated = self._estimate(endpoint, answer.params, data)
        log.info(
            "provider request",
            endpoint=endpoint,
            status=answer.status_code,
            cost=quota.last,
            estimated_cost=estimated,
            remaining=quota.remaining,
            used=quota.used,
            elapsed_ms=round(answer.elapsed_ms, 1),
            attempts=answer.attempts,
            request_id=answer.request_id,
        )
        if quota.last is not None and estimated is not None and quota.last != estimated:
            log.warning(
                "provider cost differs from estimate",
                endpoint=endpoint,
                cost=quota.last,
                estimated_cost=estimated,
                request_id=answer.request_id,
            )
        return ApiResponse(
            data=data,
            raw=answer.payload,
            quota=quota,
            request_id=answer.request_id,
            endpoint=endpoint,
            params=dict(answer.params),
            status_code=answer.status_code,
            fetched_at=answer.fetched_at,
            elapsed_ms=answer.elapsed_ms,
            attempts=answer.attempts,
        )

    async def _attempt(
        self,
        endpoint: str,
        params: Mapping[str, str],
        request_id: str,
        attempt: int,
        billed: list[int],
    ) -> tuple[httpx.Response, Any, float]:
        await self.limiter.acquire()
        query = {**params, "apiKey": self._key.get_secret_value()}
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            with map_transport_errors(endpoint):
                response = await self._http.get(self._base_url + endpoint, params=query)
            elapsed_ms = (time.perf_counter() - started) * 1000
            used = Quota.from_headers(response.headers).used
            if used is not None:
                self.last_used = used
            error = error_for_response(response, endpoint=endpoint, now=self.clock.now())
            if error is not None:
                raise error
            payload = decode_json(response, endpoint=endpoint)
        except OddscoreError as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            if response is not None and response.is_success:
                # An answer arrived (a body cut short): the provider billed it.
                billed.append(Quota.from_headers(response.headers).last or 0)
            self._log_failure(endpoint, request_id, attempt, exc, response, elapsed_ms)
            raise
        return response, payload, elapsed_ms

    def _estimate(self, endpoint: str, params: Mapping[str, str], data: Any) -> int | None:
        try:
            inner = data.data if isinstance(data, HistoricalResponse) else data
            returned = markets_returned(inner) if isinstance(inner, EventOdds) else None
            return estimate_cost(
                endpoint, params, markets_in_response=returned, empty=is_empty(data)
            )
        except OddscoreError:
            return None

    @staticmethod
    def _log_failure(
        endpoint: str,
        request_id: str,
        attempt: int,
        exc: OddscoreError,
        response: httpx.Response | None,
        elapsed_ms: float,
    ) -> None:
        quota = Quota.from_headers(response.headers) if response is not None else Quota()
        log.warning(
            "provider request failed",
            endpoint=endpoint,
            status=response.status_code if response is not None else None,
            error=type(exc).__name__,
            error_code=exc.error_code if isinstance(exc, ProviderStatusError) else None,
            message=redact(str(exc)),
            cost=quota.last,
            remaining=quota.remaining,
            elapsed_ms=round(elapsed_ms, 1),
            attempt=attempt,
            request_id=request_id,
        )


def _filters(
    event_ids: Strings | None,
    commence_time_from: datetime | None,
    commence_time_to: datetime | None,
) -> dict[str, str]:
    params: dict[str, str] = {}
    ids = split_csv(event_ids)
    if ids:
        params["eventIds"] = ",".join(ids)
    if commence_time_from is not None:
        params["commenceTimeFrom"] = format_datetime(commence_time_from)
    if commence_time_to is not None:
        params["commenceTimeTo"] = format_datetime(commence_time_to)
    return params

"""The simulated The Odds API v4 as an ASGI app (Starlette): in-process or behind uvicorn.

Every request goes through the same gate, in this order: the key (``apiKey`` or
``api_key``; 401 ``MISSING_KEY`` / ``INVALID_KEY``), the frequency limit (429
``EXCEEDED_FREQ_LIMIT``), the endpoint itself (404/422 on bad input), then the credits
(401 ``OUT_OF_USAGE_CREDITS`` when the answer costs more than what is left; nothing is
charged then). Every answer past the key check carries the ``x-requests-*`` headers.

Example::

    app = create_app(api_key="test-key", seed=7, clock=FrozenClock(now))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        response = await http.get("/v4/sports/basketball_nba/odds", params=...)
    simulator_of(app).market.truth(event_id)   # the hidden truth, for checks
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from oddscore.clock import Clock, SystemClock
from oddscore.config import DEFAULT_BOOKMAKERS
from oddscore.simulator import historical, live
from oddscore.simulator.books import BookProfile
from oddscore.simulator.errors import ApiError
from oddscore.simulator.faults import FaultMiddleware, FaultPlan, parse_fault
from oddscore.simulator.market import SyntheticMarket
from oddscore.simulator.quota import DEFAULT_QUOTA, FrequencyLimiter, QuotaLedger
from oddscore.simulator.replay import ReplayArchive
from oddscore.simulator.service import Answer, Query, Simulator

__all__ = ["DEMO_API_KEY", "create_app", "resolve_api_key", "simulator_of"]

# The key `odds simulator serve` accepts when neither --api-key nor ODDS_API_KEY is set.
DEMO_API_KEY = "oddscore-demo-key"

Handler = Callable[[Simulator, Request, Query], Answer]


class _IgnoreTrailingSlash:
    """``/v4/sports/`` and ``/v4/sports`` are the same endpoint (the docs use both)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and len(path) > 1 and path.endswith("/"):
            stripped = path.rstrip("/") or "/"
            scope = {**scope, "path": stripped, "raw_path": stripped.encode()}
        await self.app(scope, receive, send)


def _error(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status_code, headers=headers)


def _authenticate(sim: Simulator, params: Query) -> None:
    key = params.get("apiKey", params.get("api_key"))
    if not key:
        raise ApiError("MISSING_KEY")
    if not hmac.compare_digest(key.encode(), sim.api_key.encode()):
        raise ApiError("INVALID_KEY")


def _endpoint(sim: Simulator, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def respond(request: Request) -> Response:
        params = request.query_params
        try:
            _authenticate(sim, params)
        except ApiError as exc:
            return _error(exc)  # no account behind the key: no quota headers
        if sim.limiter is not None and not sim.limiter.allow():
            headers = {**sim.ledger.headers(0), "Retry-After": "1"}
            return _error(ApiError("EXCEEDED_FREQ_LIMIT"), headers)
        try:
            answer = handler(sim, request, params)
        except ApiError as exc:
            return _error(exc, sim.ledger.headers(0))
        if not sim.ledger.can_afford(answer.cost):
            return _error(ApiError("OUT_OF_USAGE_CREDITS"), sim.ledger.headers(0))
        sim.ledger.charge(answer.cost)
        return JSONResponse(answer.body, headers=sim.ledger.headers(answer.cost))

    return respond


def _routes(sim: Simulator) -> list[Route]:
    def sport(request: Request) -> str:
        return str(request.path_params["sport"])

    def event(request: Request) -> str:
        return str(request.path_params["event_id"])

    table: list[tuple[str, Handler]] = [
        ("/v4/sports", lambda s, r, q: live.sports(s, q)),
        ("/v4/sports/{sport}/odds", lambda s, r, q: live.odds(s, sport(r), q)),
        ("/v4/sports/{sport}/scores", lambda s, r, q: live.scores(s, sport(r), q)),
        ("/v4/sports/{sport}/events", lambda s, r, q: live.events(s, sport(r), q)),
        (
            "/v4/sports/{sport}/events/{event_id}/odds",
            lambda s, r, q: live.event_odds(s, sport(r), event(r), q),
        ),
        (
            "/v4/historical/sports/{sport}/odds",
            lambda s, r, q: historical.historical_odds(s, sport(r), q),
        ),
        (
            "/v4/historical/sports/{sport}/events",
            lambda s, r, q: historical.historical_events(s, sport(r), q),
        ),
        (
            "/v4/historical/sports/{sport}/events/{event_id}/odds",
            lambda s, r, q: historical.historical_event_odds(s, sport(r), event(r), q),
        ),
    ]
    return [Route(path, _endpoint(sim, handler), methods=["GET"]) for path, handler in table]


# Outside /v4, so faults never apply to it; the key guards it like the API.
FAULTS_PATH = "/simulator/faults"


def _fault_control(sim: Simulator, plan: FaultPlan) -> Callable[[Request], Awaitable[Response]]:
    """``POST /simulator/faults?apiKey=K`` with a rule (``KIND[:ARG][xTIMES][@PATH]``) as
    the body adds it to the running simulator's plan (a test holds an answer this way)."""

    async def control(request: Request) -> Response:
        try:
            _authenticate(sim, request.query_params)
        except ApiError as exc:
            return _error(exc)
        spec = (await request.body()).decode(errors="replace").strip()
        try:
            fault = parse_fault(spec)
        except ValueError as exc:
            return JSONResponse({"message": str(exc)}, status_code=422)
        plan.add(fault)
        return JSONResponse({"added": spec, "rules": len(plan.faults)})

    return control


def create_app(
    *,
    api_key: str,
    seed: int = 0,
    quota: int = DEFAULT_QUOTA,
    clock: Clock | None = None,
    replay_dir: Path | None = None,
    bookmakers: Iterable[str | BookProfile] = tuple(DEFAULT_BOOKMAKERS),
    requests_per_second_limit: int | None = 30,
    historical_enabled: bool = True,
    faults: FaultPlan | None = None,
) -> Starlette:
    """A simulated The Odds API v4.

    ``clock`` drives the synthetic market (the demo passes a ``FrozenClock`` it moves);
    ``replay_dir`` makes the historical endpoints serve a recorded archive instead;
    ``requests_per_second_limit=None`` turns the frequency limit off (bulk backfill tests);
    ``historical_enabled=False`` answers historical calls like a free plan does;
    ``faults`` injects failures (``oddscore.simulator.faults``; keep the plan to change them).
    """
    sim = Simulator(
        api_key=api_key,
        market=SyntheticMarket(seed=seed, bookmakers=bookmakers),
        clock=clock or SystemClock(),
        ledger=QuotaLedger(quota),
        limiter=None
        if requests_per_second_limit is None
        else FrequencyLimiter(requests_per_second_limit),
        replay=None if replay_dir is None else ReplayArchive(replay_dir),
        historical_enabled=historical_enabled,
    )
    app = Starlette(routes=_routes(sim))
    app.add_middleware(_IgnoreTrailingSlash)
    if faults is not None:
        faults.ledger = sim.ledger
        app.add_middleware(FaultMiddleware, plan=faults)
        app.add_route(FAULTS_PATH, _fault_control(sim, faults), methods=["POST"])
    app.state.simulator = sim
    app.state.faults = faults
    return app


def resolve_api_key(explicit: str | None = None) -> tuple[str, str]:
    """The key to accept and where it came from: ``explicit``, else ODDS_API_KEY, else demo."""
    from oddscore.config import get_settings

    if explicit:
        return explicit, "--api-key"
    configured = get_settings().api.key
    if configured is not None:
        return configured.get_secret_value(), "ODDS_API_KEY"
    return DEMO_API_KEY, "the demo key (DEMO_API_KEY in oddscore.simulator)"


def simulator_of(app: Starlette) -> Simulator:
    """The state behind an app made by :func:`create_app` (market, ledger, clock)."""
    sim = app.state.simulator
    assert isinstance(sim, Simulator)
    return sim

"""The read-only odds screen: Starlette routes over the query and analytics layer.

Every page has a JSON twin under ``/api`` that answers what the matching ``odds ... --json``
command prints (the same library function builds both). Pages are rendered on the server with
Jinja2 (autoescaped); there is no script at all, the board refreshes with a meta refresh.

Errors never show a traceback: a bad parameter is a 400 naming it, an unknown event or result
a 404, an unreachable database a 503, anything else a 500 with a generic line (the details go
to the server log). Every message passes through :func:`oddscore.logs.redact`, and the API key
and database password are registered as secrets, so neither can appear in an answer.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from oddscore.analytics.arbitrage import DEFAULT_COMMISSION
from oddscore.analytics.devig import DevigMethod
from oddscore.clock import Clock, SystemClock
from oddscore.config import DEFAULT_BOOKMAKERS, Settings, get_settings
from oddscore.exceptions import OddscoreError, ParameterError, QueryError, StorageError
from oddscore.jsonable import to_jsonable
from oddscore.logs import get_logger, redact, register_secret
from oddscore.storage.engine import Database
from oddscore.web import params, views

__all__ = ["WebConfig", "create_app"]

log = get_logger(__name__)
# pyplot keeps global state: one chart is drawn at a time.
_CHART_LOCK = threading.Lock()


@dataclass(frozen=True)
class WebConfig:
    """What the app reads: settings (database, sharp books), its clock, saved results."""

    settings: Settings
    clock: Clock
    results_dir: Path | None = None
    refresh_seconds: int = 60

    @property
    def sharp_books(self) -> list[str]:
        return list(self.settings.collection.sharp_bookmakers)

    @property
    def known_books(self) -> set[str]:
        c = self.settings.collection
        return {
            *DEFAULT_BOOKMAKERS,
            *c.bookmakers,
            *c.sharp_bookmakers,
            *DEFAULT_COMMISSION,
            *self.settings.betting.commission,
        }


def _protect_secrets(settings: Settings) -> None:
    if settings.api.key is not None:
        register_secret(settings.api.key.get_secret_value())
    try:
        register_secret(make_url(settings.database.url).password)
    except Exception:  # noqa: BLE001  (an unparsable URL has no password to hide)
        pass


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("oddscore.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(views.FILTERS)
    return env


Handler = Callable[[Request], Awaitable[Response]]


async def png(draw: Callable[[Path], Path]) -> Response:
    """A chart of the existing chart code (which writes PNG files) as a response, drawn off
    the event loop."""

    def render() -> bytes:
        with _CHART_LOCK, tempfile.TemporaryDirectory(prefix="odds-web-") as folder:
            return draw(Path(folder) / "chart.png").read_bytes()

    return Response(
        await asyncio.to_thread(render),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


def create_app(config: WebConfig | None = None, *, database: Database | None = None) -> Starlette:
    """The app; ``database`` (else one from the settings) is disposed when the app stops
    only if the app created it."""
    config = config or WebConfig(get_settings(), SystemClock())
    _protect_secrets(config.settings)
    env = _env()
    state: dict[str, Database] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        own = database is None
        state["db"] = database or Database.from_settings(config.settings.database)
        try:
            yield
        finally:
            if own:
                await state["db"].dispose()

    @asynccontextmanager
    async def session() -> AsyncIterator[AsyncSession]:
        db = state.get("db")
        if db is None:  # served without the lifespan (a bare ASGI call)
            db = state["db"] = database or Database.from_settings(config.settings.database)
        async with db.session() as s:
            yield s

    def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(**context)
        return HTMLResponse(redact(html), status_code=status_code)

    def answer(value: Any) -> Response:
        body = json.dumps(to_jsonable(value), indent=2)
        return Response(redact(body), media_type="application/json")

    def now_or_at(request: Request) -> datetime:
        return params.when(request.query_params, config.clock)

    # -- the board -------------------------------------------------------------------------

    async def board_data(request: Request) -> tuple[datetime, list[Any], dict[str, Any]]:
        from oddscore.screens.opportunities import screen_boards

        q = request.query_params
        at = now_or_at(request)
        markets = params.markets(q)
        books = params.books(q, config.known_books)
        day = params.day(q)
        hours = params.number(q, "hours", 36.0, 0.5, 24.0 * 14)
        async with session() as s:
            boards = await screen_boards(
                s,
                at,
                hours=hours,
                day=day,
                markets=markets,
                bookmakers=books,
                sharp_books=config.sharp_books,
            )
        form = {
            "at": q.get("at", ""),
            "date": q.get("date", ""),
            "hours": f"{hours:g}",
            "markets": markets,
            "books": books or [],
        }
        return at, boards, form

    async def board(request: Request) -> Response:
        at, boards, form = await board_data(request)
        return page(
            "board.html",
            title="Board",
            at=at,
            games=[views.game_grid(b, config.sharp_books) for b in boards],
            form=form,
            all_markets=views.MARKETS,
            all_books=sorted(config.known_books),
            refresh=config.refresh_seconds if not form["at"] else 0,
        )

    async def board_api(request: Request) -> Response:
        from oddscore.screens.opportunities import board_payload

        at, boards, _form = await board_data(request)
        return answer(board_payload(at, boards))

    # -- one game --------------------------------------------------------------------------

    async def game_best(request: Request) -> Any:
        from oddscore.queries.best import best_prices
        from oddscore.queries.board import load_board

        event = params.event_id(request.path_params["event"])
        at = (
            params.when(request.query_params, config.clock)
            if request.query_params.get("at")
            else None
        )
        async with session() as s:
            found = await load_board(s, event, at, clock=config.clock)
        return found, best_prices(found.quotes)

    async def game(request: Request) -> Response:
        from oddscore.queries.coverage import tier_coverage
        from oddscore.queries.lines import closing_lines, line_movement

        found, best = await game_best(request)
        event = found.event
        async with session() as s:
            points = await line_movement(s, event.id)
            closing = await closing_lines(s, [event.id])
            coverage = await tier_coverage(s, event_ids=[event.id])
        return page(
            "game.html",
            title=f"{event.away_team} @ {event.home_team}",
            event=event,
            as_of=found.as_of,
            grid=views.single_grid(found, best, config.sharp_books),
            opening=views.opening_lines(points, event),
            closing=[c for c in closing if c.is_final],
            tiers=coverage[0] if coverage else None,
            has_points=bool(points),
        )

    async def game_api(request: Request) -> Response:
        found, best = await game_best(request)
        # What `odds best EVENT --json` prints.
        return answer(
            {"event": asdict(found.event), "as_of": found.as_of, "best": [asdict(p) for p in best]}
        )

    async def game_lines(request: Request) -> tuple[Any, list[Any]]:
        from oddscore.queries.events import get_event, resolve_event_id
        from oddscore.queries.lines import line_movement

        event = params.event_id(request.path_params["event"])
        async with session() as s:
            found = await get_event(s, await resolve_event_id(s, event))
            return found, await line_movement(s, found.id)

    async def game_lines_api(request: Request) -> Response:
        found, points = await game_lines(request)
        # What `odds lines EVENT --json` prints.
        return answer(
            {
                "event": asdict(found),
                "points": [
                    {**asdict(p), "in_play": p.odds_timestamp >= found.commence_time}
                    for p in points
                ],
                "plot": None,
            }
        )

    async def game_chart(request: Request) -> Response:
        from oddscore.queries.plot import plot_line_movement

        found, points = await game_lines(request)

        return await png(
            lambda path: plot_line_movement(points, found, path, sharp_books=config.sharp_books)
        )

    # -- EV and arbitrage ------------------------------------------------------------------

    async def ev_data(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        from oddscore.screens.opportunities import ev_list, ev_payload

        q = request.query_params
        at, boards, form = await board_data(request)
        min_ev = params.number(q, "min_ev", 0.0, -1.0, 10.0)
        bankroll = params.number(q, "bankroll", 1000.0, 0.0, 1e12)
        kelly = params.number(q, "kelly", 0.25, 0.0, 1.0)
        bets = ev_list(
            boards, sharp_books=config.sharp_books, min_ev=min_ev, bankroll=bankroll, kelly=kelly
        )
        form.update(min_ev=f"{min_ev:g}", bankroll=f"{bankroll:g}", kelly=f"{kelly:g}")
        return ev_payload(at, config.sharp_books, DevigMethod.MULTIPLICATIVE, bets), form

    async def ev(request: Request) -> Response:
        data, form = await ev_data(request)
        return page(
            "ev.html",
            title="EV",
            data=data,
            form=form,
            all_markets=views.MARKETS,
            all_books=sorted(config.known_books),
        )

    async def ev_api(request: Request) -> Response:
        return answer((await ev_data(request))[0])

    async def arbs_data(request: Request) -> tuple[dict[str, Any], dict[str, Any]]:
        from oddscore.screens.opportunities import (
            arbitrage_list,
            arbitrage_payload,
            rules_from_settings,
        )

        at, boards, form = await board_data(request)
        outlay = params.number(request.query_params, "outlay", 100.0, 0.0, 1e12)
        rules = rules_from_settings(config.settings.betting)
        form.update(outlay=f"{outlay:g}")
        return arbitrage_payload(at, rules, arbitrage_list(boards, rules, outlay)), form

    async def arbs(request: Request) -> Response:
        data, form = await arbs_data(request)
        return page(
            "arbs.html",
            title="Arbitrage",
            data=data,
            form=form,
            all_markets=views.MARKETS,
            all_books=sorted(config.known_books),
        )

    async def arbs_api(request: Request) -> Response:
        return answer((await arbs_data(request))[0])

    # -- saved backtests -------------------------------------------------------------------

    def result_files() -> dict[str, Path]:
        folder = config.results_dir
        if folder is None or not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.glob("*.json")) if p.is_file()}

    def load_result(request: Request) -> Any:
        from oddscore.backtest.results import BacktestResult

        files = result_files()
        name = params.result_name(request.path_params["name"], files)
        try:
            return BacktestResult.load(files[name])
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise ParameterError(
                f"{name} is not a backtest result: {str(exc).splitlines()[0]}"
            ) from None

    async def results(_request: Request) -> Response:
        return page(
            "results.html",
            title="Backtests",
            folder=config.results_dir,
            files=list(result_files()),
        )

    async def result(request: Request) -> Response:
        loaded = load_result(request)
        return page(
            "result.html",
            title=f"Backtest {request.path_params['name']}",
            name=request.path_params["name"],
            result=loaded,
            summary=loaded.summary.model_dump(by_alias=True),
        )

    async def result_api(request: Request) -> Response:
        # What `odds backtest show FILE --json` prints.
        return answer(load_result(request).summary.model_dump(by_alias=True))

    async def result_chart(request: Request) -> Response:
        from oddscore.charts.equity import save_equity_comparison

        loaded = load_result(request)

        return await png(lambda path: save_equity_comparison([loaded], path))

    async def result_clv(request: Request) -> Response:
        from oddscore.charts.clv import save_clv_distribution

        loaded = load_result(request)
        return await png(lambda path: save_clv_distribution([loaded], path))

    # -- collection health -----------------------------------------------------------------

    async def health_data(request: Request) -> dict[str, Any]:
        from oddscore.queries.overview import health_page, overview_payload

        async with session() as s:
            overview, next_runs, chains = await health_page(
                s,
                now_or_at(request),
                database=redact(config.settings.database.url),
                verbose=True,
                plan_quota=config.settings.api.quota,
            )
        return overview_payload(overview, next_runs, verbose=True, chains=chains)

    async def health(request: Request) -> Response:
        from oddscore.ingestion.report import validation_report

        data = await health_data(request)
        report = await validation_report(state["db"]) if "db" in state else None
        return page(
            "health.html",
            title="Collection health",
            data=data,
            by_type=report.by_type if report else [],
        )

    async def health_api(request: Request) -> Response:
        # What `odds status show --verbose --json --at TIME` prints.
        return answer(await health_data(request))

    # -- errors ----------------------------------------------------------------------------

    def failure(request: Request, status: int, message: str) -> Response:
        message = redact(message)
        if request.url.path.startswith("/api/"):
            return Response(
                json.dumps({"error": message, "status": status}),
                status_code=status,
                media_type="application/json",
            )
        return page(
            "error.html",
            status_code=status,
            title=f"Error {status}",
            status=status,
            message=message,
        )

    def guarded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except ParameterError as exc:
                return failure(request, 400, str(exc))
            except QueryError as exc:
                return failure(request, 404, str(exc))
            except StorageError as exc:
                log.warning("web: storage error", error=redact(str(exc)))
                return failure(request, 503, "the database cannot be read right now")
            except OddscoreError as exc:
                return failure(request, 400, str(exc))
            except Exception as exc:  # noqa: BLE001  (a page never shows a traceback)
                log.exception(
                    "web: unexpected error", path=request.url.path, error=redact(repr(exc))
                )
                return failure(request, 500, "internal error; the server log has the details")

        return wrapper

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        text = "no such page" if status == 404 else "not allowed: this server is read-only"
        return failure(request, status, text)

    async def home(_request: Request) -> Response:
        return RedirectResponse("/board")

    routes = [
        Route("/", home),
        Route("/board", guarded(board)),
        Route("/api/board", guarded(board_api)),
        Route("/game/{event}", guarded(game)),
        Route("/game/{event}/lines.png", guarded(game_chart)),
        Route("/api/game/{event}", guarded(game_api)),
        Route("/api/game/{event}/lines", guarded(game_lines_api)),
        Route("/ev", guarded(ev)),
        Route("/api/ev", guarded(ev_api)),
        Route("/arbitrage", guarded(arbs)),
        Route("/api/arbitrage", guarded(arbs_api)),
        Route("/health", guarded(health)),
        Route("/api/health", guarded(health_api)),
        Route("/results", guarded(results)),
        Route("/results/{name}", guarded(result)),
        Route("/results/{name}/equity.png", guarded(result_chart)),
        Route("/results/{name}/clv.png", guarded(result_clv)),
        Route("/api/results/{name}", guarded(result_api)),
        Mount("/static", StaticFiles(packages=[("oddscore.web", "static")]), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_found},
    )

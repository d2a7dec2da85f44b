"""The live endpoints: ``/sports``, ``/odds``, ``/scores``, ``/events``, ``/events/{id}/odds``.

They always serve the synthetic market at ``clock.now()`` (also in replay mode: a recorded
archive has no "now"). Pre-match odds only: an event leaves ``/odds`` at its scheduled tip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from oddscore.provider.costs import event_odds_cost, odds_cost, scores_cost
from oddscore.simulator.catalog import SPORTS
from oddscore.simulator.errors import ApiError, invalid
from oddscore.simulator.market import LISTING_HORIZON, Game, SyntheticMarket
from oddscore.simulator.params import (
    OddsQuery,
    check_flags,
    parse_date_format,
    parse_days_from,
    parse_event_filter,
    parse_event_id,
    parse_odds_query,
)
from oddscore.simulator.render import JSON, event_json, odds_event_json, score_event_json
from oddscore.simulator.service import Answer, Query, Simulator, markets_of

__all__ = ["event_odds", "events", "odds", "odds_snapshot", "scores", "sports"]

_UPCOMING_LIMIT = 8  # sport=upcoming: live games plus the next 8


def sports(_sim: Simulator, params: Query) -> Answer:
    show_all = params.get("all", "false").lower()
    if show_all not in ("true", "false"):
        raise invalid("INVALID_ALL_SPORTS_PARAM", "all", params["all"])
    listed = [s.as_json() for s in SPORTS if s.active or show_all == "true"]
    return Answer(listed)


def _in_start_order(
    markets: Sequence[SyntheticMarket], games_of: Callable[[SyntheticMarket], list[Game]]
) -> list[tuple[SyntheticMarket, Game]]:
    """Each market's games, merged in commence-time order when there are several sports."""
    found = [(market, game) for market in markets for game in games_of(market)]
    if len(markets) > 1:
        found.sort(key=lambda pair: (pair[1].commence_time, pair[1].id))
    return found


def odds_snapshot(markets: Sequence[SyntheticMarket], query: OddsQuery, at: datetime) -> list[JSON]:
    """The ``/odds`` data as the markets stood at ``at`` (live or historical)."""
    data: list[JSON] = []
    for market, game in _in_start_order(markets, lambda m: m.upcoming(at)):
        if not query.events.accepts(game.id, game.commence_time):
            continue
        body = odds_event_json(game, market.state(game, at), market.quotes(game, at), query)
        if body["bookmakers"]:
            data.append(body)
    return data


def odds(sim: Simulator, sport: str, params: Query) -> Answer:
    markets = markets_of(sim, sport, allow_upcoming=True)
    query = parse_odds_query(params, featured_only=True, extra_books=sim.market.book_keys)
    data = odds_snapshot(markets, query, sim.clock.now())
    if sport == "upcoming":
        data = data[:_UPCOMING_LIMIT]
    cost = odds_cost(
        markets=query.markets,
        regions=query.regions,
        bookmakers=query.bookmakers,
        empty=not data,
    )
    return Answer(data, cost)


def events(sim: Simulator, sport: str, params: Query) -> Answer:
    markets = markets_of(sim, sport, allow_upcoming=True)
    date_format = parse_date_format(params)
    selection = parse_event_filter(params)
    check_flags(params)
    now = sim.clock.now()
    data = [
        event_json(g, market.state(g, now), date_format)
        for market, g in _in_start_order(markets, lambda m: m.listed(now))
        if selection.accepts(g.id, g.commence_time)
    ]
    return Answer(data)


def scores(sim: Simulator, sport: str, params: Query) -> Answer:
    days_from = parse_days_from(params)
    date_format = parse_date_format(params)
    selection = parse_event_filter(params)
    now = sim.clock.now()
    data: list[JSON] = []
    for market in markets_of(sim, sport):
        games = market.listed(now)
        if days_from is not None:
            games = market.completed(now, now - timedelta(days=days_from)) + games
        data = [
            score_event_json(g, market.state(g, now), date_format)
            for g in sorted(games, key=lambda g: (g.commence_time, g.id))
            if selection.accepts(g.id, g.commence_time)
        ]
    return Answer(data, scores_cost(days_from=days_from, empty=not data))


def event_odds(sim: Simulator, sport: str, event_id: str, params: Query) -> Answer:
    markets = markets_of(sim, sport)
    parse_event_id(event_id)
    query = parse_odds_query(params, featured_only=False, extra_books=sim.market.book_keys)
    now = sim.clock.now()
    market = markets[0] if markets else None
    game = market.game(event_id) if market is not None else None
    # Finished games are gone, and games beyond the listing horizon are not listed yet.
    if (
        market is None
        or game is None
        or game.end_time <= now
        or game.commence_time > now + LISTING_HORIZON
    ):
        raise ApiError("EVENT_NOT_FOUND")
    quotes = market.quotes(game, now)
    body = odds_event_json(game, market.state(game, now), quotes, query, book_last_update=False)
    returned = {m["key"] for book in body["bookmakers"] for m in book["markets"]}
    cost = 0
    if returned:
        cost = event_odds_cost(
            markets=sorted(returned), regions=query.regions, bookmakers=query.bookmakers
        )
    return Answer(body, cost)

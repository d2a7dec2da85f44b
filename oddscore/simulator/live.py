"""The live endpoints: ``/sports``, ``/odds``, ``/scores``, ``/events``, ``/events/{id}/odds``.

They always serve the synthetic market at ``clock.now()`` (also in replay mode: a recorded
archive has no "now"). Pre-match odds only: an event leaves ``/odds`` at its scheduled tip.
"""

from __future__ import annotations

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
from oddscore.simulator.service import Answer, Query, Simulator, check_sport

__all__ = ["event_odds", "events", "odds", "odds_snapshot", "scores", "sports"]

_UPCOMING_LIMIT = 8  # sport=upcoming: live games plus the next 8


def sports(_sim: Simulator, params: Query) -> Answer:
    show_all = params.get("all", "false").lower()
    if show_all not in ("true", "false"):
        raise invalid("INVALID_ALL_SPORTS_PARAM", "all", params["all"])
    listed = [s.as_json() for s in SPORTS if s.active or show_all == "true"]
    return Answer(listed)


def odds_snapshot(market: SyntheticMarket, query: OddsQuery, at: datetime) -> list[JSON]:
    """The ``/odds`` data as the market stood at ``at`` (live or historical)."""
    data: list[JSON] = []
    for game in market.upcoming(at):
        if not query.events.accepts(game.id, game.commence_time):
            continue
        body = odds_event_json(game, market.state(game, at), market.quotes(game, at), query)
        if body["bookmakers"]:
            data.append(body)
    return data


def odds(sim: Simulator, sport: str, params: Query) -> Answer:
    has_market = check_sport(sport, allow_upcoming=True)
    query = parse_odds_query(params, featured_only=True, extra_books=sim.market.book_keys)
    data = odds_snapshot(sim.market, query, sim.clock.now()) if has_market else []
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
    has_market = check_sport(sport, allow_upcoming=True)
    date_format = parse_date_format(params)
    selection = parse_event_filter(params)
    check_flags(params)
    now = sim.clock.now()
    games = sim.market.listed(now) if has_market else []
    data = [
        event_json(g, state, date_format)
        for g in games
        if selection.accepts(g.id, g.commence_time)
        for state in (sim.market.state(g, now),)
    ]
    return Answer(data)


def scores(sim: Simulator, sport: str, params: Query) -> Answer:
    has_market = check_sport(sport)
    days_from = parse_days_from(params)
    date_format = parse_date_format(params)
    selection = parse_event_filter(params)
    now = sim.clock.now()
    games: list[Game] = []
    if has_market:
        games = sim.market.listed(now)
        if days_from is not None:
            games = sim.market.completed(now, now - timedelta(days=days_from)) + games
    data = [
        score_event_json(g, sim.market.state(g, now), date_format)
        for g in sorted(games, key=lambda g: (g.commence_time, g.id))
        if selection.accepts(g.id, g.commence_time)
    ]
    return Answer(data, scores_cost(days_from=days_from, empty=not data))


def event_odds(sim: Simulator, sport: str, event_id: str, params: Query) -> Answer:
    has_market = check_sport(sport)
    parse_event_id(event_id)
    query = parse_odds_query(params, featured_only=False, extra_books=sim.market.book_keys)
    now = sim.clock.now()
    game = sim.market.game(event_id) if has_market else None
    # Finished games are gone, and games beyond the listing horizon are not listed yet.
    if game is None or game.end_time <= now or game.commence_time > now + LISTING_HORIZON:
        raise ApiError("EVENT_NOT_FOUND")
    quotes = sim.market.quotes(game, now)
    body = odds_event_json(game, sim.market.state(game, now), quotes, query, book_last_update=False)
    returned = {m["key"] for book in body["bookmakers"] for m in book["markets"]}
    cost = 0
    if returned:
        cost = event_odds_cost(
            markets=sorted(returned), regions=query.regions, bookmakers=query.bookmakers
        )
    return Answer(body, cost)

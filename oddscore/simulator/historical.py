"""The historical endpoints, from the synthetic market or from a recorded archive.

Synthetic: snapshots every 5 minutes up to ``clock.now()``, each equal to what the live
endpoint answered at that instant. Replay: the latest recorded file at or before ``date``;
before the first recorded snapshot the answer is ``data: []`` (free) with ``timestamp`` set
to the requested date and ``next_timestamp`` to the first snapshot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oddscore.clock import parse_timestamp
from oddscore.provider.costs import event_odds_cost, historical_events_cost, odds_cost
from oddscore.simulator.errors import ApiError
from oddscore.simulator.live import odds_snapshot
from oddscore.simulator.market import LISTING_HORIZON
from oddscore.simulator.params import (
    DateFormat,
    EventFilter,
    OddsQuery,
    check_flags,
    parse_date_format,
    parse_event_filter,
    parse_event_id,
    parse_historical_date,
    parse_odds_query,
)
from oddscore.simulator.render import (
    JSON,
    event_json,
    historical_envelope,
    odds_event_json,
    reformat_event,
)
from oddscore.simulator.replay import RecordedSnapshot, ReplayArchive, SnapshotKind
from oddscore.simulator.service import Answer, Query, Simulator, markets_of

__all__ = ["historical_event_odds", "historical_events", "historical_odds"]


def _guard(sim: Simulator) -> None:
    if not sim.historical_enabled:
        raise ApiError(
            "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN",
            "Historical odds are only available on paid usage plans. "
            "See usage plans at https://the-odds-api.com",
        )


def _recorded(
    archive: ReplayArchive, kind: SnapshotKind, date: datetime
) -> tuple[RecordedSnapshot | None, datetime, datetime | None, datetime | None]:
    """The snapshot serving ``date`` and the envelope's (timestamp, previous, next)."""
    snapshot = archive.snapshot_at(kind, date)
    if snapshot is None:
        return None, date, None, archive.first_timestamp(kind)
    return snapshot, snapshot.timestamp, snapshot.previous_timestamp, snapshot.next_timestamp


def _envelope(
    times: tuple[datetime, datetime | None, datetime | None], data: Any, fmt: DateFormat
) -> JSON:
    timestamp, previous, following = times
    return historical_envelope(timestamp, previous, following, data, fmt)


def _replayed_odds(archive: ReplayArchive, sport: str, query: OddsQuery, date: datetime) -> Any:
    snapshot, timestamp, previous, following = _recorded(archive, "odds", date)
    events = archive.events(snapshot) if snapshot is not None else []
    data = [
        reformat_event(
            event,
            wants_book=query.wants_book,
            markets=query.markets,
            odds_format=query.odds_format,
            date_format=query.date_format,
        )
        for event in events
        if event.get("sport_key") == sport and _selected(query.events, event)
    ]
    return (timestamp, previous, following), data


def _selected(selection: EventFilter, event: JSON) -> bool:
    return selection.accepts(str(event.get("id")), parse_timestamp(event["commence_time"]))


def historical_odds(sim: Simulator, sport: str, params: Query) -> Answer:
    _guard(sim)
    markets = markets_of(sim, sport)
    query = parse_odds_query(params, featured_only=True, extra_books=sim.market.book_keys)
    date = parse_historical_date(params)
    if sim.replay is not None:
        times, data = _replayed_odds(sim.replay, sport, query, date)
    else:
        previous, timestamp, following = sim.market.snapshot_times(date, sim.clock.now())
        times = (timestamp, previous, following)
        data = odds_snapshot(markets, query, timestamp)
    cost = odds_cost(
        markets=query.markets,
        regions=query.regions,
        bookmakers=query.bookmakers,
        historical=True,
        empty=not data,
    )
    return Answer(_envelope(times, data, query.date_format), cost)


def historical_events(sim: Simulator, sport: str, params: Query) -> Answer:
    _guard(sim)
    markets = markets_of(sim, sport)
    date = parse_historical_date(params)
    date_format = parse_date_format(params)
    selection = parse_event_filter(params)
    check_flags(params)
    data: list[JSON]
    if sim.replay is not None:
        snapshot, timestamp, previous, following = _recorded(sim.replay, "events", date)
        data = [
            reformat_event(
                event,
                wants_book=None,
                markets=None,
                odds_format="decimal",
                date_format=date_format,
            )
            for event in (sim.replay.events(snapshot) if snapshot is not None else [])
            if event.get("sport_key") == sport and _selected(selection, event)
        ]
    else:
        previous, timestamp, following = sim.market.snapshot_times(date, sim.clock.now())
        data = [
            event_json(g, market.state(g, timestamp), date_format)
            for market in markets
            for g in market.listed(timestamp)
            if selection.accepts(g.id, g.commence_time)
        ]
    cost = historical_events_cost(empty=not data)
    return Answer(_envelope((timestamp, previous, following), data, date_format), cost)


def historical_event_odds(sim: Simulator, sport: str, event_id: str, params: Query) -> Answer:
    _guard(sim)
    markets = markets_of(sim, sport)
    parse_event_id(event_id)
    query = parse_odds_query(params, featured_only=False, extra_books=sim.market.book_keys)
    date = parse_historical_date(params)
    body: JSON
    if sim.replay is not None:
        snapshot, timestamp, previous, following = _recorded(sim.replay, "odds", date)
        events = sim.replay.events(snapshot) if snapshot is not None else []
        event = next((e for e in events if e.get("id") == event_id), None)
        if event is None or event.get("sport_key") != sport:
            raise ApiError("EVENT_NOT_FOUND")
        body = reformat_event(
            event,
            wants_book=query.wants_book,
            markets=query.markets,
            odds_format=query.odds_format,
            date_format=query.date_format,
        )
    else:
        previous, timestamp, following = sim.market.snapshot_times(date, sim.clock.now())
        market = markets[0] if markets else None
        game = market.game(event_id) if market is not None else None
        if (
            market is None
            or game is None
            or game.end_time <= timestamp
            or game.commence_time > timestamp + LISTING_HORIZON
        ):
            raise ApiError("EVENT_NOT_FOUND")
        quotes = market.quotes(game, timestamp)
        body = odds_event_json(game, market.state(game, timestamp), quotes, query)
    returned = sorted({m["key"] for book in body.get("bookmakers", []) for m in book["markets"]})
    cost = 0
    if returned:
        cost = event_odds_cost(
            markets=returned, regions=query.regions, bookmakers=query.bookmakers, historical=True
        )
    envelope = _envelope((timestamp, previous, following), body, query.date_format)
    return Answer(envelope, cost)

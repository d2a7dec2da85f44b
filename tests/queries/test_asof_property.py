"""Property: an as-of read never returns a quote observed after the as-of time, and returns
exactly the latest eligible quotes (checked against a plain-Python reference), with and
without the book/market filters that switch the query to its index-probe plan."""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oddscore.queries.asof import odds_as_of, odds_before_tip
from oddscore.storage import Database
from tests.queries.factories import T0, Q, add_events, add_quotes, event_id, make_event

BOOKS = ["pinnacle", "draftkings", "fanduel"]
KEYS = [("h2h", "Home"), ("h2h", "Away"), ("totals", "Over")]
_counter = itertools.count(1000)

quote_sets = st.dictionaries(
    keys=st.tuples(
        st.sampled_from(BOOKS),
        st.sampled_from(KEYS),
        st.integers(min_value=-48, max_value=12),  # quote time, in 15-minute steps from T0
    ),
    values=st.sampled_from([-250, -120, -110, 100, 105, 150, 320]),
    max_size=25,
)
book_filters = st.one_of(st.none(), st.lists(st.sampled_from(BOOKS), min_size=1, unique=True))
market_filters = st.one_of(st.none(), st.lists(st.sampled_from(["h2h", "totals"]), unique=True))
offsets = st.integers(min_value=-48 * 15 * 60, max_value=12 * 15 * 60)  # as-of, in seconds


def _reference(quotes: list[Q], at, staleness):
    """Per (book, market): the newest observation in the window; all its outcomes."""
    newest: dict[tuple[str, str], object] = {}
    for q in quotes:
        if at - staleness <= q.at <= at:
            key = (q.book, q.market)
            newest[key] = max(newest.get(key, q.at), q.at)
    return {
        (q.book, q.market, q.outcome): (q.price, q.at)
        for q in quotes
        if newest.get((q.book, q.market)) == q.at
    }


def _quotes(drawn: dict) -> list[Q]:
    return [
        Q(book, market, outcome, price, at=T0 + timedelta(minutes=15 * step))
        for (book, (market, outcome), step), price in drawn.items()
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    drawn=quote_sets,
    offset=offsets,
    on_a_quote=st.booleans(),
    staleness_hours=st.sampled_from([None, 1, 3, 24]),
    books=book_filters,
    markets=market_filters,
)
async def test_as_of_never_looks_ahead(
    db: Database,
    drawn: dict,
    offset: int,
    on_a_quote: bool,
    staleness_hours: int | None,
    books: list[str] | None,
    markets: list[str] | None,
) -> None:
    n = next(_counter)  # a fresh event per example: no cleanup between examples
    quotes = _quotes(drawn)
    at = T0 + timedelta(seconds=offset)
    if on_a_quote and quotes:
        at = quotes[offset % len(quotes)].at  # exactly on an observation time
    staleness = None if staleness_hours is None else timedelta(hours=staleness_hours)
    await add_events(db, [make_event(n)])
    await add_quotes(db, event_id(n), quotes)

    async with db.session() as session:
        got = await odds_as_of(
            session, event_id(n), at, max_staleness=staleness, bookmakers=books, markets=markets
        )

    assert all(q.odds_timestamp <= at for q in got)
    wanted = [
        q
        for q in quotes
        if (books is None or q.book in books) and (markets is None or q.market in markets)
    ]
    expected = _reference(wanted, at, staleness or timedelta(days=10_000))
    assert {
        (q.bookmaker_key, q.market_key, q.outcome_name): (q.price, q.odds_timestamp) for q in got
    } == expected


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(quote_sets, min_size=1, max_size=4),
    lead_minutes=st.sampled_from([0, 15, 60, 90, 300]),
    probe=st.booleans(),
)
async def test_season_load_never_looks_ahead(
    db: Database, events: list[dict], lead_minutes: int, probe: bool
) -> None:
    # Each event starts a day after the previous one; its quotes are relative to its tip.
    base = next(_counter) * 100
    lead = timedelta(minutes=lead_minutes)
    stored: dict[str, list[Q]] = {}
    shift = timedelta(days=0)
    start = T0 + timedelta(days=3650 * (base // 100 - 999))  # a private window per example
    for i, drawn in enumerate(events):
        shift = timedelta(days=i)
        tip = start + shift
        eid = event_id(base + i)
        quotes = [
            Q(q.book, q.market, q.outcome, q.price, at=tip + (q.at - T0)) for q in _quotes(drawn)
        ]
        await add_events(db, [make_event(base + i, commence=tip)])
        await add_quotes(db, eid, quotes)
        stored[eid] = quotes

    async with db.session() as session:
        got = await odds_before_tip(
            session,
            start,
            start + shift + timedelta(seconds=1),
            lead=lead,
            bookmakers=BOOKS if probe else None,
            markets=["h2h", "totals"] if probe else None,
        )

    for q in got:
        assert q.odds_timestamp <= q.as_of
    for i, (eid, quotes) in enumerate(stored.items()):
        decision = start + timedelta(days=i) - lead
        expected = _reference(quotes, decision, timedelta(hours=24))
        mine = {
            (q.bookmaker_key, q.market_key, q.outcome_name): (q.price, q.odds_timestamp)
            for q in got
            if q.event_id == eid
        }
        assert mine == expected
        assert all(q.as_of == decision for q in got if q.event_id == eid)

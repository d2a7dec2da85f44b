"""As-of reads against a hand-built board whose right answers are known."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oddscore.queries.asof import (
    odds_as_of,
    odds_as_of_many,
    odds_before_tip,
    odds_before_tip_frame,
    quotes_frame,
)
from oddscore.storage import Database
from tests.queries.factories import AWAY, HOME, T0, Q, add_events, add_quotes, event_id, make_event

H = timedelta(hours=1)
E1 = event_id(1)
E2 = event_id(2)


@pytest.fixture
async def board(db: Database) -> Database:
    """Two events; DraftKings moves its h2h line over time, FanDuel quotes once, early."""
    await add_events(db, [make_event(1), make_event(2, commence=T0 + timedelta(days=1))])
    await add_quotes(
        db,
        E1,
        [
            Q("draftkings", "h2h", HOME, -150, at=T0 - 5 * H),
            Q("draftkings", "h2h", AWAY, 130, at=T0 - 5 * H),
            Q("draftkings", "h2h", HOME, -160, at=T0 - 2 * H),
            Q("draftkings", "h2h", AWAY, 140, at=T0 - 2 * H),
            Q("draftkings", "h2h", HOME, -170, at=T0 - H),
            Q("draftkings", "h2h", AWAY, 150, at=T0 - H),
            Q("draftkings", "spreads", HOME, -110, -4.5, at=T0 - 2 * H),
            Q("draftkings", "spreads", AWAY, -110, 4.5, at=T0 - 2 * H),
            Q("fanduel", "h2h", HOME, -155, at=T0 - 30 * H),
            Q("fanduel", "h2h", AWAY, 135, at=T0 - 30 * H),
            # In-play: after tip-off.
            Q("draftkings", "h2h", HOME, -400, at=T0 + H),
            Q("draftkings", "h2h", AWAY, 300, at=T0 + H),
        ],
    )
    await add_quotes(
        db,
        E2,
        [
            Q("draftkings", "h2h", HOME, 120, at=T0 + timedelta(days=1) - 3 * H),
            Q("draftkings", "h2h", AWAY, -140, at=T0 + timedelta(days=1) - 3 * H),
            Q(
                "draftkings",
                "h2h",
                HOME,
                125,
                at=T0 + timedelta(days=1) - 30 * timedelta(minutes=1),
            ),
            Q(
                "draftkings",
                "h2h",
                AWAY,
                -145,
                at=T0 + timedelta(days=1) - 30 * timedelta(minutes=1),
            ),
        ],
    )
    return db


def _prices(quotes: list) -> dict[tuple[str, str, str], int]:
    return {(q.bookmaker_key, q.market_key, q.outcome_name): q.price for q in quotes}


async def test_quote_at_exactly_the_as_of_time_is_included(board: Database) -> None:
    async with board.session() as session:
        at_move = await odds_as_of(session, E1, T0 - H)
        just_before = await odds_as_of(session, E1, T0 - H - timedelta(microseconds=1))
    assert _prices(at_move)[("draftkings", "h2h", HOME)] == -170
    assert _prices(just_before)[("draftkings", "h2h", HOME)] == -160


async def test_latest_eligible_quote_per_key_and_never_a_later_one(board: Database) -> None:
    async with board.session() as session:
        quotes = await odds_as_of(session, E1, T0 - 90 * timedelta(minutes=1))
    assert _prices(quotes) == {
        ("draftkings", "h2h", HOME): -160,
        ("draftkings", "h2h", AWAY): 140,
        ("draftkings", "spreads", HOME): -110,
        ("draftkings", "spreads", AWAY): -110,
    }
    assert all(q.odds_timestamp <= q.as_of for q in quotes)
    assert {q.point for q in quotes if q.market_key == "spreads"} == {-4.5, 4.5}


async def test_staleness_cuts_off_old_quotes(board: Database) -> None:
    at = T0 - H
    async with board.session() as session:
        day = await odds_as_of(session, E1, at, max_staleness=timedelta(hours=29))
        exact = await odds_as_of(
            session, E1, at, max_staleness=timedelta(hours=29) - timedelta(seconds=1)
        )
        unlimited = await odds_as_of(session, E1, at, max_staleness=None)
    assert ("fanduel", "h2h", HOME) in _prices(day)  # 29 h old, limit 29 h: still eligible
    assert ("fanduel", "h2h", HOME) not in _prices(exact)
    assert ("fanduel", "h2h", HOME) in _prices(unlimited)


async def test_book_and_market_filters(board: Database) -> None:
    async with board.session() as session:
        quotes = await odds_as_of(
            session, E1, T0, max_staleness=None, bookmakers=["fanduel"], markets=["h2h"]
        )
    assert _prices(quotes) == {("fanduel", "h2h", HOME): -155, ("fanduel", "h2h", AWAY): 135}


async def test_before_tip_loads_every_event_at_its_own_decision_time(board: Database) -> None:
    async with board.session() as session:
        quotes = await odds_before_tip(
            session, T0 - timedelta(days=1), T0 + timedelta(days=2), lead=H
        )
    by_event: dict[str, dict] = {}
    for q in quotes:
        by_event.setdefault(q.event_id, {})[(q.bookmaker_key, q.market_key, q.outcome_name)] = (
            q.price
        )
    # Event 1 at T0-1h: DraftKings' quote at exactly T0-1h counts; in-play never does.
    assert by_event[E1][("draftkings", "h2h", HOME)] == -170
    # FanDuel's only quote is 29 h older than the decision: stale under the default 24 h.
    assert ("fanduel", "h2h", HOME) not in by_event[E1]
    # Event 2 at its own T-1h: the 30-minute quote is later, so the 3-hour one stands.
    assert by_event[E2] == {("draftkings", "h2h", HOME): 120, ("draftkings", "h2h", AWAY): -140}
    assert {q.as_of for q in quotes if q.event_id == E2} == {T0 + timedelta(days=1) - H}


async def test_before_tip_range_is_half_open_and_lead_is_exact(board: Database) -> None:
    async with board.session() as session:
        only_first = await odds_before_tip(session, T0, T0 + timedelta(days=1), lead=H)
        two_hours = await odds_before_tip(session, T0, T0 + timedelta(hours=1), lead=2 * H)
    assert {q.event_id for q in only_first} == {E1}
    assert _prices(two_hours)[("draftkings", "h2h", HOME)] == -160


async def test_many_explicit_targets_in_one_statement(board: Database) -> None:
    async with board.session() as session:
        quotes = await odds_as_of_many(
            session, [(E1, T0 - 2 * H), (E1, T0 - H), (E2, T0)], markets=["h2h"]
        )
        probed = await odds_as_of_many(
            session,
            [(E1, T0 - 2 * H), (E1, T0 - H), (E2, T0)],
            markets=["h2h"],
            bookmakers=["draftkings", "fanduel"],
        )
    got = {(q.event_id, q.as_of, q.bookmaker_key, q.outcome_name): q.price for q in quotes}
    assert got[(E1, T0 - 2 * H, "draftkings", HOME)] == -160
    assert got[(E1, T0 - H, "draftkings", HOME)] == -170
    assert not any(k[0] == E2 for k in got)  # E2 was first quoted after T0
    assert sorted(quotes, key=repr) == sorted(probed, key=repr)  # both plans agree


async def test_invalid_rows_are_dropped_not_replaced_by_older_prices(db: Database) -> None:
    await add_events(db, [make_event(1)])
    await add_quotes(
        db,
        E1,
        [
            Q("draftkings", "h2h", HOME, -150, at=T0 - 2 * H),
            Q("draftkings", "h2h", HOME, -9999, at=T0 - H, valid=False),
        ],
    )
    async with db.session() as session:
        valid = await odds_as_of(session, E1, T0)
        everything = await odds_as_of(session, E1, T0, valid_only=False)
    # The -150 is no longer the book's price at T0, so it must not stand in for the bad row.
    assert valid == []
    assert [q.price for q in everything] == [-9999]


async def test_outcomes_come_from_one_snapshot_of_the_market(db: Database) -> None:
    await add_events(db, [make_event(1)])
    await add_quotes(
        db,
        E1,
        [
            Q("draftkings", "spreads", HOME, -110, -4.5, at=T0 - 2 * H),
            Q("draftkings", "spreads", AWAY, -110, 4.5, at=T0 - 2 * H),
            # A partial later snapshot: only the home side, at a new point.
            Q("draftkings", "spreads", HOME, -105, -5.5, at=T0 - H),
        ],
    )
    for markets in (None, ["spreads"]):  # both query plans
        async with db.session() as session:
            quotes = await odds_as_of(
                session,
                E1,
                T0,
                bookmakers=None if markets is None else ["draftkings"],
                markets=markets,
            )
        assert [(q.outcome_name, q.point) for q in quotes] == [(HOME, -5.5)]


async def test_frame_has_utc_timestamps(board: Database) -> None:
    async with board.session() as session:
        frame = quotes_frame(await odds_as_of(session, E1, T0 - H))
        season = await odds_before_tip_frame(
            session, T0 - timedelta(days=1), T0 + timedelta(days=2), lead=H
        )
    assert sorted(season["event_id"].unique()) == [E1, E2]
    assert (season["odds_timestamp"] <= season["as_of"]).all()
    assert len(frame) == 4
    assert str(frame["odds_timestamp"].dt.tz) == "UTC"
    assert (frame["odds_timestamp"] <= frame["as_of"]).all()


async def test_many_targets_split_into_bounded_statements(
    board: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import oddscore.queries.asof as asof

    pairs = [(E1, T0 - 2 * H), (E1, T0 - H), (E2, T0 + timedelta(days=1))]
    async with board.session() as session:
        whole = await odds_as_of_many(session, pairs)
        monkeypatch.setattr(asof, "_PAIRS_PER_STATEMENT", 2)
        split = await odds_as_of_many(session, pairs)
    assert sorted(whole, key=repr) == sorted(split, key=repr)
    assert {q.event_id for q in split} == {E1, E2}

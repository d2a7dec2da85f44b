"""Line movement, closing lines, best prices, events, tier coverage and the book comparison
on hand-built data whose right answers are known."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oddscore.exceptions import QueryError
from oddscore.queries.best import best_prices, best_prices_as_of
from oddscore.queries.compare import compare_books
from oddscore.queries.coverage import tier_coverage
from oddscore.queries.events import get_event, list_events, resolve_event_id
from oddscore.queries.lines import closing_lines, line_movement, lines_frame
from oddscore.storage import Database
from tests.queries.factories import AWAY, HOME, T0, Q, add_events, add_quotes, event_id, make_event

H = timedelta(hours=1)
E1 = event_id(1)


@pytest.fixture
async def game(db: Database) -> Database:
    await add_events(
        db,
        [
            make_event(1),
            make_event(2, commence=T0 + timedelta(days=1), home="Boston Celtics", away=HOME),
            make_event(
                3,
                commence=T0 - timedelta(days=2),
                home="Los Angeles Clippers",
                away="Miami Heat",
                status="final",
                home_score=101,
                away_score=99,
            ),
        ],
    )
    await add_quotes(
        db,
        E1,
        [
            # DraftKings moves its spread from -4.5 to -5.5 before tip.
            Q("draftkings", "spreads", HOME, -110, -4.5, at=T0 - 3 * H),
            Q("draftkings", "spreads", AWAY, -110, 4.5, at=T0 - 3 * H),
            Q("draftkings", "spreads", HOME, -108, -5.5, at=T0 - H),
            Q("draftkings", "spreads", AWAY, -112, 5.5, at=T0 - H),
            # FanDuel stays at -4.5 with a better price for the home side.
            Q("fanduel", "spreads", HOME, -105, -4.5, at=T0 - H),
            Q("fanduel", "spreads", AWAY, -115, 4.5, at=T0 - H),
            Q("pinnacle", "h2h", HOME, -200, at=T0 - H),
            Q("pinnacle", "h2h", AWAY, 175, at=T0 - H),
            Q("fanduel", "h2h", HOME, -190, at=T0 - H),
            Q("fanduel", "h2h", AWAY, 175, at=T0 - H),
            # In-play, at and after tip-off: never a closing line.
            Q("draftkings", "spreads", HOME, -300, -5.5, at=T0),
            Q("draftkings", "spreads", AWAY, 220, 5.5, at=T0),
            Q("fanduel", "h2h", HOME, -900, at=T0 + H),
            Q("fanduel", "h2h", AWAY, 600, at=T0 + H),
        ],
        tiers={T0 - 3 * H: "closing", T0 - H: "closing"},
    )
    await add_quotes(
        db,
        event_id(2),
        [Q("draftkings", "h2h", "Boston Celtics", -150, at=T0 - 30 * H)],
        tiers={T0 - 30 * H: "early"},
    )
    return db


async def test_closing_line_excludes_in_play_and_keeps_each_point(game: Database) -> None:
    async with game.session() as session:
        closing = await closing_lines(session, [E1])
    got = {
        (c.bookmaker_key, c.market_key, c.outcome_name, c.point): (c.price, c.is_final)
        for c in closing
    }
    assert got == {
        ("draftkings", "spreads", HOME, -4.5): (-110, False),
        ("draftkings", "spreads", AWAY, 4.5): (-110, False),
        ("draftkings", "spreads", HOME, -5.5): (-108, True),  # not the in-play -300 at T0
        ("draftkings", "spreads", AWAY, 5.5): (-112, True),
        ("fanduel", "spreads", HOME, -4.5): (-105, True),
        ("fanduel", "spreads", AWAY, 4.5): (-115, True),
        ("pinnacle", "h2h", HOME, None): (-200, True),
        ("pinnacle", "h2h", AWAY, None): (175, True),
        ("fanduel", "h2h", HOME, None): (-190, True),
        ("fanduel", "h2h", AWAY, None): (175, True),
    }
    assert all(c.odds_timestamp < c.commence_time for c in closing)


async def test_best_line_never_compares_different_points(game: Database) -> None:
    async with game.session() as session:
        best = await best_prices_as_of(session, E1, T0 - H, markets=["spreads"])
    got = {(b.outcome_name, b.point): (b.price, b.bookmakers, b.books_quoting) for b in best}
    # -105 at -4.5 beats -110 at -4.5 only; the -108 at -5.5 is a different bet.
    assert got == {
        (HOME, -4.5): (-105, ("fanduel",), 1),
        (AWAY, 4.5): (-115, ("fanduel",), 1),
        (HOME, -5.5): (-108, ("draftkings",), 1),
        (AWAY, 5.5): (-112, ("draftkings",), 1),
    }


async def test_best_h2h_by_name_and_ties_list_every_book(game: Database) -> None:
    async with game.session() as session:
        best = await best_prices_as_of(session, E1, T0 - H, markets=["h2h"])
    got = {b.outcome_name: (b.price, b.bookmakers, b.books_quoting) for b in best}
    assert got == {
        HOME: (-190, ("fanduel",), 2),
        AWAY: (175, ("fanduel", "pinnacle"), 2),
    }


def test_best_prices_compare_across_the_sign_of_american_odds() -> None:
    from oddscore.queries.types import Quote

    quotes = [
        Quote(E1, T0, book, "h2h", HOME, None, None, price, T0, None)
        for book, price in (("a", -105), ("b", 100), ("c", -110))
    ]
    (best,) = best_prices(quotes)
    assert (best.price, best.bookmakers) == (100, ("b",))


async def test_line_movement_in_time_order_and_pregame_filter(game: Database) -> None:
    async with game.session() as session:
        series = await line_movement(session, E1, bookmakers=["draftkings"], markets=["spreads"])
        pregame = await line_movement(
            session, E1, bookmakers=["draftkings"], markets=["spreads"], pregame_only=True
        )
    home = [(p.point, p.price) for p in series if p.outcome_name == HOME]
    assert home == [(-4.5, -110), (-5.5, -108), (-5.5, -300)]
    assert [(p.point, p.price) for p in pregame if p.outcome_name == HOME] == home[:2]
    frame = lines_frame(series)
    assert frame["odds_timestamp"].is_monotonic_increasing is False  # two outcomes interleave
    assert list(frame.columns)[:3] == ["bookmaker_key", "market_key", "outcome_name"]


async def test_events_by_range_team_and_status(game: Database) -> None:
    async with game.session() as session:
        upcoming = await list_events(session, start=T0 - H, end=T0 + timedelta(days=3))
        nuggets = await list_events(session, team="nuggets")
        den = await list_events(session, team="DEN")
        clippers = await list_events(session, team="LA Clippers")
        final = await list_events(session, statuses=["final"])
    assert [e.id for e in upcoming] == [E1, event_id(2)]
    assert [e.id for e in nuggets] == [E1, event_id(2)]  # home in one, away in the other
    assert [e.id for e in den] == [E1, event_id(2)]
    assert [e.id for e in clippers] == [event_id(3)]
    assert [(e.id, e.home_score, e.away_score) for e in final] == [(event_id(3), 101, 99)]


async def test_event_id_prefixes(game: Database) -> None:
    await add_events(game, [make_event(0xABC1 << 112)])
    async with game.session() as session:
        assert await resolve_event_id(session, "abc") == "abc1" + "0" * 28
        assert await resolve_event_id(session, " ABC1 ") == "abc1" + "0" * 28
        assert await resolve_event_id(session, E1.upper()) == E1
        with pytest.raises(QueryError, match="ambiguous"):
            await resolve_event_id(session, "0000")
        with pytest.raises(QueryError, match="no event"):
            await resolve_event_id(session, "ffff")
        with pytest.raises(QueryError, match="no event id starts"):
            await resolve_event_id(session, "%")
        assert (await get_event(session, E1)).home_team == HOME


async def test_tier_coverage_lists_missing_tiers(game: Database) -> None:
    async with game.session() as session:
        coverage = {c.event_id: c for c in await tier_coverage(session)}
    assert coverage[E1].snapshots == {"closing": 2, "untiered": 2}
    assert coverage[event_id(2)].snapshots == {"early": 1}
    assert "closing" in coverage[event_id(2)].missing
    assert coverage[event_id(3)].snapshots == {}
    assert set(coverage[event_id(3)].missing) == {
        "opening",
        "early",
        "sharp",
        "pregame",
        "closing",
    }


async def test_tier_coverage_of_one_sport_carries_its_key(game: Database) -> None:
    mlb = make_event(
        9, commence=T0 + timedelta(days=3), home="New York Yankees", away="Boston Red Sox"
    )
    mlb.sport_key, mlb.sport_title = "baseball_mlb", "MLB"
    await add_events(game, [mlb])
    async with game.session() as session:
        everything = await tier_coverage(session)
        baseball = await tier_coverage(session, sport_key="baseball_mlb")
        hockey = await tier_coverage(session, sport_key="icehockey_nhl")
    assert {c.sport_key for c in everything} == {"basketball_nba", "baseball_mlb"}
    assert [(c.event_id, c.sport_key) for c in baseball] == [(event_id(9), "baseball_mlb")]
    assert baseball[0].missing == ("opening", "early", "sharp", "pregame", "closing")
    assert hockey == []


async def test_bookmaker_comparison_frame(game: Database) -> None:
    async with game.session() as session:
        frame = await compare_books(session, E1, T0 - H, markets=["h2h"], sharp_books=["pinnacle"])
    pin = frame[(frame.bookmaker_key == "pinnacle") & (frame.outcome_name == HOME)].iloc[0]
    assert pin.implied == pytest.approx(200 / 300)
    assert pin.booksum == pytest.approx(200 / 300 + 100 / 275)
    assert pin.fair == pytest.approx((200 / 300) / (200 / 300 + 100 / 275))
    assert bool(pin.sharp) and not bool(pin.best)
    best_away = frame[(frame.outcome_name == AWAY) & frame.best]
    assert sorted(best_away.bookmaker_key) == ["fanduel", "pinnacle"]
    sums = frame.groupby("bookmaker_key")["fair"].sum()
    assert sums.to_dict() == pytest.approx({"fanduel": 1.0, "pinnacle": 1.0})

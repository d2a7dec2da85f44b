"""The synthetic market: deterministic, driven only by the clock, and honest about its truth."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

import httpx

from oddscore.clock import FrozenClock
from oddscore.simulator import SyntheticMarket, create_app, simulator_of
from oddscore.simulator.catalog import NBA_TEAMS
from oddscore.simulator.market import BookQuote, Game
from tests.simulator.conftest import NBA, NOW, TEST_KEY, Api, odds_params


async def _odds_body(seed: int, at: datetime) -> object:
    app = create_app(api_key=TEST_KEY, seed=seed, clock=FrozenClock(at))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        return (await Api(http).get(f"{NBA}/odds", **odds_params())).json()


async def test_same_seed_and_time_give_the_same_answer_and_seeds_differ() -> None:
    first = await _odds_body(7, NOW)
    assert first == await _odds_body(7, NOW)
    assert first != await _odds_body(8, NOW)


async def test_answers_depend_only_on_the_clock_not_on_history(
    api: Api, clock: FrozenClock
) -> None:
    # Move one app's clock around (and ask it things on the way); a fresh app at the
    # final instant must answer the same.
    for hours in (30, -50, 5):
        clock.advance(timedelta(hours=hours))
        await api.get(f"{NBA}/odds", **odds_params())
    moved = (await api.get(f"{NBA}/odds", **odds_params())).json()
    assert moved == await _odds_body(7, clock.now())


def test_schedule_uses_the_30_teams_once_per_night() -> None:
    market = SyntheticMarket(seed=3)
    seen: set[str] = set()
    for day in range(20):
        games = market.games_on((NOW + timedelta(days=day)).date())
        teams = [t for g in games for t in (g.home_team, g.away_team)]
        assert len(teams) == len(set(teams)) and 8 <= len(teams) <= 24
        seen.update(teams)
        assert all(g.commence_time.hour in (23, 0, 1, 2, 3) for g in games)
    assert seen == set(NBA_TEAMS)


def test_truth_is_exposed_and_results_follow_it() -> None:
    market = SyntheticMarket(seed=11)
    games = market.games_between(NOW - timedelta(days=400), NOW)
    assert len(games) > 2_500
    truths = [market.truth(g.id) for g in games]
    assert truths[0] == games[0].truth and truths[0].event_id == games[0].id
    # The home side wins about as often as the truth says, with no ties.
    expected = statistics.fmean(t.home_win_prob for t in truths)
    observed = statistics.fmean(t.home_won for t in truths)
    assert abs(expected - observed) < 0.03
    assert all(t.home_score != t.away_score for t in truths)
    margins = [t.home_score - t.away_score - t.expected_margin for t in truths]
    assert abs(statistics.fmean(margins)) < 0.8 and 10.5 < statistics.stdev(margins) < 13.5
    totals = [t.home_score + t.away_score - t.expected_total for t in truths]
    assert abs(statistics.fmean(totals)) < 1.5
    # Favourites win more often: the truth carries information.
    favourites = [t for t in truths if t.home_win_prob > 0.7]
    assert statistics.fmean(t.home_won for t in favourites) > 0.65


def _no_vig_home(quote: BookQuote) -> float:
    home, away = quote.h2h
    return home / (home + away)


def _errors(market: SyntheticMarket, games: list[Game], hours_before: float, book: str) -> float:
    profile = next(b for b in market.books if b.key == book)
    errors = []
    for game in games:
        quote = market.quote(game, profile, game.commence_time - timedelta(hours=hours_before))
        assert quote is not None
        errors.append(abs(_no_vig_home(quote) - game.truth.home_win_prob))
    return statistics.fmean(errors)


def test_lines_converge_to_the_truth_and_pinnacle_is_sharpest() -> None:
    market = SyntheticMarket(seed=5)
    games = market.games_between(NOW - timedelta(days=60), NOW)
    pinnacle_open = _errors(market, games, 60, "pinnacle")
    pinnacle_close = _errors(market, games, 0.1, "pinnacle")
    assert pinnacle_close < 0.6 * pinnacle_open
    for retail in ("draftkings", "fanduel", "betmgm", "betrivers", "bovada"):
        assert pinnacle_close < _errors(market, games, 0.1, retail)
    # Retail margins are wider than Pinnacle's.
    game = games[0]
    at = game.commence_time - timedelta(hours=1)
    overround = {q.book.key: sum(q.h2h) - 1 for q in market.quotes(game, at)}
    assert overround["pinnacle"] < 0.03 < overround["draftkings"] < 0.06


def test_retail_books_move_later_than_pinnacle() -> None:
    market = SyntheticMarket(seed=5)
    game = market.games_between(NOW, NOW + timedelta(days=1))[0]
    by_key = {b.key: b for b in market.books}
    at = game.commence_time - timedelta(hours=2)
    pinnacle = market.quote(game, by_key["pinnacle"], at)
    betrivers = market.quote(game, by_key["betrivers"], at)
    assert pinnacle is not None and betrivers is not None
    assert at - pinnacle.last_update < timedelta(minutes=5)
    assert pinnacle.last_update > betrivers.last_update
    # A quote holds between updates: same object until the book's next update.
    assert market.quote(game, by_key["betrivers"], betrivers.last_update) == betrivers


async def test_events_leave_odds_at_tip_off_and_scores_follow(api: Api, clock: FrozenClock) -> None:
    first = (await api.get(f"{NBA}/odds", **odds_params())).json()[0]
    tip = datetime.fromisoformat(first["commence_time"].replace("Z", "+00:00"))
    clock.set(tip - timedelta(seconds=1))
    assert first["id"] in {e["id"] for e in (await api.get(f"{NBA}/odds", regions="us")).json()}
    clock.set(tip + timedelta(minutes=40))
    assert first["id"] not in {e["id"] for e in (await api.get(f"{NBA}/odds", regions="us")).json()}
    live = {e["id"]: e for e in (await api.get(f"{NBA}/scores")).json()}[first["id"]]
    assert live["completed"] is False and live["scores"] is not None
    # The provider reports the actual start once a game is under way.
    assert live["commence_time"] > first["commence_time"]
    listed = {e["id"] for e in (await api.get(f"{NBA}/events")).json()}
    assert first["id"] in listed
    in_play = await api.get(f"{NBA}/events/{first['id']}/odds", regions="us")
    assert in_play.status_code == 200 and in_play.json()["bookmakers"] == []
    assert in_play.headers["x-requests-last"] == "0"

    clock.set(tip + timedelta(hours=4))
    assert first["id"] not in {e["id"] for e in (await api.get(f"{NBA}/events")).json()}
    assert first["id"] not in {e["id"] for e in (await api.get(f"{NBA}/scores")).json()}
    final = {e["id"]: e for e in (await api.get(f"{NBA}/scores", daysFrom=1)).json()}[first["id"]]
    truth = simulator_of(api.http._transport.app).market.truth(first["id"])  # type: ignore[attr-defined]
    assert final["completed"] is True
    assert final["scores"] == [
        {"name": truth.home_team, "score": str(truth.home_score)},
        {"name": truth.away_team, "score": str(truth.away_score)},
    ]
    assert (await api.get(f"{NBA}/events/{first['id']}/odds", regions="us")).status_code == 404


async def test_historical_snapshot_equals_the_live_answer_of_that_instant(
    api: Api, clock: FrozenClock
) -> None:
    date = NOW - timedelta(days=2, minutes=17)
    past = (
        await api.get(
            "/v4/historical/sports/basketball_nba/odds",
            **odds_params(date=date.strftime("%Y-%m-%dT%H:%M:%SZ")),
        )
    ).json()
    stamp = datetime.fromisoformat(past["timestamp"].replace("Z", "+00:00"))
    previous = datetime.fromisoformat(past["previous_timestamp"].replace("Z", "+00:00"))
    following = datetime.fromisoformat(past["next_timestamp"].replace("Z", "+00:00"))
    assert stamp <= date < following and previous < stamp
    assert timedelta(minutes=4) < stamp - previous < timedelta(minutes=6)
    assert stamp.second != 0  # like the provider's 22:35:39

    clock.set(stamp)
    live = (await api.get(f"{NBA}/odds", **odds_params())).json()
    assert past["data"] == live


async def test_history_stops_at_now(api: Api) -> None:
    future = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (await api.get("/v4/historical/sports/basketball_nba/events", date=future)).json()
    assert body["timestamp"] <= NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["next_timestamp"] is None

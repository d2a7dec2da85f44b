"""soccer_epl and baseball_mlb in the simulator: shapes, prices, schedules, scores, replay."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import TypeAdapter

from oddscore.clock import FrozenClock, parse_timestamp
from oddscore.provider.models import EventOdds, HistoricalResponse, ScoreEvent
from oddscore.simulator import create_app, simulator_of
from oddscore.simulator.baseball import BaseballMarket
from oddscore.simulator.goals import Distribution, line_probability, negative_binomial, poisson
from oddscore.simulator.soccer import SoccerMarket
from tests.simulator.conftest import NOW, TEST_KEY, Api
from tests.simulator.recording import record_history

EPL = "/v4/sports/soccer_epl"
MLB = "/v4/sports/baseball_mlb"
UK = ZoneInfo("Europe/London")
EASTERN = ZoneInfo("America/New_York")
ODDS = {"regions": "us,eu", "markets": "h2h,spreads,totals"}


def _implied(prices: list[float]) -> float:
    return sum(1.0 / p for p in prices)


async def test_epl_h2h_is_three_way_with_the_draw_last_and_a_three_way_overround(
    api: Api,
) -> None:
    response = await api.get(f"{EPL}/odds", **ODDS)
    assert response.status_code == 200
    assert response.headers["x-requests-last"] == "6"  # 3 markets x 2 regions, as the NBA
    events = TypeAdapter(list[EventOdds]).validate_python(response.json())
    assert events
    assert all(e.sport_key == "soccer_epl" and e.sport_title == "EPL" for e in events)
    assert [e.commence_time for e in events] == sorted(e.commence_time for e in events)
    h2h_markets = [m for e in events for b in e.bookmakers for m in b.markets if m.key == "h2h"]
    assert h2h_markets
    for event in events:
        for book in event.bookmakers:
            h2h = next(m for m in book.markets if m.key == "h2h")
            names = [o.name for o in h2h.outcomes]
            assert names == [*sorted((event.home_team, event.away_team)), "Draw"]
            # Pinnacle ~2.5% and the retail books ~5% over three outcomes.
            assert 1.0 < _implied([o.price for o in h2h.outcomes]) < 1.08


async def test_epl_spreads_are_asian_handicaps_and_totals_sit_around_two_and_a_half(
    api: Api,
) -> None:
    events = (await api.get(f"{EPL}/odds", **ODDS)).json()
    handicaps: set[float] = set()
    totals: list[float] = []
    for event in events:
        for book in event["bookmakers"]:
            markets = {m["key"]: m["outcomes"] for m in book["markets"]}
            first, second = markets["spreads"]
            assert first["point"] == -second["point"]
            assert (first["point"] * 4) == int(first["point"] * 4)  # quarter lines
            handicaps.add(abs(first["point"]))
            over, under = markets["totals"]
            assert (over["name"], under["name"]) == ("Over", "Under")
            totals.append(over["point"])
            assert 1.0 < _implied([over["price"], under["price"]]) < 1.07
    assert handicaps & {0.25, 0.75}, "quarter handicaps expected across a round"
    assert all(1.5 <= t <= 4.5 for t in totals)
    assert 2.25 <= sorted(totals)[len(totals) // 2] <= 3.0


def test_quarter_lines_split_the_stake_and_both_sides_sum_to_one() -> None:
    diff = Distribution.of(-1, [0.3, 0.25, 0.45])
    # -0.25 = half on 0 (push on a draw) and half on -0.5 (loses a draw).
    win, loss = 0.45 + 0.45, 0.3 + 0.3 + 0.25
    assert line_probability(diff, -0.25) == pytest.approx(win / (win + loss))
    mirrored = Distribution.of(-1, [0.45, 0.25, 0.3])
    for line in (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25):
        assert line_probability(diff, line) + line_probability(mirrored, -line) == (
            pytest.approx(1.0)
        )
    counts = negative_binomial(4.4, 4.0)
    mean = sum(k * p for k, p in enumerate(counts))
    variance = sum((k - mean) ** 2 * p for k, p in enumerate(counts))
    assert mean == pytest.approx(4.4, abs=0.01)
    assert variance > 1.8 * sum((k - 4.4) ** 2 * p for k, p in enumerate(poisson(4.4)))


def test_epl_kicks_off_at_uk_slots_mostly_saturday_three_pm_summer_time_included() -> None:
    market = SoccerMarket(seed=7)
    starts: Counter[tuple[str, str]] = Counter()
    first = date(2025, 3, 1)  # spans the switch to British Summer Time (30 March)
    for offset in range(56):
        for game in market.games_on(first + timedelta(days=offset)):
            local = game.commence_time.astimezone(UK)
            starts[(local.strftime("%a"), local.strftime("%H:%M"))] += 1
            assert game.sport_key == "soccer_epl"
    allowed = {
        ("Fri", "20:00"),
        ("Sat", "12:30"),
        ("Sat", "15:00"),
        ("Sat", "17:30"),
        ("Sun", "14:00"),
        ("Sun", "16:30"),
        ("Mon", "20:00"),
        ("Tue", "19:30"),
        ("Tue", "20:00"),
        ("Wed", "19:30"),
        ("Wed", "20:00"),
    }
    assert set(starts) <= allowed
    assert starts.most_common(1)[0][0] == ("Sat", "15:00")
    # Eight weekend rounds of ten, plus the midweek rounds.
    assert sum(starts.values()) % 10 == 0 and sum(starts.values()) >= 80


def test_epl_results_include_draws_and_no_extra_time() -> None:
    market = SoccerMarket(seed=3)
    games = [g for d in range(120) for g in market.games_on(date(2025, 1, 1) + timedelta(d))]
    draws = [g for g in games if g.truth.home_score == g.truth.away_score]
    assert 0.15 < len(draws) / len(games) < 0.35
    assert all(g.end_time - g.tip_time < timedelta(minutes=120) for g in games)
    assert all(0.05 < g.truth.draw_prob < 0.35 for g in games)
    assert 0.2 < sum(g.truth.draw_prob for g in games) / len(games) < 0.3
    goals = sum(g.truth.home_score + g.truth.away_score for g in games) / len(games)
    assert 2.3 < goals < 3.3


async def test_epl_scores_report_a_draw_as_level_final_scores(clock: FrozenClock) -> None:
    app = create_app(api_key=TEST_KEY, seed=3, clock=clock, requests_per_second_limit=None)
    market = simulator_of(app).market_for("soccer_epl")
    assert market is not None
    drawn = next(
        g
        for d in range(60)
        for g in market.games_on(NOW.date() + timedelta(d))
        if g.truth.home_score == g.truth.away_score
    )
    clock.set(drawn.end_time + timedelta(hours=2))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://simulator"
    ) as http:
        response = await Api(http).get(f"{EPL}/scores", daysFrom="1", eventIds=drawn.id)
    assert response.headers["x-requests-last"] == "2"
    (event,) = TypeAdapter(list[ScoreEvent]).validate_python(response.json())
    assert event.completed and event.scores is not None
    assert event.scores[0].score == event.scores[1].score


def test_mlb_has_doubleheaders_day_and_evening_games_and_never_a_tie() -> None:
    market = BaseballMarket(seed=7)
    games = [g for d in range(60) for g in market.games_on(date(2025, 5, 1) + timedelta(d))]
    by_date: dict[tuple[date, frozenset[str]], list[str]] = {}
    for game in games:
        us_date = game.commence_time.astimezone(EASTERN).date()
        by_date.setdefault((us_date, frozenset((game.home_team, game.away_team))), []).append(
            game.id
        )
    doubleheaders = [ids for ids in by_date.values() if len(ids) == 2]
    assert doubleheaders and all(len(set(ids)) == 2 for ids in doubleheaders)
    assert all(len(ids) <= 2 for ids in by_date.values())
    hours = Counter(g.commence_time.astimezone(EASTERN).hour for g in games)
    day, evening = sum(hours[h] for h in range(12, 17)), sum(hours[h] for h in range(18, 23))
    assert evening > 2 * day > 0
    assert all(g.truth.home_score != g.truth.away_score for g in games)
    extra = [g for g in games if g.end_time - g.tip_time > timedelta(minutes=190)]
    assert extra, "some games go to extra innings and run longer"
    assert all(g.truth.draw_prob == 0.0 for g in games)
    runs = sum(g.truth.home_score + g.truth.away_score for g in games) / len(games)
    assert 7.5 < runs < 10.0


async def test_mlb_prices_run_lines_of_one_and_a_half_and_two_way_moneylines(api: Api) -> None:
    response = await api.get(f"{MLB}/odds", **ODDS)
    assert response.status_code == 200 and response.headers["x-requests-last"] == "6"
    events = response.json()
    assert events
    totals: list[float] = []
    for event in events:
        assert event["sport_title"] == "MLB"
        for book in event["bookmakers"]:
            markets = {m["key"]: m["outcomes"] for m in book["markets"]}
            assert len(markets["h2h"]) == 2
            assert sorted(o["point"] for o in markets["spreads"]) == [-1.5, 1.5]
            totals.append(markets["totals"][0]["point"])
    assert all(5.0 <= t <= 12.5 for t in totals)
    assert 7.5 <= sorted(totals)[len(totals) // 2] <= 9.5


async def test_sports_do_not_share_event_ids_and_an_id_belongs_to_its_sport(api: Api) -> None:
    epl = (await api.get(f"{EPL}/events")).json()
    nba = (await api.get("/v4/sports/basketball_nba/events")).json()
    mlb = (await api.get(f"{MLB}/events")).json()
    ids = [e["id"] for e in epl + nba + mlb]
    assert len(ids) == len(set(ids)) and epl and nba and mlb
    wrong = await api.get(f"{MLB}/events/{epl[0]['id']}/odds", regions="us", markets="h2h")
    assert (wrong.status_code, wrong.json()["error_code"]) == (404, "EVENT_NOT_FOUND")
    right = await api.get(f"{EPL}/events/{epl[0]['id']}/odds", regions="us", markets="h2h")
    assert right.status_code == 200
    assert [o["name"] for o in right.json()["bookmakers"][0]["markets"][0]["outcomes"]][-1] == (
        "Draw"
    )
    upcoming = (await api.get("/v4/sports/upcoming/odds", regions="us")).json()
    assert {e["sport_key"] for e in upcoming} <= {"basketball_nba", "soccer_epl", "baseball_mlb"}
    assert [e["commence_time"] for e in upcoming] == sorted(e["commence_time"] for e in upcoming)


@pytest.mark.parametrize("sport", ["soccer_epl", "baseball_mlb"])
async def test_historical_snapshots_cost_ten_times_and_replay_from_recorded_files(
    api: Api, tmp_path: Path, sport: str
) -> None:
    moments = [NOW - timedelta(hours=h) for h in (30, 20, 10)]
    recorded = await record_history(api, sport, moments, tmp_path)
    paid = await api.get(
        f"/v4/historical/sports/{sport}/odds",
        markets="h2h,totals",
        regions="us",
        date=moments[0].isoformat(),
    )
    assert paid.headers["x-requests-last"] == "20"  # 10 x 2 markets x 1 region
    assert all(body["data"] for body in recorded)

    replay = create_app(api_key=TEST_KEY, clock=FrozenClock(NOW), replay_dir=tmp_path)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=replay), base_url="http://simulator"
    ) as http:
        replayed = Api(http)
        middle = parse_timestamp(recorded[1]["timestamp"])
        response = await replayed.get(
            f"/v4/historical/sports/{sport}/odds",
            bookmakers="pinnacle,draftkings,fanduel",
            markets="h2h,spreads,totals",
            oddsFormat="american",
            date=(middle + timedelta(minutes=3)).isoformat(),
        )
        body = HistoricalResponse[list[EventOdds]].model_validate(response.json())
        assert response.headers["x-requests-last"] == "30"
        assert response.json()["data"] == recorded[1]["data"]
        assert body.previous_timestamp == parse_timestamp(recorded[0]["timestamp"])
        assert body.next_timestamp == parse_timestamp(recorded[2]["timestamp"])
        # The other sports' endpoints answer nothing from this archive (free).
        other = await replayed.get(
            "/v4/historical/sports/basketball_nba/odds",
            regions="us",
            date=middle.isoformat(),
        )
        assert other.json()["data"] == [] and other.headers["x-requests-last"] == "0"
        event = recorded[1]["data"][0]
        one = await replayed.get(
            f"/v4/historical/sports/{sport}/events/{event['id']}/odds",
            bookmakers="pinnacle",
            markets="h2h",
            date=middle.isoformat(),
        )
        assert one.status_code == 200
        outcomes = one.json()["data"]["bookmakers"][0]["markets"][0]["outcomes"]
        assert len(outcomes) == (3 if sport == "soccer_epl" else 2)

"""Grading and metrics on hand-computed fixtures."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from oddscore.backtest.grading import BetResult, grade, settle_profit
from oddscore.backtest.metrics import BOOTSTRAP_SAMPLES, _bootstrap_yield, compute_summary
from oddscore.backtest.results import BacktestResult, Bet
from oddscore.exceptions import BacktestError

HOME, AWAY = "Boston Celtics", "New York Knicks"


def g(market: str, outcome: str, point: float | None, home: int, away: int) -> BetResult:
    return grade(
        market, outcome, point, home_team=HOME, away_team=AWAY, home_score=home, away_score=away
    )


@pytest.mark.parametrize(
    ("market", "outcome", "point", "home", "away", "expected"),
    [
        ("h2h", HOME, None, 110, 100, "win"),
        ("h2h", AWAY, None, 110, 100, "loss"),
        ("h2h", AWAY, None, 99, 100, "win"),
        # Home -4.5: a 5-point home win covers, a 4-point one does not.
        ("spreads", HOME, -4.5, 105, 100, "win"),
        ("spreads", HOME, -4.5, 104, 100, "loss"),
        # Away +4.5 is graded from the away side's own point.
        ("spreads", AWAY, 4.5, 104, 100, "win"),
        ("spreads", AWAY, 4.5, 105, 100, "loss"),
        # Away as the favourite: away -3 with the away team winning by 3 pushes.
        ("spreads", AWAY, -3.0, 97, 100, "push"),
        ("spreads", HOME, 3.0, 97, 100, "push"),
        ("spreads", HOME, 7.0, 95, 100, "win"),
        ("totals", "Over", 220.5, 111, 110, "win"),
        ("totals", "Under", 220.5, 111, 110, "loss"),
        ("totals", "Over", 221.0, 111, 110, "push"),
        ("totals", "Under", 221.0, 111, 110, "push"),
        ("totals", "Under", 230.0, 111, 110, "win"),
    ],
)
def test_grading_known_answers(
    market: str, outcome: str, point: float | None, home: int, away: int, expected: str
) -> None:
    assert g(market, outcome, point, home, away) == BetResult(expected)


def test_grading_rejects_unknown_sides_and_pays_correctly() -> None:
    with pytest.raises(BacktestError):
        g("h2h", "Chicago Bulls", None, 1, 0)
    with pytest.raises(BacktestError):
        g("totals", "Over", None, 1, 0)
    assert settle_profit(BetResult.WIN, 100, 1.909090909) == pytest.approx(90.9090909)
    assert settle_profit(BetResult.LOSS, 100, 2.5) == -100
    assert settle_profit(BetResult.PUSH, 100, 2.5) == 0


T0 = datetime(2024, 1, 1, tzinfo=UTC)


def bet(
    day: int, result: str, stake: float, decimal: float, clv: float | None, **kw: object
) -> Bet:
    profit = settle_profit(BetResult(result), stake, decimal)
    commence = T0 + timedelta(days=day, hours=0)
    fields: dict[str, object] = {
        "event_id": f"e{day}{result}",
        "home_team": HOME,
        "away_team": AWAY,
        "commence_time": commence,
        "book": "draftkings",
        "market": "h2h",
        "outcome": HOME,
        "point": None,
        "price": 100,
        "decimal_odds": decimal,
        "stake": stake,
        "decision_time": commence - timedelta(hours=1),
        "quote_time": commence - timedelta(hours=2),
        "tier": "pregame",
        "result": result,
        "profit": profit,
        "settled_at": commence + timedelta(hours=3),
        "clv": clv,
    }
    fields.update(kw)
    return Bet.model_validate(fields)


def test_metrics_known_answers() -> None:
    bets = [
        bet(0, "win", 100, 2.0, 0.05),  # +100 on day 0
        bet(1, "loss", 100, 2.0, -0.02),  # -100 on day 1
        bet(1, "loss", 50, 3.0, 0.01, market="totals", book="fanduel"),  # -50 on day 1
        bet(3, "push", 100, 1.9, None),  # 0 on day 3
        bet(4, "win", 100, 2.5, 0.10),  # +150 on day 4
    ]
    s, curve, daily = compute_summary(bets, 1000.0, T0, T0 + timedelta(days=5))
    assert (s.total_bets, s.wins, s.losses, s.pushes) == (5, 2, 2, 1)
    assert s.turnover == 450
    assert s.profit == 100
    assert s.yield_ == pytest.approx(100 / 450)
    assert s.roi == pytest.approx(0.1)
    assert s.win_rate == 0.5
    assert s.profit_factor == pytest.approx(250 / 150)
    assert (s.longest_win_streak, s.longest_loss_streak) == (1, 2)
    # Equity 1000 -> 1100 -> 950 -> 950 -> 1100 (day 1's two losses settle at one instant):
    # worst drop 150 from the 1100 peak.
    assert [p.bankroll for p in curve] == [1000, 1100, 950, 950, 1100]
    assert s.max_drawdown == pytest.approx(150 / 1100)
    # Five calendar days (Jan 1..5: the range ends at Jan 6 00:00), zero-bet days included.
    assert [p.bankroll for p in daily] == [1100, 950, 950, 950, 1100]
    returns = [0.1, -150 / 1100, 0, 0, 150 / 950]
    mean = sum(returns) / 5
    std = math.sqrt(sum((r - mean) ** 2 for r in returns) / 4)
    assert s.sharpe == pytest.approx(mean / std * math.sqrt(365))
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in returns) / 5)
    assert s.sortino == pytest.approx(mean / downside * math.sqrt(365))
    annual = (1100 / 1000) ** (365 / 5) - 1
    assert s.max_drawdown_daily == pytest.approx(150 / 1100)
    assert s.calmar == pytest.approx(annual / (150 / 1100))
    assert s.clv_mean == pytest.approx((0.05 - 0.02 + 0.01 + 0.10) / 4)
    assert s.clv_beat_close_share == 0.75
    assert s.clv_stake_weighted == pytest.approx((5 - 2 + 0.5 + 10) / 350)
    assert s.expected_profit == pytest.approx(5 - 2 + 0.5 + 10)
    assert s.by_market["totals"].profit == -50 and s.by_market["h2h"].bets == 4
    assert s.by_book["fanduel"].turnover == 50
    assert s.by_month["2024-01"].profit == 100
    assert s.yield_ci_low is not None and s.yield_ci_high is not None
    assert s.yield_ci_low < s.yield_ < s.yield_ci_high


def test_result_json_round_trip() -> None:
    bets = [bet(0, "win", 100, 2.0, 0.05), bet(2, "loss", 10, 1.5, None)]
    s, curve, daily = compute_summary(bets, 1000.0, T0, T0 + timedelta(days=3))
    result = BacktestResult(
        strategy="flat",
        params={"market": "h2h"},
        config={"decision_hours": 1.0},
        start=T0,
        end=T0 + timedelta(days=3),
        summary=s,
        bets=bets,
        equity_curve=curve,
        daily_equity=daily,
    )
    text = result.to_json()
    assert '"yield":' in text and '"total_bets": 2' in text
    assert BacktestResult.from_json(text) == result


def _daily_drawdown_oracle(start: float, daily: list[float]) -> float:
    """empyrical's max drawdown, on the same daily series: 1 - E_t / running peak."""
    series = pd.Series([start, *daily])
    return float((1.0 - series / series.cummax()).max())


def test_arbitrage_legs_settled_together_show_no_drawdown() -> None:
    # Five days of one arbitrage each: the losing leg sorts first (book "a"), but both legs
    # settle at the same instant, so no day and no instant is below the previous peak. Before
    # #23 the legs were applied one by one and showed a drawdown of ~5%.
    bets = []
    for day in range(5):
        event = f"arb{day}"
        bets.append(bet(day, "loss", 48.78, 2.10, None, event_id=event, book="a", outcome=AWAY))
        bets.append(bet(day, "win", 51.22, 2.05, None, event_id=event, book="b"))
    s, curve, daily = compute_summary(bets, 1000.0, T0, T0 + timedelta(days=5))
    assert len(curve) == 6  # the start and one point per settlement instant
    assert all(b.bankroll > a.bankroll for a, b in zip(curve, curve[1:], strict=False))
    assert s.max_drawdown == 0.0
    assert s.max_drawdown_daily == _daily_drawdown_oracle(1000.0, [p.bankroll for p in daily])
    assert s.max_drawdown_daily == 0.0
    assert s.calmar is None  # no drawdown: Calmar is undefined, never infinite


def test_daily_drawdown_and_calmar_match_the_daily_oracle() -> None:
    # Day 1 loses more than its same-instant win: a real drawdown, intraday and daily.
    bets = [
        bet(0, "win", 100, 2.0, None),
        bet(1, "loss", 300, 2.0, None, event_id="x", book="a"),
        bet(1, "win", 100, 2.0, None, event_id="x", book="b"),
        bet(2, "loss", 100, 2.0, None),
        bet(2, "win", 200, 2.0, None, settled_at=T0 + timedelta(days=2, hours=8)),
        bet(4, "win", 400, 2.0, None),
    ]
    s, curve, daily = compute_summary(bets, 1000.0, T0, T0 + timedelta(days=5))
    values = [p.bankroll for p in daily]
    assert values == [1100, 900, 1000, 1000, 1400]
    oracle = _daily_drawdown_oracle(1000.0, values)
    assert s.max_drawdown_daily == pytest.approx(oracle, abs=1e-12)
    # Day 2 settles at two instants: 900 -> 800 -> 1000, so intraday the drawdown is deeper.
    assert [p.bankroll for p in curve] == [1000, 1100, 900, 800, 1000, 1400]
    assert s.max_drawdown == pytest.approx(300 / 1100)
    annual = (1400 / 1000) ** (365 / 5) - 1
    assert s.calmar == pytest.approx(annual / oracle)


def test_kelly_risk_of_the_plan_as_staked_sums_the_slates() -> None:
    # Day 0: two bets of 100 and 200 on a 1,000 bankroll; day 2: one bet of 110 on 1,100.
    bets = [
        bet(0, "win", 100, 2.0, None, model_probability=0.55, event_id="a"),
        bet(0, "loss", 200, 2.2, None, model_probability=0.5, event_id="b"),
        bet(2, "win", 110, 1.9, None, model_probability=0.6, event_id="c"),
    ]
    s, _, _ = compute_summary(bets, 1000.0, T0, T0 + timedelta(days=3))
    assert s.kelly_risk is not None
    (row,) = s.kelly_risk  # flat sizing: the plan as staked only
    assert row.plan == "as staked" and row.slates == 2

    def slate(items: list[tuple[float, float, float]]) -> tuple[float, float]:
        outcomes = []
        for wins in itertools.product((True, False), repeat=len(items)):
            weight, wealth = 1.0, 1.0
            for won, (f, p, d) in zip(wins, items, strict=True):
                weight *= p if won else 1 - p
                wealth += f * (d - 1) if won else -f
            outcomes.append((weight, math.log(wealth)))
        mean = sum(w * x for w, x in outcomes)
        return mean, sum(w * (x - mean) ** 2 for w, x in outcomes)

    # Day 0 is sized from 1,000; by day 2 the bankroll settled at 1,000 + 100 - 200 = 900.
    g0, v0 = slate([(0.1, 0.55, 2.0), (0.2, 0.5, 2.2)])
    g2, v2 = slate([(110 / 900, 0.6, 1.9)])
    assert row.growth == pytest.approx(g0 + g2, abs=1e-12)
    assert row.volatility == pytest.approx(math.sqrt(v0 + v2), abs=1e-12)
    assert row.mean_total_stake == pytest.approx((0.3 + 110 / 900) / 2)
    assert 0.0 < row.drawdown_probability < 1.0
    assert (
        BacktestResult.model_validate_json(
            BacktestResult(
                strategy="x",
                params={},
                config={},
                start=T0,
                end=T0 + timedelta(days=3),
                summary=s,
                bets=bets,
                equity_curve=[],
                daily_equity=[],
            ).to_json()
        ).summary
        == s
    )


@pytest.mark.parametrize(
    ("n", "flat"),
    [(2, True), (3, False), (166, False), (1294, True), (1294, False), (40_000, False)],
)
def test_the_blocked_bootstrap_draws_and_sums_as_the_whole_one(n: int, flat: bool) -> None:
    """The yield's bootstrap runs in cache-sized blocks (flat stakes: one turnover); its
    interval is bit for bit that of all 2,000 resamples drawn and summed at once."""
    rng = np.random.default_rng(n)
    stakes = np.full(n, 50.0) if flat else np.round(rng.uniform(1.0, 300.0, n), 2)
    profits = np.where(rng.random(n) < 0.5, -stakes, stakes * rng.uniform(0.3, 2.0, n))
    whole = np.random.default_rng(20231024)
    idx = whole.integers(0, n, size=(BOOTSTRAP_SAMPLES, n))
    yields = profits[idx].sum(axis=1) / stakes[idx].sum(axis=1)
    low, high = np.percentile(yields, [2.5, 97.5])
    assert _bootstrap_yield(stakes, profits) == (float(low), float(high))

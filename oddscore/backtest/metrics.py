"""Backtest metrics (BETTING_MATH.md d9). Every figure of :class:`Summary`, defined here.

Counting
    ``total_bets`` bets placed (voids included); ``wins``/``losses``/``pushes``/``voids`` by
    result (void: the game never got a result; the stake is refunded). ``turnover`` = sum of
    stakes of graded bets (voids excluded); ``profit`` = sum of net profits.
Returns
    ``yield`` = profit / turnover (per unit staked); ``roi`` = profit / starting bankroll
    (return on bankroll, the seed's "ROI"); ``win_rate`` = wins / (wins + losses), pushes
    excluded; ``average_odds`` = mean decimal odds of graded bets.
Risk, on daily bankroll returns
    The settled bankroll ``E_t`` at the end of every UTC calendar day from the first day of the
    range to the later of its last day (the end is exclusive) and the last settlement, days
    without bets included;
    ``r_t = (E_t - E_{t-1}) / E_{t-1}``. ``sharpe`` = mean(r) / std(r) * sqrt(365) (sample
    std); ``sortino`` = mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(365). ``max_drawdown`` =
    max over t of (peak-to-date - E_t) / peak-to-date on the per-settlement equity curve, as
    a fraction; the curve has one point per settlement *instant* (bets settled at the same
    moment move the bankroll together, so the legs of an arbitrage never show a drawdown).
    ``max_drawdown_daily`` is the same on ``E_0`` followed by the daily series ``E_t``.
    ``calmar`` = annualized return ((E_end / E_0)^(365/days) - 1) / max_drawdown_daily.
    ``profit_factor`` = gross winnings / |gross losses|. ``longest_win_streak`` and
    ``longest_loss_streak`` count consecutive wins or losses in settlement order (pushes and
    voids neither extend nor break a streak).
Closing line value
    Over bets with a closing quote: ``clv_mean`` and ``clv_median`` of the no-vig CLV
    ``p_close * d_bet - 1``; ``clv_stake_weighted`` the stake-weighted mean;
    ``clv_beat_close_share`` the share with CLV > 0.
Significance
    ``yield_ci_low``/``yield_ci_high``: 95% percentile bootstrap interval of the yield,
    resampling graded bets 2,000 times with a fixed seed. ``t_stat``: the t statistic of
    per-bet returns (profit / stake) against 0. ``expected_profit`` = sum of stake * no-vig
    CLV (the profit expected if the close is the truth); ``expected_profit_model`` = sum of
    stake * the strategy's own EV. Realized minus expected profit is luck.
Breakdowns
    ``by_market``, ``by_book``, ``by_month`` (``YYYY-MM`` of commence time, UTC) and
    ``by_tier`` (tier of the quote bet on): bets, turnover, profit, yield and mean CLV.
Kelly risk (:mod:`oddscore.analytics.kelly_risk`), over the bets with a model probability
    Each slate's bets (one US game day, treated as independent) staked as fractions of the
    settled bankroll at the slate's first decision. ``kelly_risk`` rows: the plan ``as
    staked``, and for Kelly sizing ``full Kelly`` and the configured fraction re-sized on
    the same slates: ``growth`` = sum over slates of ``E[log W]`` under the model's
    probabilities, ``volatility`` = sqrt of the sum of the per-slate variances of ``log W``,
    ``drawdown_probability`` = P(ever falling to ``1 - drawdown``, 0.5 here) for a walk with
    the per-slate mean drift and variance. None without model probabilities.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from oddscore.analytics.kelly import simultaneous_kelly
from oddscore.analytics.kelly_risk import KellyRisk, drawdown_probability, stake_risk
from oddscore.backtest.results import Bet, Breakdown, EquityPoint, KellyRiskRow, Summary
from oddscore.backtest.slates import slate_key

__all__ = ["compute_summary", "daily_equity", "equity_curve", "kelly_risk_rows"]

GRADED = {"win", "loss", "push", "half_win", "half_loss"}
# A quarter line's half result counts towards the side it went (wins, losses, streaks).
_SIDE = {"half_win": "win", "half_loss": "loss"}
BOOTSTRAP_SAMPLES = 2_000
_BOOTSTRAP_BLOCK = 65_536  # indices drawn at once
KELLY_DRAWDOWN = 0.5


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _settlement_order(bets: Sequence[Bet]) -> list[Bet]:
    return sorted(bets, key=lambda b: (b.settled_at, b.event_id, b.book, b.market, b.outcome))


def equity_curve(
    bets: Sequence[Bet], starting_bankroll: float, start: datetime
) -> list[EquityPoint]:
    """The settled bankroll after every settlement instant, starting with ``starting_bankroll``.

    Bets settled at the same moment are one point: they move the bankroll together.
    """
    return _curve(_settlement_order(bets), starting_bankroll, start)


def _curve(ordered: Sequence[Bet], starting_bankroll: float, start: datetime) -> list[EquityPoint]:
    """:func:`equity_curve` of bets already in settlement order."""
    points = [EquityPoint(time=start, bankroll=starting_bankroll)]
    bankroll = starting_bankroll
    for bet in ordered:
        bankroll += bet.profit
        if len(points) > 1 and points[-1].time == bet.settled_at:
            points[-1] = EquityPoint(time=bet.settled_at, bankroll=bankroll)
        else:
            points.append(EquityPoint(time=bet.settled_at, bankroll=bankroll))
    return points


def daily_equity(
    bets: Sequence[Bet], starting_bankroll: float, start: datetime, end: datetime
) -> list[EquityPoint]:
    """The settled bankroll at the end of each UTC day, zero-bet days included."""
    pnl: dict[date, float] = defaultdict(float)
    for bet in bets:
        pnl[bet.settled_at.astimezone(UTC).date()] += bet.profit
    first = start.astimezone(UTC).date()
    # ``end`` is exclusive: a range ending at midnight does not include the next day.
    last = max([(end - timedelta(microseconds=1)).astimezone(UTC).date(), *pnl.keys()])
    points = []
    bankroll = starting_bankroll
    day = first
    while day <= last:
        bankroll += pnl.get(day, 0.0)
        points.append(
            EquityPoint(time=datetime.combine(day, time(23, 59, 59), UTC), bankroll=bankroll)
        )
        day += timedelta(days=1)
    return points


def _max_drawdown(curve: Sequence[EquityPoint]) -> float:
    peak = -math.inf
    worst = 0.0
    for point in curve:
        peak = max(peak, point.bankroll)
        if peak > 0:
            worst = max(worst, (peak - point.bankroll) / peak)
    return worst


def _streaks(bets: Sequence[Bet]) -> tuple[int, int]:
    best = {"win": 0, "loss": 0}
    current, length = "", 0
    for bet in bets:
        result = _SIDE.get(bet.result, bet.result)
        if result not in best:
            continue
        length = length + 1 if result == current else 1
        current = result
        best[current] = max(best[current], length)
    return best["win"], best["loss"]


def _breakdown(bets: Sequence[Bet], key: Callable[[Bet], str]) -> dict[str, Breakdown]:
    groups: dict[str, list[Bet]] = defaultdict(list)
    for bet in bets:
        groups[key(bet)].append(bet)
    out = {}
    for name in sorted(groups):
        group = groups[name]
        graded = [b for b in group if b.result in GRADED]
        turnover = sum(b.stake for b in graded)
        profit = sum(b.profit for b in group)
        clvs = [b.clv for b in group if b.clv is not None]
        out[name] = Breakdown(
            bets=len(group),
            turnover=turnover,
            profit=profit,
            yield_=_ratio(profit, turnover),
            clv_mean=statistics.fmean(clvs) if clvs else None,
        )
    return out


def _month(bet: Bet) -> str:
    """``YYYY-MM`` of the bet's commence time in UTC (``strftime`` is several times slower)."""
    moment = bet.commence_time.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def _bootstrap_yield(stakes: np.ndarray, profits: np.ndarray) -> tuple[float | None, float | None]:
    n = len(stakes)
    if n < 2:
        return None, None
    rng = np.random.default_rng(20231024)
    yields = np.empty(BOOTSTRAP_SAMPLES)
    # Flat stakes: every resample's turnover is the same sum of the same values, so it is
    # summed once (bit for bit what summing each resample gives).
    flat = bool((stakes == stakes[0]).all())
    turnover = np.full(n, stakes[0]).sum()
    # Resamples in blocks that stay in cache (a season's 2,000 x n indices are 20 MB); the
    # generator draws the same stream whatever the block size, and each row sums alike.
    block = max(1, _BOOTSTRAP_BLOCK // n)
    for low in range(0, BOOTSTRAP_SAMPLES, block):
        high = min(low + block, BOOTSTRAP_SAMPLES)
        idx = rng.integers(0, n, size=(high - low, n))
        won = profits[idx].sum(axis=1)
        yields[low:high] = won / (turnover if flat else stakes[idx].sum(axis=1))
    low_q, high_q = np.percentile(yields, [2.5, 97.5])
    return float(low_q), float(high_q)


def _risk(
    daily: Sequence[EquityPoint], starting_bankroll: float
) -> tuple[float | None, float | None]:
    values = [starting_bankroll, *(p.bankroll for p in daily)]
    returns = [(b - a) / a if a > 0 else 0.0 for a, b in zip(values, values[1:], strict=False)]
    if len(returns) < 2:
        return None, None
    mean = statistics.fmean(returns)
    std = statistics.stdev(returns)
    downside = math.sqrt(statistics.fmean([min(r, 0.0) ** 2 for r in returns]))
    sharpe = mean / std * math.sqrt(365) if std > 0 else None
    sortino = mean / downside * math.sqrt(365) if downside > 0 else None
    return sharpe, sortino


def _risk_row(plan: str, risks: Sequence[KellyRisk]) -> KellyRiskRow:
    n = len(risks)
    variance = sum(r.volatility**2 for r in risks)
    mean_growth = sum(r.growth for r in risks) / n
    return KellyRiskRow(
        plan=plan,
        slates=n,
        mean_total_stake=sum(r.total_stake for r in risks) / n,
        growth=sum(r.growth for r in risks),
        volatility=math.sqrt(variance),
        drawdown=KELLY_DRAWDOWN,
        drawdown_probability=drawdown_probability(
            mean_growth, math.sqrt(variance / n), KELLY_DRAWDOWN
        ),
    )


def kelly_risk_rows(
    bets: Sequence[Bet], curve: Sequence[EquityPoint], kelly_fraction: float | None
) -> list[KellyRiskRow] | None:
    """The Kelly risk of the plan as staked and, for Kelly sizing, of full and fractional
    Kelly on the same slates (see the module docstring)."""
    slates: dict[str, list[Bet]] = defaultdict(list)
    for bet in bets:
        if bet.model_probability is not None and bet.stake > 0:
            slates[slate_key(bet.commence_time)].append(bet)
    if not slates:
        return None
    staked, full, fractional = [], [], []
    for key in sorted(slates):
        group = slates[key]
        decided = min(b.decision_time for b in group)
        bankroll = next(
            (p.bankroll for p in reversed(curve) if p.time <= decided), curve[0].bankroll
        )
        probabilities = [b.model_probability or 0.0 for b in group]
        decimals = [b.decimal_odds for b in group]
        stakes = [b.stake / bankroll for b in group]
        if sum(stakes) >= 1.0:
            continue  # staked the whole bankroll: no log growth to speak of
        staked.append(stake_risk(probabilities, decimals, stakes, KELLY_DRAWDOWN))
        if kelly_fraction is not None:
            kelly = simultaneous_kelly(probabilities, decimals, fraction=1.0)
            full.append(stake_risk(probabilities, decimals, kelly, KELLY_DRAWDOWN, 1.0))
            fractional.append(
                stake_risk(
                    probabilities,
                    decimals,
                    [kelly_fraction * s for s in kelly],
                    KELLY_DRAWDOWN,
                    kelly_fraction,
                )
            )
    if not staked:
        return None
    rows = [_risk_row("as staked", staked)]
    if kelly_fraction is not None:
        rows += [_risk_row("full Kelly", full), _risk_row(f"{kelly_fraction:g} Kelly", fractional)]
    return rows


def compute_summary(
    bets: Sequence[Bet],
    starting_bankroll: float,
    start: datetime,
    end: datetime,
    *,
    kelly_fraction: float | None = None,
) -> tuple[Summary, list[EquityPoint], list[EquityPoint]]:
    """The summary, the per-settlement equity curve and the daily equity of settled bets;
    ``kelly_fraction`` (Kelly sizing) adds full and fractional Kelly to the Kelly risk."""
    ordered = _settlement_order(bets)
    graded = [b for b in ordered if b.result in GRADED]
    sides = Counter(_SIDE.get(b.result, b.result) for b in ordered)
    counts = {r: sides[r] for r in ("win", "loss", "push", "void")}
    turnover = sum([b.stake for b in graded])
    profit = sum([b.profit for b in ordered])
    curve = _curve(ordered, starting_bankroll, start)
    daily = daily_equity(ordered, starting_bankroll, start, end)
    sharpe, sortino = _risk(daily, starting_bankroll)
    mdd = _max_drawdown(curve)
    mdd_daily = _max_drawdown([EquityPoint(time=start, bankroll=starting_bankroll), *daily])
    final = starting_bankroll + profit
    days = len(daily)
    calmar = None
    if mdd_daily > 0 and final > 0 and days > 0:
        calmar = ((final / starting_bankroll) ** (365.0 / days) - 1.0) / mdd_daily
    gross_win = sum(b.profit for b in graded if b.profit > 0)
    gross_loss = -sum(b.profit for b in graded if b.profit < 0)
    win_streak, loss_streak = _streaks(ordered)
    with_clv = [b for b in ordered if b.clv is not None]
    clvs = [b.clv for b in with_clv if b.clv is not None]
    clv_stake = sum(b.stake for b in with_clv)
    stakes = np.array([b.stake for b in graded], dtype=float)
    profits = np.array([b.profit for b in graded], dtype=float)
    ci_low, ci_high = _bootstrap_yield(stakes, profits)
    t_stat = None
    if len(graded) >= 2:
        per_bet = profits / stakes
        sd = float(per_bet.std(ddof=1))
        t_stat = float(per_bet.mean() / (sd / math.sqrt(len(per_bet)))) if sd > 0 else None
    model_ev = [b.stake * b.expected_value for b in graded if b.expected_value is not None]
    summary = Summary(
        total_bets=len(ordered),
        wins=counts["win"],
        losses=counts["loss"],
        pushes=counts["push"],
        voids=counts["void"],
        turnover=turnover,
        profit=profit,
        yield_=_ratio(profit, turnover),
        roi=profit / starting_bankroll,
        win_rate=_ratio(counts["win"], counts["win"] + counts["loss"]),
        average_odds=statistics.fmean([b.decimal_odds for b in graded]) if graded else None,
        starting_bankroll=starting_bankroll,
        final_bankroll=final,
        days=days,
        sharpe=sharpe,
        sortino=sortino,
        max_drawdown=mdd,
        max_drawdown_daily=mdd_daily,
        calmar=calmar,
        profit_factor=_ratio(gross_win, gross_loss),
        longest_win_streak=win_streak,
        longest_loss_streak=loss_streak,
        clv_mean=statistics.fmean(clvs) if clvs else None,
        clv_median=statistics.median(clvs) if clvs else None,
        clv_stake_weighted=(
            sum(b.stake * b.clv for b in with_clv if b.clv is not None) / clv_stake
            if clv_stake
            else None
        ),
        clv_beat_close_share=_ratio(sum(1 for c in clvs if c > 0), len(clvs)),
        clv_bets=len(clvs),
        yield_ci_low=ci_low,
        yield_ci_high=ci_high,
        t_stat=t_stat,
        expected_profit=(
            sum(b.stake * b.clv for b in with_clv if b.clv is not None) if with_clv else None
        ),
        expected_profit_model=sum(model_ev) if model_ev else None,
        by_market=_breakdown(ordered, lambda b: b.market),
        by_book=_breakdown(ordered, lambda b: b.book),
        by_month=_breakdown(ordered, _month),
        by_tier=_breakdown(ordered, lambda b: b.tier or "unknown"),
        kelly_risk=kelly_risk_rows(ordered, curve, kelly_fraction),
    )
    return summary, curve, daily

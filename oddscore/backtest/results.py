"""The backtest result: a ``summary`` of the metrics and every ``bet``, as round-trippable JSON.

``BacktestResult.from_json(r.to_json()) == r`` holds exactly: floats survive JSON in
Python's shortest-repr form, datetimes are written in ISO 8601 with their UTC offset, and an
undefined metric (a Sharpe ratio without variance) is ``None``, never NaN.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oddscore.locations import read_bytes

__all__ = [
    "BET_COLUMNS",
    "BacktestResult",
    "Bet",
    "Breakdown",
    "EquityPoint",
    "KellyRiskRow",
    "Summary",
    "write_bets_csv",
]


class Bet(BaseModel):
    """One placed bet and how it ended."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    home_team: str
    away_team: str
    commence_time: datetime
    book: str
    market: str
    outcome: str
    point: float | None
    price: int  # American odds actually obtained (after any execution haircut)
    decimal_odds: float  # the decimal obtained, after the book's commission (exchanges)
    stake: float
    decision_time: datetime
    quote_time: datetime  # when the quote bet on was observed; always <= decision_time
    tier: str | None  # fetch tier of the quote (hours from quote to tip)
    model_probability: float | None = None  # the strategy's own win probability, if any
    expected_value: float | None = None  # model_probability * decimal_odds - 1
    result: str  # win | loss | push | void | half_win | half_loss (a quarter line)
    profit: float
    settled_at: datetime
    closing_price: int | None = None  # same book, market, outcome and point, last before tip
    clv_price: float | None = None  # decimal_odds / closing decimal - 1
    clv: float | None = None  # no-vig CLV: p_close * decimal_odds - 1


class Breakdown(BaseModel):
    """Figures for one slice of the bets (one market, book, month or tier)."""

    bets: int
    turnover: float
    profit: float
    yield_: float | None = Field(alias="yield")
    clv_mean: float | None

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class KellyRiskRow(BaseModel):
    """One stake plan's Kelly risk over the backtest (see :mod:`oddscore.backtest.metrics`)."""

    model_config = ConfigDict(frozen=True)

    plan: str  # "as staked", "full Kelly" or e.g. "0.25 Kelly"
    slates: int
    mean_total_stake: float  # mean fraction of the bankroll staked per slate
    growth: float  # expected log growth over all slates (sum)
    volatility: float  # sd of the log growth over all slates (independent slates)
    drawdown: float
    drawdown_probability: float  # P(ever falling to 1 - drawdown), per-slate drift/variance


class EquityPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    time: datetime
    bankroll: float


class Summary(BaseModel):
    """The metrics of one backtest; each is defined in :mod:`oddscore.backtest.metrics`."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    total_bets: int
    wins: int
    losses: int
    pushes: int
    voids: int
    turnover: float
    profit: float
    yield_: float | None = Field(alias="yield")
    roi: float
    win_rate: float | None
    average_odds: float | None
    starting_bankroll: float
    final_bankroll: float
    days: int
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    # None in results saved before it existed (their JSON still loads).
    max_drawdown_daily: float | None = None
    calmar: float | None
    profit_factor: float | None
    longest_win_streak: int
    longest_loss_streak: int
    clv_mean: float | None
    clv_median: float | None
    clv_stake_weighted: float | None
    clv_beat_close_share: float | None
    clv_bets: int
    yield_ci_low: float | None
    yield_ci_high: float | None
    t_stat: float | None
    expected_profit: float | None  # sum of stake * no-vig CLV (the close taken as the truth)
    expected_profit_model: float | None  # sum of stake * the strategy's own EV
    by_market: dict[str, Breakdown]
    by_book: dict[str, Breakdown]
    by_month: dict[str, Breakdown]
    by_tier: dict[str, Breakdown]
    # Bets with a model probability only; None without any (and in older results).
    kelly_risk: list[KellyRiskRow] | None = None


class BacktestResult(BaseModel):
    """Everything a backtest produced: its configuration, summary, bets and equity curve."""

    model_config = ConfigDict(frozen=True)

    strategy: str
    params: dict[str, Any]
    config: dict[str, Any]
    start: datetime
    end: datetime
    summary: Summary
    bets: list[Bet]
    equity_curve: list[EquityPoint]
    daily_equity: list[EquityPoint]

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(by_alias=True, indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> BacktestResult:
        return cls.model_validate_json(text)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, location: str | Path) -> BacktestResult:
        """A saved result from a local file or an S3 location (``s3://bucket/key``)."""
        return cls.from_json(read_bytes(location))


BET_COLUMNS = tuple(Bet.model_fields)


def write_bets_csv(result: BacktestResult, path: Path) -> int:
    """Every bet as one CSV row (columns as in :class:`Bet`); returns the number of rows."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=BET_COLUMNS)
        writer.writeheader()
        for bet in result.bets:
            writer.writerow(bet.model_dump(mode="json"))
    return len(result.bets)

"""The engine's settings: timing, sizing, limits and execution realism."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from oddscore.analytics.devig import DevigMethod
from oddscore.clock import as_utc
from oddscore.config import BettingSettings

__all__ = ["BacktestConfig"]


class BacktestConfig(BaseModel):
    """How to run a backtest over events commencing in ``[start, end)``.

    Sizing: ``flat`` stakes ``stake`` units per bet; ``percentage`` stakes ``stake`` percent
    of the available bankroll; ``kelly`` stakes ``kelly_fraction`` of the simultaneous Kelly
    stakes of the slate. The available bankroll is the settled bankroll minus pending stakes.
    Limits, applied in this order: ``max_bet_pct`` (fraction of the available bankroll per
    bet), ``max_stake``, ``book_limits`` (maximum stake per bet per book), ``max_slate_pct``
    (fraction of the available bankroll for one slate, scaled down pro rata), then the
    available bankroll itself; a stake below ``min_stake`` is not placed. A bet at a book
    with a ``commission`` is placed at its price after commission, ``1 + (d - 1)(1 - c)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: datetime
    end: datetime
    sport_key: str = "basketball_nba"
    decision_hours: float = Field(default=1.0, ge=0.0)
    max_staleness_hours: float | None = Field(default=24.0, gt=0.0)
    sizing: Literal["flat", "percentage", "kelly"] = "flat"
    stake: float = Field(default=100.0, gt=0.0)
    kelly_fraction: float = Field(default=0.25, gt=0.0, le=1.0)
    bankroll: float = Field(default=10_000.0, gt=0.0)
    min_stake: float = Field(default=0.0, ge=0.0)
    max_stake: float | None = Field(default=None, gt=0.0)
    max_bet_pct: float | None = Field(default=None, gt=0.0, le=1.0)
    max_slate_pct: float | None = Field(default=None, gt=0.0, le=1.0)
    book_limits: dict[str, float] = Field(default_factory=dict)
    # Execute at the worse of the decision quote and the next quote within this many minutes
    # (latency and stale-line risk); a line that moved in between is not filled.
    haircut_minutes: float | None = Field(default=None, gt=0.0)
    # Commission on net winnings per book (exchanges): a win there pays (d - 1)(1 - c).
    # Default: the configuration's BOOK_COMMISSION (exchange base rates).
    commission: dict[str, Annotated[float, Field(ge=0.0, lt=1.0)]] = Field(
        default_factory=lambda: BettingSettings().commission
    )
    # When an event has no completed_at, its bets settle this long after commence.
    settle_hours: float = Field(default=3.0, gt=0.0)
    # Books whose de-vigged close is the CLV reference; None: the bet's own book.
    clv_books: list[str] | None = None
    clv_method: DevigMethod = DevigMethod.MULTIPLICATIVE
    bookmakers: list[str] | None = None  # load only these books (None: all)
    markets: list[str] | None = None  # load only these markets (None: all)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @model_validator(mode="after")
    def _ordered(self) -> BacktestConfig:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

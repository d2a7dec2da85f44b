"""``ml``: an XGBoost home-win model, retrained walk-forward as results come in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field

from oddscore.analytics.ev import expected_value
from oddscore.backtest.market import MarketView
from oddscore.backtest.strategies.base import (
    BetIntent,
    BettingStrategy,
    EventResult,
    StrategyParams,
)
from oddscore.exceptions import BacktestError

__all__ = ["MlParams", "MlStrategy"]


class MlParams(StrategyParams):
    # A model from `odds ml train`; None: start untrained and learn walk-forward.
    model_path: str | None = None
    retrain_days: float = Field(default=30.0, gt=0.0)
    min_train_games: int = Field(default=150, ge=10)
    rounds: int = Field(default=150, ge=1)
    min_ev: float = Field(default=0.03, ge=0.0)
    books: list[str] | None = None  # books to bet at; None: every book on the board


class MlStrategy(BettingStrategy[MlParams]):
    name = "ml"
    description = "XGBoost home-win model on market features, retrained walk-forward (extra 'ml')."
    Params = MlParams

    def __init__(self, params: MlParams) -> None:
        super().__init__(params)
        self._model: Any = None
        self._trained_until: datetime | None = None
        self._last_fit: datetime | None = None
        self._pending: dict[str, tuple[datetime, list[float]]] = {}
        self._samples: list[Any] = []

    def on_start(self) -> None:
        if self.params.model_path is not None:
            from oddscore.backtest.ml import load_model

            self._model, self._trained_until = load_model(Path(self.params.model_path))

    def _maybe_retrain(self, now: datetime) -> None:
        from oddscore.backtest.ml import fit_model

        due = self._last_fit is None or now - self._last_fit >= timedelta(
            days=self.params.retrain_days
        )
        finished = [s for s in self._samples if s.ended_at <= now]
        if due and len(finished) >= self.params.min_train_games:
            self._model = fit_model(finished, self.params.rounds)
            self._trained_until = max(s.ended_at for s in finished)
            self._last_fit = now

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        from oddscore.backtest.ml import event_features, predict_home

        features = event_features(view)
        if features is None:
            return []
        self._pending[view.event.id] = (view.decision_time, features)
        self._maybe_retrain(view.decision_time)
        if self._model is None:
            return []
        if self._trained_until is not None and self._trained_until > view.decision_time:
            raise BacktestError(
                f"the model was trained on games up to {self._trained_until.isoformat()}, "
                f"after this decision at {view.decision_time.isoformat()}: look-ahead"
            )
        p_home = predict_home(self._model, [features])[0]
        best: tuple[float, BetIntent] | None = None
        books = self.params.books if self.params.books is not None else view.books("h2h")
        for book in books:
            quotes = view.outcome_set(book, "h2h") or ()
            if len(quotes) != 2:
                # A home-win model knows no draw: 1 - p_home is not the away team's chance
                # in a three-way moneyline, so such a market is not this strategy's.
                continue
            for quote in quotes:
                p = p_home if quote.outcome == view.event.home_team else 1.0 - p_home
                ev = expected_value(p, quote.decimal)
                if ev >= self.params.min_ev and (best is None or ev > best[0]):
                    best = (ev, BetIntent(quote, probability=p))
        return [] if best is None else [best[1]]

    def on_result(self, result: EventResult) -> None:
        from oddscore.backtest.ml import Sample

        pending = self._pending.pop(result.event_id, None)
        if pending is None or result.home_score == result.away_score:
            return
        decision_time, features = pending
        won = int(result.home_score > result.away_score)
        self._samples.append(Sample(result.event_id, decision_time, result.ended_at, features, won))

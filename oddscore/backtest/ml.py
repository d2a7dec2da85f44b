"""The ML example: market features, an XGBoost home-win model, walk-forward training.

Features are computed from a :class:`~oddscore.backtest.market.MarketView` only, so they hold
exactly what was known at the decision time. Labels (did the home team win) come from final
scores and are used for training only once the game has ended. Models are saved in
XGBoost's own JSON format (``Booster.save_model("x.json")``), never pickled; the JSON carries
the feature names, the decision lead and ``trained_until`` (the end of the last game trained
on), so a backtest can refuse a model that has seen its period.

``xgboost`` is the optional extra ``ml`` and is imported inside the functions that need it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oddscore.analytics.devig import devig
from oddscore.backtest.data import BacktestData, load_backtest_data
from oddscore.backtest.market import EventView, MarketView
from oddscore.clock import parse_timestamp
from oddscore.exceptions import BacktestError
from oddscore.storage.engine import Database

if TYPE_CHECKING:
    import xgboost

__all__ = [
    "FEATURES",
    "FoldScore",
    "Sample",
    "TrainReport",
    "event_features",
    "fit_model",
    "load_model",
    "predict_home",
    "samples_from_data",
    "save_model",
    "train_from_database",
    "walk_forward",
]

FEATURES = (
    "home_prob_mean",
    "home_prob_std",
    "home_prob_min",
    "home_prob_max",
    "home_spread",
    "total",
    "h2h_margin",
    "books",
)

XGB_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "max_depth": 2,
    "eta": 0.05,
    "subsample": 1.0,
    "seed": 0,
    "nthread": 1,
}


def _xgboost() -> Any:
    try:
        import xgboost
    except ImportError as exc:  # the optional extra is missing
        raise BacktestError("the ML strategy needs the 'ml' extra: uv sync --extra ml") from exc
    return xgboost


def event_features(view: MarketView) -> list[float] | None:
    """The feature vector of one event as of its decision time; None without any h2h price."""
    home = view.event.home_team
    probs, margins = [], []
    for book in view.books("h2h"):
        quotes = view.outcome_set(book, "h2h")
        if quotes is None or len(quotes) != 2 or home not in {q.outcome for q in quotes}:
            continue
        fitted = devig([q.decimal for q in quotes])
        probs.append(
            next(p for q, p in zip(quotes, fitted.probabilities, strict=True) if q.outcome == home)
        )
        margins.append(fitted.margin)
    if not probs:
        return None
    spreads = [
        q.point
        for book in view.books("spreads")
        for q in view.outcome_set(book, "spreads") or ()
        if q.outcome == home and q.point is not None
    ]
    totals = [
        q.point
        for book in view.books("totals")
        for q in view.outcome_set(book, "totals") or ()
        if q.outcome == "Over" and q.point is not None
    ]
    return [
        statistics.fmean(probs),
        statistics.pstdev(probs),
        min(probs),
        max(probs),
        statistics.median(spreads) if spreads else math.nan,
        statistics.median(totals) if totals else math.nan,
        statistics.median(margins),
        float(len(probs)),
    ]


@dataclass(frozen=True, slots=True)
class Sample:
    event_id: str
    decision_time: datetime
    ended_at: datetime
    features: list[float]
    home_won: int


def samples_from_data(
    data: BacktestData, decision_hours: float, settle_hours: float = 3.0
) -> list[Sample]:
    """One labelled sample per event with a price and a result, in commence order."""
    lead = timedelta(hours=decision_hours)
    out = []
    for event in data.events:
        if (
            event.home_score is None
            or event.away_score is None
            or event.home_score == event.away_score
        ):
            continue
        view = MarketView(
            EventView(event.id, event.home_team, event.away_team, event.commence_time),
            event.commence_time - lead,
            tuple(data.decision.get(event.id, ())),
        )
        features = event_features(view)
        if features is None:
            continue
        ended = event.completed_at or event.commence_time + timedelta(hours=settle_hours)
        out.append(
            Sample(
                event.id,
                view.decision_time,
                ended,
                features,
                int(event.home_score > event.away_score),
            )
        )
    return out


def fit_model(samples: Sequence[Sample], rounds: int = 150) -> xgboost.Booster:
    """Train a home-win model on ``samples`` (which must all have ended)."""
    if len(samples) < 10:
        raise BacktestError(f"need at least 10 finished games to train, got {len(samples)}")
    xgb = _xgboost()
    matrix = xgb.DMatrix(
        [s.features for s in samples],
        label=[s.home_won for s in samples],
        feature_names=list(FEATURES),
        missing=math.nan,
        nthread=1,
    )
    booster: xgboost.Booster = xgb.train(XGB_PARAMS, matrix, num_boost_round=rounds)
    booster.set_attr(trained_until=max(s.ended_at for s in samples).isoformat())
    return booster


def predict_home(booster: xgboost.Booster, features: Sequence[Sequence[float]]) -> list[float]:
    import numpy as np

    # inplace_predict skips building a DMatrix, which costs ~20 ms per call (thread start-up).
    array = np.asarray(features, dtype=float)
    return [float(p) for p in booster.inplace_predict(array, missing=math.nan)]


def save_model(booster: xgboost.Booster, path: Path, *, decision_hours: float) -> None:
    """Write XGBoost JSON (the extension decides the format: it must be ``.json``)."""
    if path.suffix != ".json":
        raise BacktestError("models are saved as XGBoost JSON: the file name must end in .json")
    booster.set_attr(decision_hours=str(decision_hours), features=",".join(FEATURES))
    path.parent.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(path))


def load_model(path: Path) -> tuple[xgboost.Booster, datetime]:
    """The model and the end of the last game it was trained on."""
    xgb = _xgboost()
    if not path.exists():
        raise BacktestError(f"no model at {path}")
    booster = xgb.Booster(model_file=str(path))
    if booster.attr("features") != ",".join(FEATURES):
        raise BacktestError(f"{path} was trained on other features: {booster.attr('features')}")
    until = booster.attr("trained_until")
    if until is None:
        raise BacktestError(f"{path} does not record when its training data ends")
    return booster, parse_timestamp(until)


@dataclass(frozen=True, slots=True)
class FoldScore:
    test_month: str
    train_games: int
    test_games: int
    model_logloss: float
    market_logloss: float


@dataclass(frozen=True, slots=True)
class TrainReport:
    folds: list[FoldScore]
    games: int
    trained_until: datetime


def _logloss(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    eps = 1e-12
    return -statistics.fmean(
        y * math.log(max(p, eps)) + (1 - y) * math.log(max(1 - p, eps))
        for p, y in zip(probabilities, labels, strict=True)
    )


def walk_forward(
    samples: Sequence[Sample], min_train: int = 100, rounds: int = 150
) -> list[FoldScore]:
    """Expanding-window evaluation by calendar month: train only on games that ended before
    the month began, test on the month; the market's own no-vig probability is the baseline."""
    months = sorted({s.decision_time.strftime("%Y-%m") for s in samples})
    folds = []
    for month in months:
        test = [s for s in samples if s.decision_time.strftime("%Y-%m") == month]
        first = min(s.decision_time for s in test)
        train = [s for s in samples if s.ended_at <= first]
        if len(train) < min_train or not test:
            continue
        model = fit_model(train, rounds)
        predicted = predict_home(model, [s.features for s in test])
        labels = [s.home_won for s in test]
        folds.append(
            FoldScore(
                month,
                len(train),
                len(test),
                _logloss(predicted, labels),
                _logloss([s.features[0] for s in test], labels),
            )
        )
    return folds


async def train_from_database(
    db: Database,
    start: datetime,
    end: datetime,
    output: Path,
    *,
    decision_hours: float = 1.0,
    max_staleness_hours: float | None = 24.0,
    sport_key: str = "basketball_nba",
    min_train: int = 100,
    rounds: int = 150,
) -> TrainReport:
    """Walk-forward evaluation over ``[start, end)``, then one model on every game, saved."""
    data = await load_backtest_data(
        db,
        start,
        end,
        decision_hours=decision_hours,
        max_staleness_hours=max_staleness_hours,
        sport_key=sport_key,
    )
    samples = samples_from_data(data, decision_hours)
    folds = walk_forward(samples, min_train=min_train, rounds=rounds)
    model = fit_model(samples, rounds)
    save_model(model, output, decision_hours=decision_hours)
    return TrainReport(folds, len(samples), max(s.ended_at for s in samples))

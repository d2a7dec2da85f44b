"""An in-memory market with a known truth, for tests that need many games (no database)."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from oddscore.backtest.data import BacktestData, EventInfo
from oddscore.backtest.market import MarketQuote
from oddscore.prices.odds import decimal_to_american

START = datetime(2023, 10, 24, 23, 0, tzinfo=UTC)


def _american(p: float, margin: float) -> int:
    return round(decimal_to_american(1.0 / (p * (1.0 + margin))))


def synthetic_market(
    games: int, *, seed: int = 7, per_day: int = 6
) -> tuple[BacktestData, dict[str, float]]:
    """Home-win probabilities drawn at random; a book quoting them with a 4.5% margin."""
    rng = random.Random(seed)
    events, decision, truth = [], {}, {}
    for n in range(games):
        commence = START + timedelta(days=n // per_day, minutes=30 * (n % per_day))
        strength = rng.gauss(0.0, 1.0)
        p_home = 1.0 / (1.0 + math.exp(-(0.25 + 0.8 * strength)))
        home_won = rng.random() < p_home
        event_id = f"syn{n:05d}"
        truth[event_id] = p_home
        events.append(
            EventInfo(
                event_id,
                f"Home {n}",
                f"Away {n}",
                commence,
                "final",
                110 if home_won else 100,
                100 if home_won else 110,
                commence + timedelta(hours=2, minutes=30),
            )
        )
        quoted = commence - timedelta(hours=2)
        # The book's prices are noisy: its opinion is the truth plus a logit error.
        book_p = 1.0 / (1.0 + math.exp(-(math.log(p_home / (1 - p_home)) + rng.gauss(0, 0.35))))
        quotes = []
        for name, p in ((f"Home {n}", book_p), (f"Away {n}", 1 - book_p)):
            price = _american(p, 0.045)
            decimal = 1 + price / 100 if price > 0 else 1 + 100 / -price
            quotes.append(MarketQuote("book", "h2h", name, None, price, decimal, quoted))
        decision[event_id] = quotes
    return BacktestData(events, decision, {}), truth

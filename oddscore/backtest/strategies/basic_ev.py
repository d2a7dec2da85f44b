"""``basic_ev``: bet retail prices that beat the de-vigged sharp fair price by a minimum EV."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field

from oddscore.analytics.devig import DevigMethod
from oddscore.backtest.board import Board
from oddscore.backtest.board_picks import best_ev, ev_candidates
from oddscore.backtest.market import MarketQuote, MarketView
from oddscore.backtest.strategies.base import (
    BetIntent,
    BettingStrategy,
    StrategyParams,
    intents_by_event,
)

__all__ = ["BasicEvParams", "BasicEvStrategy"]


class BasicEvParams(StrategyParams):
    sharp_books: list[str] = Field(default_factory=lambda: ["pinnacle"], min_length=1)
    # None: every book that is not sharp.
    retail_books: list[str] | None = None
    devig_method: DevigMethod = DevigMethod.MULTIPLICATIVE
    min_ev: float = Field(default=0.02, ge=0.0)
    markets: list[str] = Field(default_factory=lambda: ["h2h"], min_length=1)
    # Highest-EV bets kept per event (one side per market at most).
    max_bets_per_event: int = Field(default=1, ge=1)


class BasicEvStrategy(BettingStrategy[BasicEvParams]):
    name = "basic_ev"
    description = "Retail prices with EV >= min_ev against the de-vigged sharp consensus."
    Params = BasicEvParams

    def quotes_used(self) -> tuple[list[str] | None, list[str] | None]:
        p = self.params
        books = None if p.retail_books is None else [*p.sharp_books, *p.retail_books]
        return books, list(p.markets)

    def _candidates(self, view: MarketView) -> dict[str, list[tuple[float, MarketQuote, float]]]:
        """Per market, every retail quote with a fair price: (EV, quote, fair probability),
        in the order the books and outcomes are visited. Independent of ``min_ev`` and
        ``max_bets_per_event``, so a sweep over those computes it once per board."""
        p = self.params
        sharp = tuple(p.sharp_books)
        method = p.devig_method
        out: dict[str, list[tuple[float, MarketQuote, float]]] = {}
        for market in p.markets:
            found = out.setdefault(market, [])
            books = p.retail_books if p.retail_books is not None else view.books(market)
            # A point-free market has one line: its fair price is shared by every quote.
            shared = view.fair_probabilities(market, sharp, method) if market == "h2h" else None
            for book in books:
                if book in sharp:
                    continue
                for quote in view.outcome_set(book, market) or ():
                    if market == "h2h":
                        fair = shared
                    else:
                        # Lines must match: the sharp set is taken at this quote's own point.
                        fair = view.fair_probabilities(
                            market, sharp, method, point_of=(quote.outcome, quote.point)
                        )
                    if fair is None:
                        continue
                    prob = fair.get(quote.outcome)
                    if prob is None:
                        continue
                    found.append((prob * quote.decimal - 1.0, quote, prob))
        return out

    def decide(self, view: MarketView) -> Sequence[BetIntent]:
        p = self.params
        key = (
            "basic_ev",
            tuple(p.sharp_books),
            None if p.retail_books is None else tuple(p.retail_books),
            p.devig_method,
            tuple(p.markets),
        )
        candidates = view.memo(key, lambda: self._candidates(view))
        best: dict[str, tuple[float, MarketQuote, float]] = {}  # market -> best candidate
        for market in p.markets:
            for ev, quote, prob in candidates[market]:
                if ev >= p.min_ev and (market not in best or ev > best[market][0]):
                    # One side per market: never both sides, never two books.
                    best[market] = (ev, quote, prob)
        ranked = sorted(best.values(), key=lambda c: -c[0])[: p.max_bets_per_event]
        return [BetIntent(quote, probability=prob) for _ev, quote, prob in ranked]

    def decide_all(self, board: Board) -> Mapping[str, Sequence[BetIntent]] | None:
        cls = type(self)
        if cls.decide is not BasicEvStrategy.decide or cls._candidates is not _CANDIDATES:
            return None  # a subclass decides its own way
        p = self.params
        found = ev_candidates(board, p.sharp_books, p.retail_books, p.devig_method, p.markets)
        rows, probabilities = best_ev(found, p.min_ev, p.max_bets_per_event)
        return intents_by_event(board, rows.tolist(), probabilities.tolist())


_CANDIDATES = BasicEvStrategy._candidates

"""A fair line from several sharp books (BETTING_MATH.md d3)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

__all__ = ["exchange_effective_odds", "fair_line"]


def exchange_effective_odds(decimal: float, commission: float) -> float:
    """Back odds after commission on net winnings: ``1 + (d - 1)(1 - commission)``."""
    if not 0.0 <= commission < 1.0:
        raise ValueError(f"commission must be in [0, 1), got {commission}")
    return 1.0 + (decimal - 1.0) * (1.0 - commission)


def fair_line(
    book_probabilities: Mapping[str, Sequence[float]],
    weights: Mapping[str, float] | None = None,
    *,
    robust: bool = False,
    exclude: str | None = None,
) -> tuple[float, ...]:
    """Consensus fair probabilities from each sharp book's de-vigged probabilities.

    Weighted mean ``sum(w_b p_ib) / sum(w_b)`` (equal weights by default; give a stale book
    weight 0), or with ``robust=True`` the per-outcome median renormalized to sum to 1.
    ``exclude`` drops the book being evaluated, so a book is never compared with itself.
    """
    books = {k: v for k, v in book_probabilities.items() if k != exclude}
    if weights is not None:
        books = {k: v for k, v in books.items() if weights.get(k, 0.0) > 0.0}
    if not books:
        raise ValueError("no sharp book to build a fair line from")
    sizes = {len(v) for v in books.values()}
    if len(sizes) != 1:
        raise ValueError("every book must price the same outcomes")
    columns = list(zip(*books.values(), strict=True))
    if robust:
        medians = [statistics.median(col) for col in columns]
        total = sum(medians)
        return tuple(m / total for m in medians)
    w = [1.0 if weights is None else weights[k] for k in books]
    w_total = sum(w)
    return tuple(sum(wi * p for wi, p in zip(w, col, strict=True)) / w_total for col in columns)

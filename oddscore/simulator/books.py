"""How each simulated bookmaker prices: margin, noise, speed and when it opens a game.

Pinnacle is the sharp reference (low margin, little noise, moves at once); Circa is nearly as
sharp; the US retail books charge 4-5%, add more noise of their own and follow the market
late, which is what a line-shopping or CLV strategy has to find.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from oddscore.simulator.catalog import bookmaker_title, region_of

__all__ = ["DEFAULT_BOOK_PROFILES", "BookProfile", "profiles_for"]


@dataclass(frozen=True, slots=True)
class BookProfile:
    """One bookmaker's pricing behaviour.

    ``noise`` is the standard deviation, in points of margin, of the book's own opinion
    around the market's; ``lag`` is how far behind the market its quotes are; it re-prices
    every ``update_interval`` and posts a game ``opens_before`` its tip-off.

    Example: ``BookProfile("lowvig", "LowVig.ag", "us", 0.02, 0.025, 0.5)``
    """

    key: str
    title: str
    region: str
    h2h_margin: float
    line_margin: float  # spreads and totals
    noise: float
    lag: timedelta = timedelta(0)
    update_interval: timedelta = timedelta(minutes=5)
    opens_before: timedelta = timedelta(hours=96)


def _retail(
    key: str, h2h: float, line: float, noise: float, lag: int, every: int, opens: int
) -> BookProfile:
    return BookProfile(
        key,
        bookmaker_title(key),
        region_of(key),
        h2h,
        line,
        noise,
        timedelta(minutes=lag),
        timedelta(minutes=every),
        timedelta(hours=opens),
    )


DEFAULT_BOOK_PROFILES: dict[str, BookProfile] = {
    profile.key: profile
    for profile in (
        _retail("pinnacle", 0.025, 0.025, 0.25, 0, 5, 120),
        _retail("circasports", 0.03, 0.035, 0.4, 10, 10, 108),
        _retail("draftkings", 0.045, 0.0476, 0.9, 45, 20, 96),
        _retail("fanduel", 0.043, 0.045, 0.85, 40, 20, 96),
        _retail("betmgm", 0.05, 0.0476, 1.0, 60, 30, 84),
        _retail("williamhill_us", 0.048, 0.0476, 1.0, 60, 30, 84),
        _retail("betrivers", 0.05, 0.05, 1.1, 75, 30, 72),
        _retail("bovada", 0.045, 0.0476, 1.0, 60, 30, 96),
    )
}


def profiles_for(books: Iterable[str | BookProfile]) -> tuple[BookProfile, ...]:
    """Profiles for book keys (known ones tuned above, others priced like a retail book)."""
    profiles: list[BookProfile] = []
    for book in books:
        if isinstance(book, BookProfile):
            profiles.append(book)
        elif book in DEFAULT_BOOK_PROFILES:
            profiles.append(DEFAULT_BOOK_PROFILES[book])
        else:
            profiles.append(_retail(book, 0.05, 0.0476, 1.0, 60, 30, 72))
    return tuple(profiles)

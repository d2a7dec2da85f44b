from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oddscore.scheduling.tiers import FetchTier, hours_until, tier_for


@pytest.mark.parametrize(
    ("hours", "tier"),
    [
        (200.0, FetchTier.OPENING),
        (72.0, FetchTier.OPENING),
        (71.99, FetchTier.EARLY),
        (24.0, FetchTier.EARLY),
        (23.9, FetchTier.SHARP),
        (12.0, FetchTier.SHARP),
        (11.9, FetchTier.PREGAME),
        (3.0, FetchTier.PREGAME),
        (2.99, FetchTier.CLOSING),
        (0.0, FetchTier.CLOSING),
        (-0.01, None),
    ],
)
def test_tier_boundaries(hours: float, tier: FetchTier | None) -> None:
    assert tier_for(hours) == tier


def test_hours_until_is_signed() -> None:
    tip = datetime(2024, 1, 2, 0, 10, tzinfo=UTC)
    assert hours_until(tip, datetime(2024, 1, 1, 11, 55, tzinfo=UTC)) == pytest.approx(12.25)
    assert hours_until(tip, datetime(2024, 1, 2, 1, 10, tzinfo=UTC)) == pytest.approx(-1.0)

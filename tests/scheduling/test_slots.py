from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oddscore.scheduling.slots import already_covered, slot_key

AT = datetime(2026, 11, 29, 18, 4, 30, tzinfo=UTC)


def test_slot_key_names_deployment_and_minute() -> None:
    assert (
        slot_key("fetch-odds/fetch-odds-local", AT)
        == "fetch-odds/fetch-odds-local:2026-11-29T18:05Z"
    )
    assert slot_key("fetch-odds/a", AT) != slot_key("fetch-odds/b", AT)
    assert slot_key("fetch-odds/a", AT) == slot_key("fetch-odds/a", AT + timedelta(seconds=20))


def test_an_equal_or_earlier_pending_run_covers_the_slot() -> None:
    slot = datetime(2026, 11, 29, 18, 5, tzinfo=UTC)
    assert already_covered(AT, [slot])
    assert already_covered(AT, [slot - timedelta(hours=1)])
    assert not already_covered(AT, [slot + timedelta(minutes=1)])
    assert not already_covered(AT, [])

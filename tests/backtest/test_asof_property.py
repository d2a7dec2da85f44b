"""Property: quotes observed after an event's decision time never reach its decision set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.backtest.data import EventInfo, _as_of_sets, _Timestamps

TIP = datetime(2024, 1, 10, 0, 0, tzinfo=UTC)
EVENTS = [
    EventInfo(f"e{i}", "Home", "Away", TIP + timedelta(hours=3 * i), "final", 1, 0, None)
    for i in range(3)
]
LEAD = timedelta(hours=1)
STALE = timedelta(hours=6)

row = st.tuples(
    st.integers(0, 2),  # event
    st.sampled_from(["dk", "fd"]),
    st.sampled_from(["h2h", "totals"]),
    st.sampled_from(["Home", "Away"]),
    st.integers(-600, 600).filter(lambda p: abs(p) >= 100),
    st.integers(1, 12 * 60),  # minutes before tip
    st.sampled_from([True, True, True, False]),  # valid
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """The scan's timestamps on PostgreSQL: epoch microseconds."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _rows(spec: list[tuple[int, str, str, str, int, int, bool]]) -> list[tuple]:
    return [
        (
            f"e{e}",
            book,
            market,
            outcome,
            None,
            price,
            _micros(EVENTS[e].commence_time - timedelta(minutes=minutes)),
            valid,
        )
        for e, book, market, outcome, price, minutes, valid in spec
    ]


def _brute_force(rows: list[tuple]) -> set[tuple]:
    """The rule stated plainly: per (event, book, market), the valid rows of the latest
    eligible observation."""
    out = set()
    by_market: dict[tuple, list[tuple]] = {}
    for r in rows:
        by_market.setdefault(r[:3], []).append(r)
    for group in by_market.values():
        event = next(e for e in EVENTS if e.id == group[0][0])
        decision = event.commence_time - LEAD
        eligible = [r for r in group if _micros(decision - STALE) <= r[6] <= _micros(decision)]
        if eligible:
            latest = max(r[6] for r in eligible)
            when = EPOCH + timedelta(microseconds=latest)
            out |= {
                (r[0], r[1], r[2], r[3], r[5], when) for r in eligible if r[6] == latest and r[7]
            }
    return out


def _decided(rows: list[tuple]) -> set[tuple]:
    decision, _ = _as_of_sets(rows, EVENTS, LEAD, STALE, _Timestamps(textual=False))
    return {
        (event_id, q.book, q.market, q.outcome, q.price, q.quote_time)
        for event_id, quotes in decision.items()
        for q in quotes
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(row, max_size=40), st.lists(row, max_size=20))
def test_later_quotes_change_no_decision(past: list, late: list) -> None:
    rows = _rows(past)
    assert _decided(rows) == _brute_force(rows)
    # Any number of quotes after the decision time (but before tip) changes nothing.
    later = [(e, b, m, o, p, minutes % 59 + 1, v) for e, b, m, o, p, minutes, v in late]
    assert _decided(rows + _rows(later)) == _decided(rows)

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
)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """The scan's timestamps on PostgreSQL: epoch microseconds."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def _rows(spec: list[tuple[int, str, str, str, int, int]], first_id: int = 1) -> list[tuple]:
    return [
        (
            f"e{e}",
            book,
            market,
            outcome,
            None,
            None,
            price,
            _micros(EVENTS[e].commence_time - timedelta(minutes=minutes)),
            first_id + n,
        )
        for n, (e, book, market, outcome, price, minutes) in enumerate(spec)
    ]


def _brute_force(rows: list[tuple]) -> set[tuple]:
    """The rule stated plainly: latest eligible per key, ties to the higher id."""
    out = set()
    by_key: dict[tuple, list[tuple]] = {}
    for r in rows:
        by_key.setdefault(r[:5], []).append(r)
    for group in by_key.values():
        event = next(e for e in EVENTS if e.id == group[0][0])
        decision = event.commence_time - LEAD
        eligible = [r for r in group if _micros(decision - STALE) <= r[7] <= _micros(decision)]
        if eligible:
            best = max(eligible, key=lambda r: (r[7], r[8]))
            when = EPOCH + timedelta(microseconds=best[7])
            out.add((best[0], best[1], best[2], best[3], best[6], when))
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
    later = [(e, b, m, o, p, minutes % 59 + 1) for e, b, m, o, p, minutes in late]
    assert _decided(rows + _rows(later, first_id=1000)) == _decided(rows)

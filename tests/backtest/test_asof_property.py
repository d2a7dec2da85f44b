"""Property: quotes observed after an event's decision time never reach its decision set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from oddscore.backtest.data import (
    _OUTCOME_SLOTS,
    _OUTCOMES,
    EventInfo,
    _as_of_sets,
    _Packed,
    _Scan,
    _Timestamps,
)

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
    st.sampled_from(["Home", "Away", "Over", "Draw"]),
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


def _packed(rows: list[tuple]) -> _Packed:
    """``rows`` as the packed scan gives them (the database codes event, market, outcome)."""
    markets = ["totals", "h2h"]  # the coded order need not be sorted
    keys = np.array([7, 3, 11], dtype=np.int64)  # like SQLite rowids: any distinct ints

    def slot(event: EventInfo, outcome: str) -> int:
        if outcome == event.home_team:
            return 0
        return 1 if outcome == event.away_team else 2 + _OUTCOMES.index(outcome)

    index = {e.id: i for i, e in enumerate(EVENTS)}
    code = [
        (int(keys[index[e]]) * len(markets) + markets.index(m)) * _OUTCOME_SLOTS
        + slot(EVENTS[index[e]], o)
        for e, _, m, o, *_ in rows
    ]
    return _Packed(
        markets,
        keys,
        code,
        [r[1] for r in rows],
        [r[4] for r in rows],
        [r[5] * 2 + int(r[7]) for r in rows],
        [r[6] for r in rows],
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(row, max_size=40), st.lists(st.sampled_from([None, -2.5, 3.0]), max_size=40))
def test_the_packed_scan_decodes_to_the_plain_one(spec: list, points: list) -> None:
    rows = [
        (*r[:4], points[i] if i < len(points) else None, *r[5:]) for i, r in enumerate(_rows(spec))
    ]
    plain = _Scan.of(rows, EVENTS)
    packed = _Scan.of_packed(_packed(rows), EVENTS)
    for name in ("books", "markets", "outcomes", "distinct"):
        assert getattr(packed, name) == getattr(plain, name)
    for name in ("event", "book", "market", "outcome", "price", "valid", "rank"):
        assert getattr(packed, name).tolist() == getattr(plain, name).tolist()
    assert np.array_equal(packed.point, plain.point, equal_nan=True)

"""Status reads: quota, fetch health, data quality, per-book and per-tier activity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oddscore.queries.status import (
    book_activity,
    fetch_health,
    quality_summary,
    quota_status,
    row_counts,
    tier_activity,
)
from oddscore.storage import Database, DataQualityLog, FetchLog
from tests.queries.factories import (
    HOME,
    T0,
    Q,
    add_events,
    add_fetch_logs,
    add_quotes,
    event_id,
    make_event,
)

NOW = datetime(2024, 2, 3, 12, 0, tzinfo=UTC)


async def test_quota_counts_only_this_months_spend(db: Database) -> None:
    await add_fetch_logs(
        db,
        [
            FetchLog(
                request_id="jan",
                fetch_time=datetime(2024, 1, 31, 23, tzinfo=UTC),
                api_quota_remaining=500,
                api_quota_used=19_500,
                api_quota_last=30,
            ),
            FetchLog(
                request_id="feb1",
                fetch_time=datetime(2024, 2, 1, 0, tzinfo=UTC),
                api_quota_remaining=19_997,
                api_quota_used=3,
                api_quota_last=3,
            ),
            FetchLog(
                request_id="feb2",
                fetch_time=datetime(2024, 2, 2, 0, tzinfo=UTC),
                api_quota_remaining=19_994,
                api_quota_used=6,
                api_quota_last=3,
            ),
            # A failure without quota headers is newer but reports nothing.
            FetchLog(
                request_id="feb3",
                fetch_time=datetime(2024, 2, 3, 0, tzinfo=UTC),
                success=False,
                error_code="TIMEOUT",
            ),
        ],
    )
    async with db.session() as session:
        quota = await quota_status(session, NOW)
        health = await fetch_health(session, NOW - timedelta(days=7))
        recent = await fetch_health(session, datetime(2024, 2, 2, 12, tzinfo=UTC))
    assert (quota.remaining, quota.used, quota.last_cost) == (19_994, 6, 3)
    assert quota.reported_at == datetime(2024, 2, 2, 0, tzinfo=UTC)
    assert (quota.credits_this_month, quota.requests_this_month) == (6, 3)
    assert (health.requests, health.succeeded) == (4, 3)
    assert health.success_rate == 0.75
    assert health.last_success == datetime(2024, 2, 2, 0, tzinfo=UTC)
    assert health.last_failure == datetime(2024, 2, 3, 0, tzinfo=UTC)
    assert health.last_error == "TIMEOUT"
    assert (recent.requests, recent.success_rate) == (1, 0.0)


async def test_empty_database_reads_cleanly(db: Database) -> None:
    async with db.session() as session:
        quota = await quota_status(session, NOW)
        health = await fetch_health(session, NOW - timedelta(days=7))
        quality = await quality_summary(session)
        counts = await row_counts(session)
    assert quota.remaining is None and quota.credits_this_month == 0
    assert health.success_rate is None and health.last_success is None
    assert quality.invalid_rate is None and quality.findings == {}
    assert set(counts.values()) == {0}


async def test_quality_and_activity(db: Database) -> None:
    await add_events(db, [make_event(1), make_event(2)])
    await add_quotes(
        db,
        event_id(1),
        [
            Q("draftkings", "h2h", HOME, -150, at=T0 - timedelta(hours=2)),
            Q("draftkings", "h2h", HOME, 50, at=T0 - timedelta(hours=1), valid=False),
            Q("fanduel", "h2h", HOME, -140, at=T0 - timedelta(hours=1)),
        ],
        tiers={T0 - timedelta(hours=2): "closing", T0 - timedelta(hours=1): "closing"},
    )
    await add_quotes(
        db,
        event_id(2),
        [Q("fanduel", "h2h", HOME, -120, at=T0 - timedelta(days=2))],
        tiers={T0 - timedelta(days=2): "early"},
    )
    async with db.session() as session:
        session.add_all(
            [
                DataQualityLog(issue_type="price_bounds", description="+50", severity="error"),
                DataQualityLog(issue_type="stale", description="old", severity="warning"),
                DataQualityLog(issue_type="stale", description="old", severity="warning"),
            ]
        )
    async with db.session() as session:
        quality = await quality_summary(session)
        books = await book_activity(session)
        tiers = await tier_activity(session)
    assert (quality.odds_rows, quality.invalid_rows) == (4, 1)
    assert quality.invalid_rate == 0.25
    assert quality.findings == {"error": 1, "warning": 2}
    assert sorted((b.bookmaker_key, b.rows, b.events) for b in books) == [
        ("draftkings", 2, 1),
        ("fanduel", 2, 2),
    ]
    by_tier = {t.tier: (t.snapshots, t.events) for t in tiers}
    assert by_tier == {"closing": (2, 1), "early": (1, 1)}

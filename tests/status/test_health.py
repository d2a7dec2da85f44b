"""The status dashboard's health reads, on both backends, from rows inserted through the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oddscore.queries.health import flow_activity, project_quota, validation_rate
from oddscore.queries.overview import status_overview
from oddscore.storage import Database, Event, FetchLog, OddsSnapshot
from oddscore.storage.models import DataQualityLog

NOW = datetime(2024, 1, 20, 12, 0, tzinfo=UTC)
TIP = NOW + timedelta(hours=6)


def fetch(
    n: int, *, at: datetime, flow: str | None, endpoint: str, ok: bool = True, cost: int = 0
) -> FetchLog:
    return FetchLog(
        request_id=f"req-{n}",
        fetch_time=at,
        endpoint=endpoint,
        sport_key="basketball_nba",
        flow_name=flow,
        success=ok,
        api_quota_last=cost if ok else None,
        api_quota_used=100 + n if ok else None,
        api_quota_remaining=19_900 - n if ok else None,
    )


async def seed(db: Database) -> None:
    odds = "/v4/sports/basketball_nba/odds"
    async with db.session() as session:
        session.add(
            Event(
                id="e1",
                sport_key="basketball_nba",
                commence_time=TIP,
                home_team="Denver Nuggets",
                away_team="Los Angeles Lakers",
            )
        )
        session.add_all(
            [
                fetch(1, at=NOW - timedelta(days=10), flow="fetch-odds", endpoint=odds, cost=3),
                fetch(2, at=NOW - timedelta(hours=5), flow="fetch-odds", endpoint=odds, cost=3),
                fetch(3, at=NOW - timedelta(hours=4), flow="fetch-odds", endpoint=odds, ok=False),
                fetch(4, at=NOW - timedelta(hours=3), flow="fetch-odds", endpoint=odds, cost=3),
                fetch(
                    5,
                    at=NOW - timedelta(hours=2),
                    flow=None,
                    endpoint="/v4/sports/basketball_nba/scores",
                    cost=2,
                ),
            ]
        )
        await session.flush()
        for hours in (5, 3, 1):
            session.add(
                OddsSnapshot(
                    event_id="e1",
                    snapshot_time=NOW - timedelta(hours=hours),
                    raw_data={},
                    fetch_tier="pregame",
                )
            )
        session.add(OddsSnapshot(event_id="e1", snapshot_time=NOW - timedelta(days=9), raw_data={}))
        # Two findings on one snapshot (one flagged snapshot), an info finding on another.
        for severity in ("warning", "error"):
            session.add(
                DataQualityLog(
                    event_id="e1",
                    snapshot_time=NOW - timedelta(hours=5),
                    severity=severity,
                    issue_type="line_jump",
                    description="x",
                )
            )
        session.add(
            DataQualityLog(
                event_id="e1",
                snapshot_time=NOW - timedelta(hours=3),
                severity="info",
                issue_type="missing_bookmakers",
                description="y",
            )
        )


async def test_flow_activity_groups_by_flow_and_names_unlabelled_fetches(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        flows = {f.flow: f for f in await flow_activity(session, NOW - timedelta(days=7))}
    assert set(flows) == {"fetch-odds", "scores"}
    odds = flows["fetch-odds"]
    assert (odds.requests, odds.succeeded, odds.credits) == (3, 2, 6)  # the 10-day-old one is out
    assert odds.success_rate == 2 / 3
    assert odds.last_success == NOW - timedelta(hours=3)
    assert odds.last_failure == NOW - timedelta(hours=4)
    assert flows["scores"].last_success == NOW - timedelta(hours=2)
    assert flows["scores"].last_failure is None


async def test_validation_rate_counts_snapshots_with_a_warning_or_worse(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        rate = await validation_rate(session, NOW - timedelta(days=7))
    assert rate.snapshots == 3
    assert rate.flagged == 1
    assert rate.warning_rate == 1 / 3
    assert rate.findings == {"warning": 1, "error": 1, "info": 1}


async def test_the_overview_carries_the_health_fields(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        page = await status_overview(session, NOW, database="x", plan_quota=20_000)
    assert [f.flow for f in page.flows] == ["fetch-odds", "scores"]
    assert page.validation is not None and page.validation.flagged == 1
    assert page.projection is not None
    assert page.projection.used == 105  # the provider's counter of the latest fetch
    assert page.projection.projected_month_end is not None
    assert page.projection.projected_month_end > 105


def test_projection_extrapolates_this_months_burn_rate() -> None:
    now = datetime(2026, 11, 16, tzinfo=UTC)  # 15 of 30 days gone
    p = project_quota(
        plan=20_000, remaining=15_000, used=5_000, logged_this_month=4_000, reported_at=now, now=now
    )
    assert p.projected_month_end == 10_000
    assert p.projected_share == 0.5
    assert p.pacing == "normal"
    assert p.reset_at == datetime(2026, 12, 1, tzinfo=UTC)
    tight = project_quota(
        plan=20_000,
        remaining=2_000,
        used=18_000,
        logged_this_month=18_000,
        reported_at=now,
        now=now,
    )
    assert tight.projected_month_end == 36_000
    assert tight.pacing != "normal"


def test_last_months_counters_do_not_count() -> None:
    now = datetime(2026, 11, 16, tzinfo=UTC)
    stale = datetime(2026, 10, 30, tzinfo=UTC)
    p = project_quota(
        plan=20_000, remaining=100, used=19_900, logged_this_month=0, reported_at=stale, now=now
    )
    assert p.used == 0
    assert p.remaining == 20_000
    assert p.projected_month_end == 0

"""The demo's report as data: what was collected, what it cost, what the strategies did.

Everything here is read back from the database (and the simulator's ledger), not from the
collection loop's own counters, so the report shows what the product actually stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from oddscore.backtest.results import BacktestResult
from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.replay import ReplayGame, fixed_interval
from oddscore.scheduling.tiers import TIERS
from oddscore.storage.models import DataQualityLog, Event, FetchLog, Odds, OddsSnapshot

__all__ = [
    "CreditReport",
    "DemoReport",
    "QualityReport",
    "StrategyRow",
    "credit_report",
    "game_counts",
    "quality_report",
    "strategy_row",
    "tier_counts",
]

EVENTS = Event.__table__  # type: ignore[attr-defined]
SNAPSHOTS = OddsSnapshot.__table__  # type: ignore[attr-defined]
ODDS = Odds.__table__  # type: ignore[attr-defined]
EV, SN, OD = EVENTS.c, SNAPSHOTS.c, ODDS.c
FL = FetchLog.__table__.c  # type: ignore[attr-defined]
QL = DataQualityLog.__table__.c  # type: ignore[attr-defined]
TIER_NAMES = tuple(spec.tier.value for spec in TIERS)


@dataclass(frozen=True, slots=True)
class TierRow:
    tier: str
    snapshots: int
    games: int  # games of the window with at least one snapshot in this tier


@dataclass(frozen=True, slots=True)
class CreditReport:
    used: int  # what the simulated provider charged (its ledger)
    by_endpoint: dict[str, int]  # odds / scores / events -> credits, from the fetch log
    calls: dict[str, int]  # odds / scores / events -> requests
    fixed_polling: int  # /odds every 30 minutes over the same window (the cost estimator)
    fixed_polling_calls: int
    per_call: int  # credits of one /odds call for the configured books and markets

    @property
    def odds_saving(self) -> float | None:
        """Share of fixed polling's /odds credits the intelligence did not spend."""
        odds = self.by_endpoint.get("odds", 0)
        return None if not self.fixed_polling else 1.0 - odds / self.fixed_polling


@dataclass(frozen=True, slots=True)
class QualityReport:
    odds_rows: int
    invalid_rows: int
    by_severity: dict[str, int]
    by_issue: dict[str, int]  # "issue type (severity)" -> findings, most frequent first


@dataclass(frozen=True, slots=True)
class StrategyRow:
    strategy: str
    bets: int
    wins: int
    losses: int
    turnover: float
    profit: float
    yield_: float | None
    roi: float
    clv_mean: float | None
    beat_close: float | None
    max_drawdown: float


@dataclass(slots=True)
class DemoReport:
    """Everything ``odds demo`` prints (and ``--json`` writes)."""

    start: datetime
    end: datetime
    seed: int
    database: Path
    games: int
    finals: int
    statuses: dict[str, int]
    snapshots: int
    odds_rows: int
    tiers: list[TierRow]
    closing_captured: int  # games with a snapshot within 10 minutes of tip
    runs: dict[str, int]
    credits: CreditReport
    quality: QualityReport
    strategies: list[StrategyRow]
    line_event: str | None = None  # the game whose line movement is drawn
    pictures: dict[str, Path] = field(default_factory=dict)
    elapsed_seconds: float = 0.0
    sport: str = "basketball_nba"


async def game_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[int, int, dict[str, int]]:
    """Games commencing in the window: total, with a final score, and by status."""
    rows = (
        await session.execute(
            select(EV.status, func.count(), func.count(EV.home_score))
            .where(EV.commence_time >= start, EV.commence_time < end)
            .group_by(EV.status)
        )
    ).tuples()
    statuses, total, scored = {}, 0, 0
    for status, count, with_score in rows:
        statuses[str(status)] = int(count)
        total += int(count)
        scored += int(with_score)
    return total, scored, statuses


async def tier_counts(
    session: AsyncSession, start: datetime, end: datetime
) -> tuple[list[TierRow], int, int, int]:
    """Per tier: snapshots and games covered; games with a closing capture; totals."""
    in_window = (EV.commence_time >= start, EV.commence_time < end)
    rows = {
        str(tier): (int(n), int(games))
        for tier, n, games in (
            await session.execute(
                select(SN.fetch_tier, func.count(SN.id), func.count(func.distinct(SN.event_id)))
                .join(EVENTS, EV.id == SN.event_id)
                .where(*in_window)
                .group_by(SN.fetch_tier)
            )
        ).tuples()
    }
    tiers = [TierRow(t, *rows.get(t, (0, 0))) for t in TIER_NAMES]
    closing = (
        await session.execute(
            select(func.count(func.distinct(SN.event_id)))
            .join(EVENTS, EV.id == SN.event_id)
            .where(*in_window, SN.hours_until_commence >= 0, SN.hours_until_commence <= 10 / 60)
        )
    ).scalar_one()
    snapshots, odds_rows = (
        await session.execute(
            select(
                select(func.count()).select_from(SNAPSHOTS).scalar_subquery(),
                select(func.count()).select_from(ODDS).scalar_subquery(),
            )
        )
    ).one()
    return tiers, int(closing), int(snapshots), int(odds_rows)


def _endpoint_kind(endpoint: str) -> str:
    return endpoint.rstrip("/").rsplit("/", 1)[-1] or "other"


async def credit_report(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    policy: SchedulePolicy,
    used: int,
) -> CreditReport:
    """Credits spent per endpoint against polling /odds every 30 minutes over the window.

    Fixed polling is priced with the same cost rules the client checks every answer
    against, for the games as they were listed: from their discovery to their tip-off
    (an /odds call with nothing upcoming is free).
    """
    by_endpoint: dict[str, int] = {}
    calls: dict[str, int] = {}
    for endpoint, count, cost in (
        await session.execute(
            select(FL.endpoint, func.count(FL.id), func.coalesce(func.sum(FL.api_quota_last), 0))
            .where(FL.success.is_(True))
            .group_by(FL.endpoint)
        )
    ).tuples():
        kind = _endpoint_kind(str(endpoint))
        by_endpoint[kind] = by_endpoint.get(kind, 0) + int(cost)
        calls[kind] = calls.get(kind, 0) + int(count)
    listed = (
        await session.execute(select(EV.id, EV.commence_time, EV.created_at, EV.sport_key))
    ).tuples()
    games = [
        ReplayGame(event_id, commence, min(created, commence), commence, True, sport)
        for event_id, commence, created, sport in listed
    ]
    fixed = fixed_interval(games, start, end, policy).result
    return CreditReport(
        used=used,
        by_endpoint=by_endpoint,
        calls=calls,
        fixed_polling=fixed.credits,
        fixed_polling_calls=fixed.requests,
        per_call=policy.odds_fetch_cost,
    )


async def quality_report(session: AsyncSession) -> QualityReport:
    """Findings by severity and by issue type, and odds rows flagged invalid."""
    odds_rows, invalid = (
        await session.execute(
            select(
                func.count(OD.id),
                func.coalesce(func.sum(case((OD.is_valid.is_(False), 1), else_=0)), 0),
            )
        )
    ).one()
    severity = {
        str(s): int(n)
        for s, n in (
            await session.execute(select(QL.severity, func.count(QL.id)).group_by(QL.severity))
        ).tuples()
    }
    issues = {
        f"{t} ({s})": int(n)
        for t, s, n in (
            await session.execute(
                select(QL.issue_type, QL.severity, func.count(QL.id))
                .group_by(QL.issue_type, QL.severity)
                .order_by(func.count(QL.id).desc(), QL.issue_type, QL.severity)
            )
        ).tuples()
    }
    return QualityReport(int(odds_rows), int(invalid), severity, issues)


def strategy_row(result: BacktestResult) -> StrategyRow:
    s = result.summary
    return StrategyRow(
        strategy=result.strategy,
        bets=s.total_bets,
        wins=s.wins,
        losses=s.losses,
        turnover=s.turnover,
        profit=s.profit,
        yield_=s.yield_,
        roi=s.roi,
        clv_mean=s.clv_mean,
        beat_close=s.clv_beat_close_share,
        max_drawdown=s.max_drawdown,
    )

"""``odds validate``: what validation found (by type, book, day), and re-checking stored data.

:func:`recheck` replays the rules over stored raw snapshots, event by event in time order (so
line jumps compare with the previous stored snapshot), with today's thresholds. It updates
``is_valid``/``validation_notes`` of the stored odds rows and replaces the findings of each
rechecked snapshot. Rows excluded at ingestion stay excluded (recheck never adds rows); a
stored row that the rules would now exclude is flagged instead.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import as_utc
from oddscore.ingestion import store
from oddscore.ingestion.pipeline import IngestOptions, finding_row
from oddscore.ingestion.quotes import raw_quotes
from oddscore.ingestion.validation import (
    Action,
    PreviousQuote,
    QuoteKey,
    apply_findings,
    previous_quotes,
    validate_event,
)
from oddscore.storage.models import DataQualityLog, Event, Odds, OddsSnapshot

__all__ = ["RecheckResult", "ValidationReport", "recheck", "validation_report"]

DQ = DataQualityLog.__table__  # type: ignore[attr-defined]
SNAP = OddsSnapshot.__table__  # type: ignore[attr-defined]
EV = Event.__table__  # type: ignore[attr-defined]
ODDS = Odds.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class ValidationReport:
    """Counts of findings; ``excluded_rows`` is how many odds rows validation kept out."""

    findings: int = 0
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_book: list[dict[str, Any]] = field(default_factory=list)
    by_day: list[dict[str, Any]] = field(default_factory=list)
    excluded_rows: int = 0
    flagged_rows: int = 0


def _when(snapshot_time: datetime | None, created_at: datetime) -> date:
    return (snapshot_time or created_at).date()


async def validation_report(
    db: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    issue_type: str | None = None,
) -> ValidationReport:
    """Findings in [since, until) of the snapshot time (or of logging, for payload findings)."""
    conditions = []
    if since is not None:
        conditions.append(DQ.c.snapshot_time >= as_utc(since))
    if until is not None:
        conditions.append(DQ.c.snapshot_time < as_utc(until))
    if issue_type is not None:
        conditions.append(DQ.c.issue_type == issue_type)
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    DQ.c.issue_type,
                    DQ.c.severity,
                    DQ.c.bookmaker_key,
                    DQ.c.snapshot_time,
                    DQ.c.created_at,
                    DQ.c.raw_data,
                ).where(*conditions)
            )
        ).all()
        flagged_query = select(ODDS.c.id).where(ODDS.c.is_valid.is_(False))
        if since is not None:
            flagged_query = flagged_query.where(ODDS.c.odds_timestamp >= as_utc(since))
        if until is not None:
            flagged_query = flagged_query.where(ODDS.c.odds_timestamp < as_utc(until))
        flagged = len((await conn.execute(flagged_query)).all())
    types: Counter[tuple[str, str, str]] = Counter()
    excluded: Counter[str] = Counter()
    books: Counter[str] = Counter()
    days: Counter[date] = Counter()
    for row in rows:
        context = row.raw_data or {}
        action = str(context.get("action", ""))
        types[(row.issue_type, row.severity, action)] += 1
        if action in (Action.EXCLUDE.value, Action.DROP.value):
            excluded[row.issue_type] += int(context.get("rows", 0) or 0)
        books[row.bookmaker_key or "-"] += 1
        days[_when(row.snapshot_time, row.created_at)] += 1
    return ValidationReport(
        findings=len(rows),
        by_type=[
            {
                "issue_type": issue,
                "severity": severity,
                "action": action,
                "findings": count,
                "rows_excluded": excluded[issue] if action in ("exclude", "drop") else 0,
            }
            for (issue, severity, action), count in sorted(types.items(), key=lambda x: -x[1])
        ],
        by_book=[{"bookmaker": b, "findings": n} for b, n in books.most_common()],
        by_day=[{"day": d.isoformat(), "findings": n} for d, n in sorted(days.items())],
        excluded_rows=sum(excluded.values()),
        flagged_rows=flagged,
    )


@dataclass(slots=True)
class RecheckResult:
    snapshots: int = 0
    findings: int = 0
    rows_changed: int = 0


async def recheck(
    db: Any,
    *,
    options: IngestOptions | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_events: int = 200,
) -> RecheckResult:
    """Re-validate stored snapshots with the current rules, ``batch_events`` events at a time."""
    options = options or IngestOptions.from_settings(expect_bookmakers=False)
    now = options.clock.now()
    result = RecheckResult()
    after = ""
    while True:
        async with db.engine.connect() as conn:
            ids = (
                (
                    await conn.execute(
                        select(EV.c.id).where(EV.c.id > after).order_by(EV.c.id).limit(batch_events)
                    )
                )
                .scalars()
                .all()
            )
        if not ids:
            return result
        after = ids[-1]
        work = partial(
            _recheck_events,
            ids=list(ids),
            options=options,
            now=now,
            since=since,
            until=until,
            result=result,
        )
        await store.transaction(db, work)


async def _recheck_events(
    conn: AsyncConnection,
    ids: list[str],
    options: IngestOptions,
    now: datetime,
    since: datetime | None,
    until: datetime | None,
    result: RecheckResult,
) -> None:
    events = {
        r.id: r
        for r in await conn.execute(
            select(
                EV.c.id, EV.c.home_team, EV.c.away_team, EV.c.commence_time, EV.c.sport_key
            ).where(EV.c.id.in_(ids))
        )
    }
    snapshots = (
        await conn.execute(
            select(SNAP.c.id, SNAP.c.event_id, SNAP.c.snapshot_time, SNAP.c.raw_data, SNAP.c.source)
            .where(SNAP.c.event_id.in_(ids))
            .order_by(SNAP.c.event_id, SNAP.c.snapshot_time)
        )
    ).all()
    previous: dict[str, dict[QuoteKey, PreviousQuote]] = {}
    for snap in snapshots:
        event = events[snap.event_id]
        quotes, _ = raw_quotes(snap.raw_data, options.odds_format)
        in_window = (since is None or snap.snapshot_time >= as_utc(since)) and (
            until is None or snap.snapshot_time < as_utc(until)
        )
        findings = validate_event(
            event_id=snap.event_id,
            home_team=event.home_team,
            away_team=event.away_team,
            commence_time=event.commence_time,
            snapshot_time=snap.snapshot_time,
            quotes=quotes,
            rules=options.rules,
            previous=previous.get(snap.event_id),
            expected_markets=options.expected_markets,
            structural_only=not options.validate,
            sport_key=event.sport_key,
        )
        apply_findings(quotes, findings)
        # Even an empty one: ingestion compares with the latest snapshot, quotes or not.
        previous[snap.event_id] = previous_quotes(quotes, snap.snapshot_time)
        if not in_window:
            continue
        result.snapshots += 1
        wanted = {
            (q.bookmaker_key, q.market_key, q.outcome_name, q.outcome_description, q.point): (
                q.is_valid and not q.excluded,
                ",".join(q.notes or ([] if not q.excluded else ["excluded"]))[:500] or None,
            )
            for q in quotes
        }
        stored = await conn.execute(
            select(
                ODDS.c.id,
                ODDS.c.bookmaker_key,
                ODDS.c.market_key,
                ODDS.c.outcome_name,
                ODDS.c.outcome_description,
                ODDS.c.point,
                ODDS.c.is_valid,
                ODDS.c.validation_notes,
            ).where(ODDS.c.snapshot_id == snap.id, ODDS.c.event_id == snap.event_id)
        )
        changes = []
        for row in stored:
            key = (
                row.bookmaker_key,
                row.market_key,
                row.outcome_name,
                row.outcome_description,
                row.point,
            )
            target = wanted.get(key)
            if target is not None and target != (row.is_valid, row.validation_notes):
                changes.append({"b_id": row.id, "valid": target[0], "notes": target[1]})
        if changes:
            await conn.execute(
                update(ODDS)
                .where(ODDS.c.id == bindparam("b_id"))
                .values(is_valid=bindparam("valid"), validation_notes=bindparam("notes")),
                changes,
            )
            result.rows_changed += len(changes)
        await conn.execute(
            delete(DQ).where(
                and_(DQ.c.event_id == snap.event_id, DQ.c.snapshot_time == snap.snapshot_time)
            )
        )
        rows = [
            finding_row(
                f,
                event_id=snap.event_id,
                snapshot_time=snap.snapshot_time,
                source=f"recheck:{snap.source}",
                request_id=None,
                now=now,
            )
            for f in findings
        ]
        await store.insert_findings(conn, rows)
        result.findings += len(rows)

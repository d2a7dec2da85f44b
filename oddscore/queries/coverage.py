"""Tier coverage: which fetch tiers hold at least one snapshot of each event.

Feeds gap reports and backfill planning: an event with no ``closing`` snapshot has no true
closing line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, func, select

from oddscore.clock import as_utc
from oddscore.queries._sql import EVENTS, SNAPSHOTS, in_filter
from oddscore.queries.types import TierCoverage
from oddscore.scheduling.tiers import TIERS

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["PREGAME_TIERS", "tier_coverage"]

EV = EVENTS.c
SN = SNAPSHOTS.c
PREGAME_TIERS: tuple[str, ...] = tuple(spec.tier.value for spec in TIERS)


async def tier_coverage(
    session: AsyncSession,
    *,
    event_ids: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    sport_key: str | None = None,
) -> list[TierCoverage]:
    """Snapshot counts per tier for each selected event (events without any included)."""
    where: list[ColumnElement[bool]] = list(in_filter(EV.id, event_ids))
    if sport_key is not None:
        where.append(EV.sport_key == sport_key)
    if start is not None:
        where.append(EV.commence_time >= as_utc(start))
    if end is not None:
        where.append(EV.commence_time < as_utc(end))
    statement = (
        select(EV.id, EV.commence_time, EV.sport_key, SN.fetch_tier, func.count(SN.id))
        .select_from(EVENTS.outerjoin(SNAPSHOTS, and_(SN.event_id == EV.id)))
        .where(*where)
        .group_by(EV.id, EV.commence_time, EV.sport_key, SN.fetch_tier)
        .order_by(EV.commence_time, EV.id)
    )
    coverage: dict[str, TierCoverage] = {}
    for event_id, commence, sport, tier, count in (await session.execute(statement)).tuples():
        item = coverage.setdefault(event_id, TierCoverage(event_id, commence, {}, sport_key=sport))
        if count:
            item.snapshots[tier or "untiered"] = int(count)
    return [
        TierCoverage(
            c.event_id,
            c.commence_time,
            c.snapshots,
            tuple(t for t in PREGAME_TIERS if t not in c.snapshots),
            c.sport_key,
        )
        for c in coverage.values()
    ]

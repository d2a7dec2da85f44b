"""The one ingestion pipeline: live fetches, historical backfill and file imports all end here.

payload (typed ``EventOdds`` or the raw JSON) + snapshot time + source + request id
-> typed models -> validation -> one transaction that upserts the events, inserts one raw
snapshot per event and its normalized odds rows, records the findings and the fetch log.

Idempotency: a snapshot is keyed by (event, snapshot time); it is inserted with
``ON CONFLICT DO NOTHING`` and odds rows and findings are written only for snapshots that
were new. Ingesting the same payload twice therefore adds nothing, without a unique index on
the big odds table (which would slow every insert and the COPY path).

Atomicity: everything of one payload runs in one transaction; any error rolls all of it back
and surfaces as :class:`~oddscore.exceptions.StorageError` (or ``DataQualityError`` for a
payload that strict mode rejected, via :meth:`IngestResult.raise_if_rejected`).

Example::

    result = await ingest_odds(db, payload["data"], snapshot_time=parse_timestamp(
        payload["timestamp"]), source="import")
    print(result.snapshots_inserted, result.odds_rows)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from oddscore.clock import Clock, SystemClock, as_utc
from oddscore.collector import no_collections
from oddscore.config import Settings, get_settings
from oddscore.exceptions import DataQualityError, MalformedResponseError
from oddscore.ingestion import store
from oddscore.ingestion.events import EventPlan, plan_events, write_events
from oddscore.ingestion.pending import PendingRows
from oddscore.ingestion.quotes import Quote, TimestampCache, quotes_of, raw_quotes
from oddscore.ingestion.screening import refusal_of
from oddscore.ingestion.validation import (
    Action,
    EventChecks,
    Finding,
    PreviousQuote,
    QuoteKey,
    ValidationRules,
    apply_findings,
    check_event,
    check_snapshot_time,
    is_rejecting,
    with_history,
)
from oddscore.provider.models import EventInfo, EventOdds, HistoricalResponse
from oddscore.provider.response import ApiResponse
from oddscore.scheduling.tiers import TierSpec, hours_until, tier_for, tiers_for
from oddscore.storage.models import Severity

__all__ = [
    "IngestOptions",
    "IngestResult",
    "ParsedEvent",
    "check_ahead",
    "fetch_log_row",
    "finding_row",
    "ingest_events",
    "ingest_odds",
    "ingest_response",
    "log_fetch",
    "parse_event_infos",
    "parse_events",
    "write_events_payload",
    "write_odds_payload",
]

_EVENT_INFO = TypeAdapter(EventInfo)
Source = Literal["live", "historical", "import"]
# Told about each event that does not fit: (its index, the event, the problem).
BadEventHandler = Callable[[int, Any, str], None]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How to validate: thresholds, strict mode, what was requested, the price format."""

    rules: ValidationRules = field(default_factory=ValidationRules)
    validate: bool = True
    strict: bool = False
    expected_bookmakers: tuple[str, ...] | None = None
    expected_markets: tuple[str, ...] | None = None
    odds_format: Literal["american", "decimal"] = "american"
    flow_name: str | None = None
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        expect_bookmakers: bool = True,
        **overrides: Any,
    ) -> IngestOptions:
        """Options from the settings; ``expect_bookmakers=False`` for files we did not request."""
        settings = settings or get_settings()
        values: dict[str, Any] = {
            "rules": ValidationRules.from_settings(settings.data_quality),
            "validate": settings.data_quality.enable_validation,
            "strict": settings.data_quality.reject_invalid_odds,
            "expected_bookmakers": (
                tuple(settings.collection.bookmakers) if expect_bookmakers else None
            ),
            "expected_markets": tuple(settings.collection.markets),
            "odds_format": settings.api.odds_format,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(slots=True)
class IngestResult:
    """What one payload (or, summed with ``+=``, a whole import) did."""

    events_inserted: int = 0
    events_updated: int = 0
    events_merged: int = 0
    snapshots_inserted: int = 0
    snapshots_skipped: int = 0
    odds_rows: int = 0
    odds_flagged: int = 0
    odds_excluded: int = 0
    findings: int = 0
    rejected: int = 0
    rejection_reasons: list[str] = field(default_factory=list)
    # Records (events) refused one by one, the rest of their payload stored: values no column
    # or driver can hold, times out of range, events that do not parse (file imports).
    records_refused: int = 0
    refusal_reasons: list[str] = field(default_factory=list)
    # Why quotes were kept out, by issue type (``in_play``: every game had started), so a
    # caller can say why nothing was stored instead of printing zeros.
    excluded_by: dict[str, int] = field(default_factory=dict)

    def __iadd__(self, other: IngestResult) -> IngestResult:
        for name, value in asdict(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            elif name == "excluded_by":
                for issue, count in value.items():
                    self.excluded_by[issue] = self.excluded_by.get(issue, 0) + count
            else:
                setattr(self, name, getattr(self, name) + value)
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def raise_if_rejected(self) -> None:
        if self.rejected:
            raise DataQualityError(
                f"payload rejected by validation (strict mode): "
                f"{'; '.join(self.rejection_reasons[:3])}",
                issues=self.rejection_reasons,
            )


def parse_event_infos(
    payload: Sequence[Any], on_bad: BadEventHandler | None = None
) -> list[EventInfo]:
    """Typed events without odds (``/events`` bodies and historical events files).

    An event that does not fit raises, unless ``on_bad`` is given: it is then called with the
    event's index, the event and the problem, and the other events are returned.
    """
    infos: list[EventInfo] = []
    for index, item in enumerate(payload):
        try:
            infos.append(item if isinstance(item, EventInfo) else _EVENT_INFO.validate_python(item))
        except ValidationError as exc:
            problem = f"payload does not fit the events schema: {_problems(exc)}"
            if on_bad is None:
                raise MalformedResponseError(problem) from exc
            on_bad(index, item, problem)
    return infos


def _problems(exc: ValidationError) -> str:
    """One line naming each bad field, not pydantic's multi-line dump (a CLI prints it)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in err['loc']) or 'event'}: {err['msg']}"
        for err in exc.errors()[:5]
    )


@dataclass(slots=True)
class ParsedEvent:
    """One event of a payload: its raw JSON, its typed header and its quote rows, and, once
    :func:`check_ahead` ran, its screening and history-free checks."""

    raw: dict[str, Any]
    info: EventInfo
    quotes: list[Quote]
    bookmaker_count: int
    screened: bool = False
    refusal: Finding | None = None
    checks: EventChecks | None = None


def parse_events(
    payload: Sequence[Any],
    odds_format: Literal["american", "decimal"] = "american",
    on_bad: BadEventHandler | None = None,
) -> list[ParsedEvent]:
    """Typed events with their quotes; raw JSON is rebuilt from the models only when absent.

    Raw dicts are checked by :func:`~oddscore.ingestion.quotes.raw_quotes` (the hot path of
    imports); ``EventOdds`` models (from the client) are already validated. An event that does
    not fit raises ``MalformedResponseError``, unless ``on_bad`` is given: it is then called
    with the event's index, the event and the problem, and the other events are returned.
    """
    parsed: list[ParsedEvent] = []
    timestamps = TimestampCache()
    # Building ~100k small objects creates no reference cycles; pausing the cyclic collector
    # while doing it saves a third of the parse time on a large heap.
    with no_collections():
        for index, item in enumerate(payload):
            try:
                parsed.append(_parse_event(index, item, odds_format, timestamps))
            except MalformedResponseError as exc:
                if on_bad is None:
                    raise
                on_bad(index, item, str(exc))
    return parsed


def _parse_event(
    index: int,
    item: Any,
    odds_format: Literal["american", "decimal"],
    timestamps: TimestampCache,
) -> ParsedEvent:
    if isinstance(item, EventOdds):
        return ParsedEvent(
            item.model_dump(mode="json", exclude_none=True),
            item,
            quotes_of(item, odds_format),
            len(item.bookmakers),
        )
    if not isinstance(item, Mapping):
        raise MalformedResponseError(f"event {index} is not an object: {type(item)!r}")
    header = {k: v for k, v in item.items() if k != "bookmakers"}
    try:
        info = _EVENT_INFO.validate_python(header)
    except ValidationError as exc:
        raise MalformedResponseError(
            f"payload does not fit the odds schema: event {index}: {_problems(exc)}"
        ) from exc
    quotes, books = raw_quotes(item, odds_format, timestamps)
    return ParsedEvent(dict(item), info, quotes, books)


def check_ahead(
    parsed: Sequence[ParsedEvent],
    snapshot_time: datetime,
    options: IngestOptions,
    *,
    texts_storable: bool = False,
) -> None:
    """Screen each event and run its rules that need no stored history, before its
    transaction (pure: a file import does it in the thread that parses the file, while the
    database writes the group before). :func:`write_odds_payload` then runs only the movement
    rule, given the same ``snapshot_time`` and ``options``. A snapshot time it would refuse
    (in the future, out of range) is left to it: none of its events is checked then, and
    their times could not even be compared with it."""
    if check_snapshot_time(snapshot_time, options.clock.now()) is not None:
        return  # the payload decides again with its own now, and checks inline if it must
    for item in parsed:
        item.refusal = refusal_of(item.info, item.quotes, None if texts_storable else item.raw)
        item.screened = True
        if item.refusal is None:
            item.checks = _checks(item, item.info.id, snapshot_time, options)


def _checks(
    item: ParsedEvent, event_id: str, snapshot_time: datetime, options: IngestOptions
) -> EventChecks:
    event = item.info
    return check_event(
        event_id=event_id,
        home_team=event.home_team,
        away_team=event.away_team,
        commence_time=event.commence_time,
        snapshot_time=snapshot_time,
        quotes=item.quotes,
        rules=options.rules,
        expected_bookmakers=options.expected_bookmakers,
        expected_markets=options.expected_markets,
        structural_only=not options.validate,
        american_prices=options.odds_format == "american",
        sport_key=event.sport_key,
    )


def finding_row(
    finding: Finding,
    *,
    event_id: str | None,
    snapshot_time: datetime,
    source: str,
    request_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    context: dict[str, Any] = {"action": finding.action.value, "source": source}
    if request_id:
        context["request_id"] = request_id
    if finding.outcomes:
        context["outcomes"] = sorted({o[0] for o in finding.outcomes})
    context.update(finding.context)
    return {
        "event_id": event_id,
        "snapshot_time": snapshot_time,
        "bookmaker_key": finding.bookmaker_key,
        "market_key": finding.market_key,
        "severity": finding.severity.value,
        "issue_type": finding.issue_type,
        "description": finding.description[:1000],
        "raw_data": context,
        "created_at": now,
    }


def fetch_log_row(
    response: ApiResponse[Any],
    *,
    events: Sequence[EventInfo],
    parsed: Sequence[ParsedEvent] = (),
    snapshot_time: datetime,
    flow_name: str | None,
    rejected: list[str],
) -> dict[str, Any]:
    parts = response.endpoint.strip("/").split("/")
    sport = parts[parts.index("sports") + 1] if "sports" in parts[:-1] else ""
    books = {q.bookmaker_key for e in parsed for q in e.quotes}
    upcoming = [(hours_until(e.commence_time, snapshot_time), e.sport_key) for e in events]
    nearest = min(((h, key) for h, key in upcoming if h >= 0), default=None)
    tier = tier_for(nearest[0], tiers_for(nearest[1])) if nearest else None
    return {
        "request_id": response.request_id,
        "fetch_time": as_utc(response.fetched_at),
        "endpoint": response.endpoint[:200],
        "sport_key": sport[:64],
        "params": dict(response.params),
        "flow_name": flow_name,
        "fetch_tier": tier.value if tier else None,
        "status_code": response.status_code,
        "events_count": len(events),
        "bookmakers_count": len(books),
        "success": True,
        "error_code": "DATA_REJECTED" if rejected else None,
        "error_message": "; ".join(rejected)[:1000] if rejected else None,
        "api_quota_remaining": response.quota.remaining,
        "api_quota_used": response.quota.used,
        "api_quota_last": response.quota.last,
        "response_time_ms": int(round(response.elapsed_ms)),
    }


@dataclass(slots=True)
class _EventSnapshot:
    parsed: ParsedEvent
    stored_id: str
    findings: list[Finding]

    @property
    def quotes(self) -> list[Quote]:
        return self.parsed.quotes


async def log_fetch(
    conn: AsyncConnection,
    response: ApiResponse[Any] | None,
    *,
    events: Sequence[EventInfo],
    snapshot_time: datetime,
    flow_name: str | None,
    parsed: Sequence[ParsedEvent] = (),
    rejected: list[str] | None = None,
) -> None:
    """The payload's fetch-log row, when it came from a client response (files have none)."""
    if response is not None:
        await store.insert_fetch_log(
            conn,
            fetch_log_row(
                response,
                events=events,
                parsed=parsed,
                snapshot_time=snapshot_time,
                flow_name=flow_name,
                rejected=rejected or [],
            ),
        )


async def write_odds_payload(
    conn: AsyncConnection,
    parsed: Sequence[ParsedEvent],
    *,
    snapshot_time: datetime,
    source: str,
    request_id: str | None,
    response: ApiResponse[Any] | None,
    options: IngestOptions,
    now: datetime,
    pending: PendingRows | None = None,
    refused: Sequence[Finding] = (),
    texts_storable: bool = False,
) -> IngestResult:
    """Everything of one parsed odds payload, inside the caller's transaction.

    Its odds rows and findings are written before it returns, or, given ``pending``, held
    there for the caller to write with those of other payloads of the same transaction.
    ``refused``: findings of events the caller could not parse (stored like the refusals of
    records no column can hold); ``texts_storable``: the caller checked the payload's bytes
    for NUL characters and lone surrogates, so its raw JSON need not be walked again.
    """
    held = pending if pending is not None else PendingRows()
    result = IngestResult()
    events = [item.info for item in parsed]
    late = check_snapshot_time(snapshot_time, now)
    if late is not None:
        # The events the caller could not parse keep their own findings: the payload's time
        # being wrong says nothing about them.
        rows = [
            finding_row(
                f,
                event_id=f.event_id,
                snapshot_time=snapshot_time,
                source=source,
                request_id=request_id,
                now=now,
            )
            for f in [late, *refused]
        ]
        await store.insert_findings(conn, rows)
        result.findings = len(rows)
        if options.strict:
            result.rejected = 1
            result.rejection_reasons.append(late.description)
        await log_fetch(
            conn,
            response,
            events=events,
            parsed=parsed,
            snapshot_time=snapshot_time,
            flow_name=options.flow_name,
            rejected=[late.description],
        )
        return result
    kept, refusals = _screen(parsed, check_raw=not texts_storable)
    refusals = [*refused, *refusals]
    kept, conflicts, repeats = _conflicting_listings(kept)
    refusal_rows = [
        finding_row(
            f,
            event_id=f.event_id,
            snapshot_time=snapshot_time,
            source=source,
            request_id=request_id,
            now=now,
        )
        for f in refusals
    ]
    await store.insert_findings(conn, refusal_rows)
    result.findings += len(refusal_rows)
    result.records_refused = len(refusals)
    result.refusal_reasons = [f.description for f in refusals]
    planned = [item.info for item in kept]
    plan = await plan_events(conn, planned, snapshot_time, held.known)
    stored_ids = sorted({plan.stored_id(e.id) for e in planned})
    previous = held.overlay(
        await held.known.previous_quotes(conn, stored_ids, snapshot_time),
        stored_ids,
        snapshot_time,
    )
    items = _validate(kept, plan, previous, snapshot_time, options, conflicts)
    findings = [f for item in items for f in item.findings]
    rejecting = [f.description for f in [*refusals, *findings] if is_rejecting(f)]
    if options.strict and rejecting:
        await store.insert_findings(
            conn,
            [
                finding_row(
                    f,
                    event_id=item.stored_id,
                    snapshot_time=snapshot_time,
                    source=source,
                    request_id=request_id,
                    now=now,
                )
                for item in items
                for f in item.findings
            ],
        )
        result.findings += len(findings)
        result.rejected = 1
        result.rejection_reasons.extend(rejecting)
    else:
        await write_events(conn, plan, snapshot_time, now, held)
        result.events_inserted = len(plan.inserts)
        result.events_updated = len(plan.updates)
        result.events_merged = len(plan.merges) + len(plan.aliases)
        await _write_snapshots(conn, items, snapshot_time, source, request_id, now, result, held)
        result.snapshots_skipped += repeats
        if pending is None:
            await held.flush(conn)
    rejected = rejecting if options.strict else []
    await log_fetch(
        conn,
        response,
        events=events,
        parsed=parsed,
        snapshot_time=snapshot_time,
        flow_name=options.flow_name,
        rejected=rejected,
    )
    return result


async def ingest_odds(
    db: Any,
    payload: Sequence[Any],
    *,
    snapshot_time: datetime,
    source: Source = "live",
    request_id: str | None = None,
    response: ApiResponse[Any] | None = None,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Ingest one odds payload (a list of events) observed at ``snapshot_time``."""
    options = options or IngestOptions.from_settings()
    snapshot_time = as_utc(snapshot_time)
    request_id = request_id or (response.request_id if response is not None else None)
    parsed = parse_events(payload, options.odds_format)
    now = options.clock.now()

    work = partial(
        write_odds_payload,
        parsed=parsed,
        snapshot_time=snapshot_time,
        source=source,
        request_id=request_id,
        response=response,
        options=options,
        now=now,
    )
    result: IngestResult = await store.transaction(db, work)
    return result


def _screen(
    parsed: Sequence[ParsedEvent], *, check_raw: bool = True
) -> tuple[list[ParsedEvent], list[Finding]]:
    """The records that can be stored, and the findings refusing the others."""
    kept: list[ParsedEvent] = []
    refusals: list[Finding] = []
    for item in parsed:
        if item.screened:
            refusal = item.refusal
        else:
            refusal = refusal_of(item.info, item.quotes, item.raw if check_raw else None)
        if refusal is None:
            kept.append(item)
        else:
            refusals.append(refusal)
    return kept, refusals


def _conflicting_listings(
    parsed: Sequence[ParsedEvent],
) -> tuple[list[ParsedEvent], dict[str, Finding], int]:
    """One game listed again in the same payload with other teams contradicts itself.

    Which listing is right cannot be known: the first is kept with its rows flagged
    (``conflicting_event``) and the contradicting repeats are dropped (counted as skipped
    snapshots, like exact repeats).
    """
    first: dict[str, ParsedEvent] = {}
    others: dict[str, list[tuple[str, str]]] = {}
    kept: list[ParsedEvent] = []
    dropped = 0
    for item in parsed:
        info = item.info
        seen = first.get(info.id)
        if seen is None:
            first[info.id] = item
        elif (info.home_team, info.away_team) != (seen.info.home_team, seen.info.away_team):
            others.setdefault(info.id, []).append((info.home_team, info.away_team))
            dropped += 1
            continue
        kept.append(item)
    conflicts = {}
    for event_id, pairs in others.items():
        info = first[event_id].info
        teams = [f"{home} v {away}" for home, away in [(info.home_team, info.away_team), *pairs]]
        conflicts[event_id] = Finding(
            "conflicting_event",
            Severity.ERROR,
            Action.FLAG,
            f"event {event_id} is listed {len(teams)} times with different teams: "
            f"{'; '.join(teams)}; the first listing is kept, flagged",
            event_id=event_id,
            context={"listings": teams},
        )
    return kept, conflicts, dropped


def _validate(
    parsed: Sequence[ParsedEvent],
    plan: EventPlan,
    previous: Mapping[str, Mapping[QuoteKey, PreviousQuote]],
    snapshot_time: datetime,
    options: IngestOptions,
    extra: Mapping[str, Finding] | None = None,
) -> list[_EventSnapshot]:
    items: list[_EventSnapshot] = []
    for item in parsed:
        event, quotes = item.info, item.quotes
        stored_id = plan.stored_id(event.id)
        checks = item.checks
        if checks is None:  # not checked ahead (live fetches)
            checks = _checks(item, stored_id, snapshot_time, options)
        findings = with_history(checks, stored_id, previous.get(stored_id), options.rules)
        if stored_id != event.id:  # checked ahead under the listed id, merged since
            findings = [
                replace(f, event_id=stored_id) if f.event_id == event.id else f for f in findings
            ]
        if extra and event.id in extra:
            findings.append(extra[event.id])
        apply_findings(quotes, findings)
        items.append(_EventSnapshot(item, stored_id, findings))
    return items


async def _write_snapshots(
    conn: AsyncConnection,
    items: Sequence[_EventSnapshot],
    snapshot_time: datetime,
    source: str,
    request_id: str | None,
    now: datetime,
    result: IngestResult,
    pending: PendingRows,
) -> None:
    rows: list[dict[str, Any]] = []
    firsts: list[_EventSnapshot] = []
    seen: set[str] = set()
    tables: dict[str, tuple[TierSpec, ...]] = {}
    for item in items:
        if item.stored_id in seen:
            result.snapshots_skipped += 1  # one game listed twice in one payload
            continue
        seen.add(item.stored_id)
        firsts.append(item)
        info = item.parsed.info
        hours = hours_until(info.commence_time, snapshot_time)
        if info.sport_key not in tables:  # one profile lookup per sport and payload
            tables[info.sport_key] = tiers_for(info.sport_key)
        tier = tier_for(hours, tables[info.sport_key])
        rows.append(
            {
                "event_id": item.stored_id,
                "snapshot_time": snapshot_time,
                "raw_data": item.parsed.raw,
                "bookmaker_count": item.parsed.bookmaker_count,
                "api_request_id": request_id,
                "fetch_tier": tier.value if tier else None,
                "hours_until_commence": round(hours, 4),
                "source": source,
                "created_at": now,
            }
        )
    new = await pending.known.new_snapshots(
        conn, [item.stored_id for item in firsts], snapshot_time
    )
    result.snapshots_inserted = len(new)
    result.snapshots_skipped += len(firsts) - len(new)
    for item, row in zip(firsts, rows, strict=True):
        if item.stored_id not in new:
            continue  # stored before: its rows and findings are already there
        finding_rows = [
            finding_row(
                f,
                event_id=item.stored_id,
                snapshot_time=snapshot_time,
                source=source,
                request_id=request_id,
                now=now,
            )
            for f in item.findings
        ]
        pending.add(row, item.quotes, finding_rows)
        excluded = sum(1 for q in item.quotes if q.excluded)
        result.odds_excluded += excluded
        for finding in item.findings:
            if finding.action == Action.EXCLUDE:
                kept_out = int(finding.context.get("rows", 0) or 0)
                result.excluded_by[finding.issue_type] = (
                    result.excluded_by.get(finding.issue_type, 0) + kept_out
                )
        result.odds_rows += len(item.quotes) - excluded
        result.odds_flagged += sum(1 for q in item.quotes if not (q.excluded or q.is_valid))
        result.findings += len(finding_rows)


async def write_events_payload(
    conn: AsyncConnection,
    events: Sequence[EventInfo],
    *,
    seen_at: datetime,
    response: ApiResponse[Any] | None,
    options: IngestOptions,
    now: datetime,
    pending: PendingRows | None = None,
    refused: Sequence[Finding] = (),
) -> IngestResult:
    """Upsert the events of one payload, inside the caller's transaction (``pending``: odds
    rows of earlier payloads of it not written yet; ``refused``: findings of events the
    caller could not parse)."""
    refusals: list[Finding] = list(refused)
    kept: list[EventInfo] = []
    for event in events:
        refusal = refusal_of(event)
        if refusal is None:
            kept.append(event)
        else:
            refusals.append(refusal)
    await store.insert_findings(
        conn,
        [
            finding_row(
                f,
                event_id=f.event_id,
                snapshot_time=seen_at,
                source="events",
                request_id=response.request_id if response is not None else None,
                now=now,
            )
            for f in refusals
        ],
    )
    plan = await plan_events(conn, kept, seen_at, pending.known if pending is not None else None)
    await write_events(conn, plan, seen_at, now, pending)
    await log_fetch(
        conn, response, events=events, snapshot_time=seen_at, flow_name=options.flow_name
    )
    return IngestResult(
        events_inserted=len(plan.inserts),
        events_updated=len(plan.updates),
        events_merged=len(plan.merges) + len(plan.aliases),
        findings=len(refusals),
        records_refused=len(refusals),
        refusal_reasons=[f.description for f in refusals],
    )


async def ingest_events(
    db: Any,
    payload: Sequence[Any],
    *,
    seen_at: datetime,
    response: ApiResponse[Any] | None = None,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Upsert events without odds (``/events`` and historical events files)."""
    options = options or IngestOptions.from_settings()
    seen_at = as_utc(seen_at)
    events = parse_event_infos(payload)
    now = options.clock.now()

    work = partial(
        write_events_payload,
        events=events,
        seen_at=seen_at,
        response=response,
        options=options,
        now=now,
    )
    result: IngestResult = await store.transaction(db, work)
    return result


async def ingest_response(
    db: Any,
    response: ApiResponse[Any],
    *,
    source: Source | None = None,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Ingest a client response: ``/odds`` (timed at fetch) or historical odds (its timestamp)."""
    data = response.data
    if isinstance(data, HistoricalResponse):
        raw_items = response.raw.get("data") if isinstance(response.raw, Mapping) else None
        items = data.data if isinstance(data.data, list) else [data.data]
        items = [item for item in items if item is not None]
        payload: Sequence[Any] = _with_raw(items, raw_items)
        return await ingest_odds(
            db,
            payload,
            snapshot_time=data.timestamp,
            source=source or "historical",
            response=response,
            options=options,
        )
    items = data if isinstance(data, list) else [data]
    raw_list = response.raw if isinstance(response.raw, list) else None
    return await ingest_odds(
        db,
        _with_raw(items, raw_list),
        snapshot_time=response.fetched_at,
        source=source or "live",
        response=response,
        options=options,
    )


def _with_raw(items: Sequence[Any], raw: Any) -> Sequence[Any]:
    """Prefer the raw JSON exactly as received; fall back to the typed models."""
    if isinstance(raw, Mapping):
        raw = [raw]
    if (
        isinstance(raw, list)
        and len(raw) == len(items)
        and all(isinstance(r, Mapping) for r in raw)
    ):
        return raw
    return items

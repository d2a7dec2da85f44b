"""Data-quality rules: pure functions from quotes to findings.

Every rule returns :class:`Finding` objects; nothing here touches the database or the clock
(the caller passes ``now``). :func:`apply_findings` then marks the quotes, and the pipeline
stores one ``data_quality_logs`` row per finding.

What each rule does to the data (``Action``):

=========================  ========  =======  ================================================
issue_type                 severity  action   why
=========================  ========  =======  ================================================
future_snapshot            critical  drop     a snapshot stamped in the future would let an
                                              as-of query see it too early (look-ahead); only
                                              the finding is stored
in_play                    warning   exclude  quoted at/after tip-off: live prices must never
                                              pass for pre-game ones. The raw snapshot is kept
                                              (raw payloads are kept forever), no odds rows
unknown_market             info      exclude  not back odds we can read (``h2h_lay`` is an
                                              exchange *lay* price); kept in the raw JSON only
duplicate_outcome          warning   exclude  an exact repeat of an outcome adds nothing;
                                              repeats with different prices are flagged instead
price_out_of_range         error     flag     American price strictly between -100 and +100 or
                                              beyond +/-10000 (unconvertible ones: exclude)
missing_point              error     flag     spreads/totals outcome without a line
unexpected_outcome         error     flag     a name that is neither team (nor Over/Under,
                                              nor Draw in a moneyline)
missing_side               error     flag     an outcome of the market is absent: a side of a
                                              two-way market, or the draw of a three-way
                                              moneyline (the sport profile says which)
spread_asymmetry           error     flag     home point != -away point
totals_mismatch            error     flag     Over and Under on different points
overround_out_of_band      error     flag     sum of implied probabilities outside the band
                                              of the market's size (two-way, three-way)
identical_prices           error     flag     every outcome of a moneyline at one price that is
                                              not a plausible pick'em (-130..-100; a
                                              three-way one never is)
future_last_update         error     flag     the book changed the price after the snapshot's
                                              stated time: timed by the snapshot it would be
                                              look-ahead (2022-23 playoff files: ~36 h)
stale_quote                warning   note     ``last_update`` older than the staleness limit:
                                              still the book's price, so it stays valid
line_jump / price_jump     warning   note     large move since the previous snapshot: real
                                              moves happen (injuries), so the row stays valid
missing_bookmakers         info      none     a requested book is absent from the event
missing_markets            info      none     a book quotes the event without a requested market
unexpected_bookmaker       info      none     a book that was not requested: stored under its
                                              key (books are configuration), but worth knowing
fractional_price           error     flag     an American price with a fraction (-150.5): no
                                              book quotes one; stored rounded, never as valid
negative_total             error     flag     a totals line below zero cannot be a score line
conflicting_event          error     flag     one event id listed twice in one payload with
                                              different teams: the first listing is kept and
                                              flagged, the others dropped
time_out_of_range          error     drop     a record's commence_time or last_update outside
                                              1970..2099 (critical for a snapshot time before
                                              1970): the record is refused, the rest stored
unstorable_value           error     drop     a text longer than its column, or a NUL
                                              character anywhere in the record (PostgreSQL
                                              cannot hold one): the record is refused
malformed_event            error     drop     a file import's event that does not fit the
                                              schema: that event is refused, the file's
                                              others are stored
=========================  ========  =======  ================================================

*flag* keeps the row with ``is_valid=False`` and the reason in ``validation_notes`` (the
query layer reads valid rows only); *note* keeps it valid with the reason noted; *exclude*
never writes the row (its finding says how many in ``context.rows``); *drop* writes nothing of
the event snapshot. In strict mode
(``REJECT_INVALID_ODDS=true``) a payload with any error or critical finding is rejected as a
whole and only its findings are stored.

How many outcomes a market has comes from the event's sport profile (:mod:`oddscore.sports`):
soccer's ``h2h`` is home/draw/away, so a book quoting it without the draw is ``missing_side``,
and its overround is judged against the three-way band (``DQ_THREE_WAY_MAX_OVERROUND``: three
prices carry more margin than two). A draw quoted in a two-way sport's moneyline is accepted
as an outcome, as it always was.

Moneylines at -110/-110 are genuine pick'ems (103 of them in the 2023-24 archive), which is why
``identical_prices`` leaves near-even prices alone; spreads and totals at -110/-110 are the norm
and are not checked for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from oddscore.clock import check_time_range
from oddscore.config import DataQualitySettings
from oddscore.ingestion.quotes import Quote, base_market, is_back_market, two_way_kind
from oddscore.sports import SportProfile, profile_for
from oddscore.storage.models import Severity

__all__ = [
    "ISSUE_TYPES",
    "Action",
    "EventChecks",
    "Finding",
    "PreviousQuote",
    "QuoteKey",
    "ValidationRules",
    "apply_findings",
    "check_completeness",
    "check_event",
    "check_markets",
    "check_movement",
    "check_points",
    "check_prices",
    "check_snapshot_time",
    "check_timing",
    "implied_probability",
    "is_rejecting",
    "previous_quotes",
    "quote_key",
    "validate_event",
    "with_history",
]

MIN_AMERICAN = 100
MAX_AMERICAN = 10_000
# Clock skew we tolerate between the provider, the books and us.
CLOCK_SKEW = timedelta(minutes=5)
PICKEM_RANGE = (-130, -100)
_SIDES_TOTALS = ("Over", "Under")
DRAW = "Draw"


class Action(StrEnum):
    NONE = "none"
    NOTE = "note"
    FLAG = "flag"
    EXCLUDE = "exclude"
    DROP = "drop"


OutcomeKey = tuple[str, str | None, float | None]


# Every issue type a rule can report (the table above); ``odds validate --type`` takes one.
ISSUE_TYPES = frozenset(
    {
        "future_snapshot",
        "in_play",
        "unknown_market",
        "duplicate_outcome",
        "price_out_of_range",
        "missing_point",
        "unexpected_outcome",
        "missing_side",
        "spread_asymmetry",
        "totals_mismatch",
        "overround_out_of_band",
        "identical_prices",
        "future_last_update",
        "stale_quote",
        "line_jump",
        "price_jump",
        "missing_bookmakers",
        "missing_markets",
        "unexpected_bookmaker",
        "time_out_of_range",
        "unstorable_value",
        "malformed_event",
        "fractional_price",
        "negative_total",
        "conflicting_event",
    }
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One data-quality finding; ``outcomes`` None means every quote in its scope."""

    issue_type: str
    severity: Severity
    action: Action
    description: str
    event_id: str | None = None
    bookmaker_key: str | None = None
    market_key: str | None = None
    outcomes: tuple[OutcomeKey, ...] | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Keeps ISSUE_TYPES whole: a new rule with an unlisted type fails its first test.
        if self.issue_type not in ISSUE_TYPES:
            raise ValueError(f"unknown data-quality issue type {self.issue_type!r}")


@dataclass(frozen=True, slots=True)
class PreviousQuote:
    """The last stored quote of an outcome before this snapshot (line-jump checks)."""

    price: int
    point: float | None
    odds_timestamp: datetime


QuoteKey = tuple[str, str, str, str | None]  # book, market, outcome, description


def quote_key(quote: Quote) -> QuoteKey:
    return (quote.bookmaker_key, quote.market_key, quote.outcome_name, quote.outcome_description)


def previous_quotes(quotes: Iterable[Quote], taken: datetime) -> dict[QuoteKey, PreviousQuote]:
    """What a later snapshot of the event compares with: this one's stored (not excluded)
    quotes, as :func:`oddscore.ingestion.store.load_previous_quotes` reads them back."""
    return {quote_key(q): PreviousQuote(q.price, q.point, taken) for q in quotes if not q.excluded}


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """Thresholds, from ``DataQualitySettings``: the overround band is the two-way one unless
    the market has three outcomes (``three_way_band``) or a band of its own."""

    min_overround: float = 0.98
    max_overround: float = 1.15
    max_line_jump_points: float = 4.0
    max_price_jump_prob: float = 0.15
    stale_after: timedelta = timedelta(minutes=180)
    overround_bands: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    three_way_band: tuple[float, float] = (0.98, 1.20)

    @classmethod
    def from_settings(cls, settings: DataQualitySettings) -> ValidationRules:
        return cls(
            min_overround=settings.min_overround,
            max_overround=settings.max_overround,
            max_line_jump_points=settings.max_line_jump_points,
            max_price_jump_prob=settings.max_price_jump_prob,
            stale_after=timedelta(minutes=settings.stale_after_minutes),
            three_way_band=(
                settings.three_way_min_overround,
                settings.three_way_max_overround,
            ),
        )

    def band(self, market_key: str, outcomes: int = 2) -> tuple[float, float]:
        """The overround band of a complete set of ``outcomes`` prices in ``market_key``."""
        if market_key in self.overround_bands:
            return self.overround_bands[market_key]
        if outcomes == 3:
            return self.three_way_band
        return (self.min_overround, self.max_overround)


def implied_probability(american: int) -> float:
    """-110 -> 0.5238; +150 -> 0.4."""
    if american > 0:
        return 100.0 / (american + 100.0)
    return -american / (-american + 100.0)


def is_rejecting(finding: Finding) -> bool:
    """Whether strict mode rejects a payload because of this finding."""
    return finding.severity in (Severity.ERROR, Severity.CRITICAL)


# -- snapshot-level rules ----------------------------------------------------------------------


def check_snapshot_time(snapshot_time: datetime, now: datetime) -> Finding | None:
    """A snapshot stamped after ``now`` (beyond clock skew) cannot be trusted, nor one before
    the storable range (year 1: no odds are that old)."""
    out_of_range = check_time_range(snapshot_time, "snapshot time")
    if out_of_range is not None and snapshot_time < now:
        return Finding(
            "time_out_of_range",
            Severity.CRITICAL,
            Action.DROP,
            out_of_range,
            context={"snapshot_time": snapshot_time.isoformat()},
        )
    if snapshot_time > now + CLOCK_SKEW:
        return Finding(
            "future_snapshot",
            Severity.CRITICAL,
            Action.DROP,
            f"snapshot time {snapshot_time.isoformat()} is after now ({now.isoformat()})",
            context={"snapshot_time": snapshot_time.isoformat(), "now": now.isoformat()},
        )
    return None


def check_timing(
    event_id: str, commence_time: datetime, snapshot_time: datetime, quotes: Sequence[Quote]
) -> list[Finding]:
    """In-play snapshots, books whose last_update is ahead of the snapshot (beyond skew)."""
    findings: list[Finding] = []
    if snapshot_time >= commence_time and quotes:
        findings.append(
            Finding(
                "in_play",
                Severity.WARNING,
                Action.EXCLUDE,
                f"quoted {(snapshot_time - commence_time).total_seconds() / 60:.0f} min after "
                "tip-off: in-play prices are not stored as pre-game odds",
                event_id=event_id,
                context={
                    "snapshot_time": snapshot_time.isoformat(),
                    "commence_time": commence_time.isoformat(),
                    "rows": len(quotes),
                },
            )
        )
    ahead: dict[str, datetime] = {}
    for quote in quotes:
        if quote.last_update is not None and quote.last_update > snapshot_time + CLOCK_SKEW:
            ahead[quote.bookmaker_key] = max(
                quote.last_update, ahead.get(quote.bookmaker_key, quote.last_update)
            )
    for book, when in ahead.items():
        findings.append(
            Finding(
                "future_last_update",
                Severity.ERROR,
                Action.FLAG,
                f"{book} last_update {when.isoformat()} is after the snapshot time",
                event_id=event_id,
                bookmaker_key=book,
                context={
                    "last_update": when.isoformat(),
                    "snapshot_time": snapshot_time.isoformat(),
                },
            )
        )
    return findings


def check_staleness(
    event_id: str, snapshot_time: datetime, quotes: Sequence[Quote], rules: ValidationRules
) -> list[Finding]:
    """Books whose newest market update is older than the staleness limit."""
    oldest: dict[str, datetime] = {}
    for quote in quotes:
        if quote.last_update is None:
            continue
        if snapshot_time - quote.last_update > rules.stale_after:
            current = oldest.get(quote.bookmaker_key)
            if current is None or quote.last_update < current:
                oldest[quote.bookmaker_key] = quote.last_update
    return [
        Finding(
            "stale_quote",
            Severity.WARNING,
            Action.NOTE,
            f"{book} last updated {(snapshot_time - when).total_seconds() / 3600:.1f} h before "
            "the snapshot",
            event_id=event_id,
            bookmaker_key=book,
            context={"last_update": when.isoformat(), "snapshot_time": snapshot_time.isoformat()},
        )
        for book, when in oldest.items()
    ]


# -- market-level rules ------------------------------------------------------------------------


def _group(quotes: Iterable[Quote]) -> dict[tuple[str, str], list[Quote]]:
    groups: dict[tuple[str, str], list[Quote]] = defaultdict(list)
    for quote in quotes:
        groups[(quote.bookmaker_key, quote.market_key)].append(quote)
    return groups


def check_prices(
    event_id: str, quotes: Sequence[Quote], *, american_prices: bool = True
) -> list[Finding]:
    """American prices outside [-10000, -100] U [+100, +10000], unconvertible prices, and
    American prices with a fraction (``-150.5``: no book quotes one; stored rounded, flagged)."""
    bad: dict[tuple[str, str], list[Quote]] = defaultdict(list)
    unconvertible: dict[tuple[str, str], list[Quote]] = defaultdict(list)
    fractional: dict[tuple[str, str], list[Quote]] = defaultdict(list)
    for quote in quotes:
        if not is_back_market(quote.market_key):
            continue  # excluded anyway (unknown_market); its prices are not back odds
        if quote.excluded and quote.price == 0:
            unconvertible[(quote.bookmaker_key, quote.market_key)].append(quote)
        elif -MIN_AMERICAN < quote.price < MIN_AMERICAN or abs(quote.price) > MAX_AMERICAN:
            bad[(quote.bookmaker_key, quote.market_key)].append(quote)
        elif american_prices and quote.raw_price != quote.price:
            fractional[(quote.bookmaker_key, quote.market_key)].append(quote)
    findings = []
    for (book, market), items in fractional.items():
        findings.append(
            Finding(
                "fractional_price",
                Severity.ERROR,
                Action.FLAG,
                f"{book} {market}: American price(s) {[q.raw_price for q in items]} have a "
                f"fraction (stored as {[q.price for q in items]})",
                event_id=event_id,
                bookmaker_key=book,
                market_key=market,
                outcomes=tuple(q.outcome_key for q in items),
                context={"prices": {q.outcome_name: q.raw_price for q in items}},
            )
        )
    for (book, market), items in bad.items():
        findings.append(
            Finding(
                "price_out_of_range",
                Severity.ERROR,
                Action.FLAG,
                f"{book} {market}: price(s) {[q.price for q in items]} outside "
                f"-{MAX_AMERICAN}..-{MIN_AMERICAN} / +{MIN_AMERICAN}..+{MAX_AMERICAN}",
                event_id=event_id,
                bookmaker_key=book,
                market_key=market,
                outcomes=tuple(q.outcome_key for q in items),
                context={"prices": {q.outcome_name: q.price for q in items}},
            )
        )
    for (book, market), items in unconvertible.items():
        findings.append(
            Finding(
                "price_out_of_range",
                Severity.ERROR,
                Action.EXCLUDE,
                f"{book} {market}: price(s) {[q.raw_price for q in items]} are not valid odds",
                event_id=event_id,
                bookmaker_key=book,
                market_key=market,
                outcomes=tuple(q.outcome_key for q in items),
                context={
                    "prices": {q.outcome_name: q.raw_price for q in items},
                    "rows": len(items),
                },
            )
        )
    return findings


_TOTALS_BASES = ("totals", "alternate_totals", "team_totals", "alternate_team_totals")


def check_points(event_id: str, quotes: Sequence[Quote]) -> list[Finding]:
    """A total below zero cannot be a points line (a spread can be negative, a total not)."""
    negative: dict[tuple[str, str], list[Quote]] = defaultdict(list)
    for quote in quotes:
        if quote.point is not None and quote.point < 0:
            if base_market(quote.market_key) in _TOTALS_BASES:
                negative[(quote.bookmaker_key, quote.market_key)].append(quote)
    return [
        Finding(
            "negative_total",
            Severity.ERROR,
            Action.FLAG,
            f"{book} {market}: total(s) {sorted({q.point for q in items if q.point is not None})} "
            "below zero",
            event_id=event_id,
            bookmaker_key=book,
            market_key=market,
            outcomes=tuple(q.outcome_key for q in items),
            context={"points": sorted({q.point for q in items if q.point is not None})},
        )
        for (book, market), items in negative.items()
    ]


def check_markets(
    event_id: str,
    home_team: str,
    away_team: str,
    quotes: Sequence[Quote],
    rules: ValidationRules,
    sport: SportProfile | None = None,
) -> list[Finding]:
    """Unknown markets, duplicated outcomes, sides, symmetry, overround, identical prices.

    ``sport`` says how many outcomes each market has (default: the NBA's, all two-way).
    """
    sport = sport or profile_for("basketball_nba")
    findings: list[Finding] = []
    for (book, market), items in _group(quotes).items():
        if _plain_pair(items, home_team, away_team, market, rules, sport):
            continue
        scope: dict[str, Any] = {
            "event_id": event_id,
            "bookmaker_key": book,
            "market_key": market,
        }
        if not is_back_market(market):
            findings.append(
                Finding(
                    "unknown_market",
                    Severity.INFO,
                    Action.EXCLUDE,
                    f"{book} market {market!r} is not a back-odds market; kept in raw JSON only",
                    **scope,
                    context={"rows": len(items)},
                )
            )
            continue
        items = _dedupe(items, findings, scope)
        kind = two_way_kind(market)
        if kind is not None:
            sides = _sides(kind, home_team, away_team, sport.outcome_count(market))
            findings.extend(_check_outcomes(kind, sides, items, rules, scope))
    return findings


def _plain_pair(
    items: list[Quote],
    home: str,
    away: str,
    market: str,
    rules: ValidationRules,
    sport: SportProfile,
) -> bool:
    """Whether one book's market is the common case every market rule passes: exactly its
    two sides, on mirrored (spreads) or equal (totals) lines, the overround in band and the
    prices not identical. Decided here in a few comparisons, since the full check (repeats,
    names, points, sides, pairs) costs ~20 times more and, for such a market, finds nothing;
    anything else goes through the full check."""
    if len(items) != 2 or home == away:
        return False
    kind = two_way_kind(market)
    if kind is None or not is_back_market(market):
        return False
    a, b = items
    names = (a.outcome_name, b.outcome_name)
    if kind == "totals":
        if names != _SIDES_TOTALS and names != _SIDES_TOTALS[::-1]:
            return False
        if a.point is None or a.point != b.point:
            return False
    else:
        if names != (home, away) and names != (away, home):
            return False
        if kind == "spreads":
            if a.point is None or b.point is None or a.point != -b.point:
                return False
        elif sport.outcome_count(market) != 2:
            return False  # a three-way moneyline lacks its draw: missing_side
    # The same sum, in the same order, as the full check's (a float sum of two terms does
    # not depend on their order).
    low, high = rules.band(market, 2)
    if not low <= implied_probability(a.price) + implied_probability(b.price) <= high:
        return False
    return not (
        kind == "h2h" and a.price == b.price and not PICKEM_RANGE[0] <= a.price <= PICKEM_RANGE[1]
    )


def _dedupe(items: list[Quote], findings: list[Finding], scope: dict[str, Any]) -> list[Quote]:
    seen: dict[OutcomeKey, Quote] = {}
    unique: list[Quote] = []
    repeats: list[OutcomeKey] = []
    conflicts: list[OutcomeKey] = []
    for quote in items:
        first = seen.get(quote.outcome_key)
        if first is None:
            seen[quote.outcome_key] = quote
            unique.append(quote)
        elif first.price == quote.price:
            repeats.append(quote.outcome_key)
        else:
            conflicts.append(quote.outcome_key)
    if repeats:
        findings.append(
            Finding(
                "duplicate_outcome",
                Severity.WARNING,
                Action.EXCLUDE,
                f"{scope['bookmaker_key']} {scope['market_key']}: outcome(s) "
                f"{sorted({k[0] for k in repeats})} listed more than once; repeats dropped",
                **scope,
                outcomes=tuple(repeats),
                context={"rows": len(repeats)},
            )
        )
    if conflicts:
        findings.append(
            Finding(
                "duplicate_outcome",
                Severity.ERROR,
                Action.FLAG,
                f"{scope['bookmaker_key']} {scope['market_key']}: outcome(s) "
                f"{sorted({k[0] for k in conflicts})} listed twice with different prices",
                **scope,
                outcomes=tuple(set(conflicts)),
                context={"conflicts": len(conflicts)},
            )
        )
    return unique


def _sides(kind: str, home: str, away: str, outcomes: int) -> tuple[str, ...]:
    """The outcomes a complete set must have: the draw too in a three-way moneyline."""
    if kind == "totals":
        return _SIDES_TOTALS
    if kind == "h2h" and outcomes == 3:
        return (home, DRAW, away)
    return (home, away)


def _check_outcomes(
    kind: str,
    sides: tuple[str, ...],
    items: list[Quote],
    rules: ValidationRules,
    scope: dict[str, Any],
) -> list[Finding]:
    """Names, points, completeness, symmetry and overround of one book's market."""
    findings: list[Finding] = []
    book, market = scope["bookmaker_key"], scope["market_key"]
    allowed = set(sides) | ({DRAW} if kind == "h2h" else set())
    unexpected = [q for q in items if q.outcome_name not in allowed]
    if unexpected:
        findings.append(
            Finding(
                "unexpected_outcome",
                Severity.ERROR,
                Action.FLAG,
                f"{book} {market}: outcome(s) {[q.outcome_name for q in unexpected]} are not "
                f"{' / '.join(sorted(allowed))}",
                **scope,
                outcomes=tuple(q.outcome_key for q in unexpected),
            )
        )
    expected = [q for q in items if q.outcome_name in allowed]
    if kind != "h2h":
        pointless = [q for q in expected if q.point is None]
        if pointless:
            findings.append(
                Finding(
                    "missing_point",
                    Severity.ERROR,
                    Action.FLAG,
                    f"{book} {market}: no point on {[q.outcome_name for q in pointless]}",
                    **scope,
                    outcomes=tuple(q.outcome_key for q in pointless),
                )
            )
            expected = [q for q in expected if q.point is not None]
    present = {q.outcome_name for q in expected}
    missing = [side for side in sides if side not in present]
    if missing:
        findings.append(
            Finding(
                "missing_side",
                Severity.ERROR,
                Action.FLAG,
                f"{book} {market}: no price for {missing}",
                **scope,
                outcomes=tuple(q.outcome_key for q in expected),
                context={"missing": missing},
            )
        )
        return findings
    for pair in _pairs(kind, sides, expected, findings, scope):
        total = sum(implied_probability(q.price) for q in pair)
        low, high = rules.band(market, len(pair))
        if not low <= total <= high:
            findings.append(
                Finding(
                    "overround_out_of_band",
                    Severity.ERROR,
                    Action.FLAG,
                    f"{book} {market}: overround {total:.3f} outside {low:.2f}-{high:.2f}",
                    **scope,
                    outcomes=tuple(q.outcome_key for q in pair),
                    context={"overround": round(total, 4), "prices": [q.price for q in pair]},
                )
            )
        if kind == "h2h" and len({q.price for q in pair}) == 1:
            price = pair[0].price
            if len(pair) > 2 or not PICKEM_RANGE[0] <= price <= PICKEM_RANGE[1]:
                findings.append(
                    Finding(
                        "identical_prices",
                        Severity.ERROR,
                        Action.FLAG,
                        f"{book} {market}: every outcome priced {price}",
                        **scope,
                        outcomes=tuple(q.outcome_key for q in pair),
                        context={"price": price},
                    )
                )
    return findings


def _pairs(
    kind: str,
    sides: tuple[str, ...],
    quotes: list[Quote],
    findings: list[Finding],
    scope: dict[str, Any],
) -> list[list[Quote]]:
    """The complete sets of sides to price together: one for h2h, one per line otherwise."""
    if kind == "h2h":
        return [quotes]
    first = [q for q in quotes if q.outcome_name == sides[0]]
    second = [q for q in quotes if q.outcome_name == sides[1]]
    pairs: list[list[Quote]] = []
    book, market = scope["bookmaker_key"], scope["market_key"]
    if len(first) == 1 and len(second) == 1:
        a, b = first[0], second[0]
        assert a.point is not None and b.point is not None
        if kind == "spreads" and a.point != -b.point:
            findings.append(
                Finding(
                    "spread_asymmetry",
                    Severity.ERROR,
                    Action.FLAG,
                    f"{book} {market}: {a.outcome_name} {a.point:+g} vs "
                    f"{b.outcome_name} {b.point:+g}",
                    **scope,
                    outcomes=(a.outcome_key, b.outcome_key),
                    context={"points": [a.point, b.point]},
                )
            )
            return pairs
        if kind == "totals" and a.point != b.point:
            findings.append(
                Finding(
                    "totals_mismatch",
                    Severity.ERROR,
                    Action.FLAG,
                    f"{book} {market}: Over {a.point:g} vs Under {b.point:g}",
                    **scope,
                    outcomes=(a.outcome_key, b.outcome_key),
                    context={"points": [a.point, b.point]},
                )
            )
            return pairs
        return [[a, b]]

    # Alternate lines: pair each line with its mirror; unpaired lines are a missing side.
    def line(q: Quote) -> float:
        assert q.point is not None
        return abs(q.point) if kind == "spreads" else q.point

    by_line_b: dict[float, Quote | None] = {line(q): q for q in second}
    lonely: list[Quote] = []
    for a in first:
        mirror = by_line_b.pop(line(a), None)
        if mirror is None:
            lonely.append(a)
        else:
            pairs.append([a, mirror])
    lonely.extend(q for q in by_line_b.values() if q is not None)
    if lonely:
        findings.append(
            Finding(
                "missing_side",
                Severity.ERROR,
                Action.FLAG,
                f"{book} {market}: no opposite side for "
                f"{[(q.outcome_name, q.point) for q in lonely]}",
                **scope,
                outcomes=tuple(q.outcome_key for q in lonely),
            )
        )
    return pairs


# -- rules against history and configuration ---------------------------------------------------


def check_movement(
    event_id: str,
    quotes: Sequence[Quote],
    previous: Mapping[QuoteKey, PreviousQuote],
    rules: ValidationRules,
) -> list[Finding]:
    """Line and price moves since the previous snapshot beyond the configured limits."""
    jumps: dict[tuple[str, str, str], list[tuple[Quote, PreviousQuote]]] = defaultdict(list)
    for quote in quotes:
        before = previous.get(quote_key(quote))
        if before is None:
            continue
        if quote.point is not None and before.point is not None:
            if abs(quote.point - before.point) > rules.max_line_jump_points:
                jumps[("line_jump", quote.bookmaker_key, quote.market_key)].append((quote, before))
                continue
            if quote.point != before.point:
                continue  # a new line moves the price too; only same-line prices compare
        move = abs(implied_probability(quote.price) - implied_probability(before.price))
        if move > rules.max_price_jump_prob:
            jumps[("price_jump", quote.bookmaker_key, quote.market_key)].append((quote, before))
    findings = []
    for (issue, book, market), pairs in jumps.items():
        changes = [
            {
                "outcome": q.outcome_name,
                "from": [b.price, b.point],
                "to": [q.price, q.point],
                "since": b.odds_timestamp.isoformat(),
            }
            for q, b in pairs
        ]
        what = "line" if issue == "line_jump" else "price"
        findings.append(
            Finding(
                issue,
                Severity.WARNING,
                Action.NOTE,
                f"{book} {market}: {what} moved "
                + ", ".join(f"{c['outcome']} {c['from']} -> {c['to']}" for c in changes),
                event_id=event_id,
                bookmaker_key=book,
                market_key=market,
                outcomes=tuple(q.outcome_key for q, _ in pairs),
                context={"changes": changes},
            )
        )
    return findings


def check_completeness(
    event_id: str,
    quotes: Sequence[Quote],
    expected_bookmakers: Sequence[str] | None,
    expected_markets: Sequence[str] | None,
) -> list[Finding]:
    """Requested books absent or unrequested books present; requested markets a book lacks."""
    findings: list[Finding] = []
    markets_by_book: dict[str, set[str]] = defaultdict(set)
    for quote in quotes:
        markets_by_book[quote.bookmaker_key].add(quote.market_key)
    if expected_bookmakers:
        extra = sorted(b for b in markets_by_book if b not in expected_bookmakers)
        if extra:
            findings.append(
                Finding(
                    "unexpected_bookmaker",
                    Severity.INFO,
                    Action.NONE,
                    f"prices from {extra}, which were not requested",
                    event_id=event_id,
                    context={"unexpected": extra},
                )
            )
        absent = [b for b in expected_bookmakers if b not in markets_by_book]
        if absent:
            findings.append(
                Finding(
                    "missing_bookmakers",
                    Severity.INFO,
                    Action.NONE,
                    f"no prices from {absent}",
                    event_id=event_id,
                    context={"missing": absent},
                )
            )
    if expected_markets:
        for book, markets in markets_by_book.items():
            absent = [m for m in expected_markets if m not in markets]
            if absent:
                findings.append(
                    Finding(
                        "missing_markets",
                        Severity.INFO,
                        Action.NONE,
                        f"{book} has no {absent}",
                        event_id=event_id,
                        bookmaker_key=book,
                        context={"missing": absent},
                    )
                )
    return findings


@dataclass(frozen=True, slots=True)
class EventChecks:
    """What :func:`check_event` found: every rule of an event snapshot but the one that reads
    stored history (line and price moves), which :func:`with_history` adds in its place."""

    before: list[Finding]  # timing, staleness, prices, points, markets
    after: list[Finding]  # completeness
    usable: list[Quote]  # the quotes the movement rule compares
    final: bool  # in play, or structural rules only: no movement rule follows


def check_event(
    *,
    event_id: str,
    home_team: str,
    away_team: str,
    commence_time: datetime,
    snapshot_time: datetime,
    quotes: Sequence[Quote],
    rules: ValidationRules,
    expected_bookmakers: Sequence[str] | None = None,
    expected_markets: Sequence[str] | None = None,
    structural_only: bool = False,
    american_prices: bool = True,
    sport_key: str = "basketball_nba",
) -> EventChecks:
    """The rules of :func:`validate_event` that need no stored history, pure: a file import
    runs them in the thread that parses the file, ahead of its transaction."""
    sport = profile_for(sport_key)
    findings = check_timing(event_id, commence_time, snapshot_time, quotes)
    if any(f.issue_type == "in_play" for f in findings):
        return EventChecks([f for f in findings if f.issue_type == "in_play"], [], [], True)
    if structural_only:
        findings = [f for f in check_prices(event_id, quotes) if f.action == Action.EXCLUDE]
        unknown = {q.market_key for q in quotes if not is_back_market(q.market_key)}
        lay = [q for q in quotes if q.market_key in unknown]
        findings += check_markets(event_id, home_team, away_team, lay, rules, sport)
        return EventChecks(findings, [], [], True)
    findings += check_staleness(event_id, snapshot_time, quotes, rules)
    findings += check_prices(event_id, quotes, american_prices=american_prices)
    usable = [q for q in quotes if not q.excluded]
    findings += check_points(event_id, usable)
    findings += check_markets(event_id, home_team, away_team, usable, rules, sport)
    after = check_completeness(event_id, usable, expected_bookmakers, expected_markets)
    return EventChecks(findings, after, usable, False)


def with_history(
    checks: EventChecks,
    event_id: str,
    previous: Mapping[QuoteKey, PreviousQuote] | None,
    rules: ValidationRules,
) -> list[Finding]:
    """Every finding of the event snapshot, in :func:`validate_event`'s order: ``checks``
    with the moves since ``previous`` (the event's last stored quotes) in their place."""
    if checks.final or not previous:
        return [*checks.before, *checks.after]
    moves = check_movement(event_id, checks.usable, previous, rules)
    return [*checks.before, *moves, *checks.after]


def validate_event(
    *,
    event_id: str,
    home_team: str,
    away_team: str,
    commence_time: datetime,
    snapshot_time: datetime,
    quotes: Sequence[Quote],
    rules: ValidationRules,
    previous: Mapping[QuoteKey, PreviousQuote] | None = None,
    expected_bookmakers: Sequence[str] | None = None,
    expected_markets: Sequence[str] | None = None,
    structural_only: bool = False,
    american_prices: bool = True,
    sport_key: str = "basketball_nba",
) -> list[Finding]:
    """Every rule for one event snapshot, in a stable order.

    In-play snapshots get only the ``in_play`` finding: none of their rows is stored, so
    checking them further would only add noise. ``structural_only`` (``ENABLE_VALIDATION=
    false``) keeps just the rules that decide what may be stored at all: in-play, unknown
    markets and unconvertible prices.
    """
    checks = check_event(
        event_id=event_id,
        home_team=home_team,
        away_team=away_team,
        commence_time=commence_time,
        snapshot_time=snapshot_time,
        quotes=quotes,
        rules=rules,
        expected_bookmakers=expected_bookmakers,
        expected_markets=expected_markets,
        structural_only=structural_only,
        american_prices=american_prices,
        sport_key=sport_key,
    )
    return with_history(checks, event_id, previous, rules)


def apply_findings(quotes: Sequence[Quote], findings: Iterable[Finding]) -> None:
    """Mark quotes excluded, invalid or noted as the findings say (in place)."""
    # Grouped when a finding first needs it: most snapshots have no market finding.
    by_scope: dict[tuple[str, str], list[Quote]] | None = None
    for finding in findings:
        if finding.action in (Action.NONE, Action.DROP):
            continue
        if finding.bookmaker_key is None:
            targets: Iterable[Quote] = quotes
        elif finding.market_key is None:
            targets = [q for q in quotes if q.bookmaker_key == finding.bookmaker_key]
        else:
            if by_scope is None:
                by_scope = _group(quotes)
            targets = by_scope.get((finding.bookmaker_key, finding.market_key), [])
        wanted = set(finding.outcomes) if finding.outcomes is not None else None
        if finding.issue_type == "duplicate_outcome" and finding.action == Action.EXCLUDE:
            _exclude_repeats(list(targets))
            continue
        for quote in targets:
            if wanted is not None and quote.outcome_key not in wanted:
                continue
            if finding.action == Action.EXCLUDE:
                quote.excluded = True
            else:
                if finding.action == Action.FLAG:
                    quote.is_valid = False
                if quote.notes is None:
                    quote.notes = [finding.issue_type]
                elif finding.issue_type not in quote.notes:
                    quote.notes.append(finding.issue_type)


def _exclude_repeats(quotes: list[Quote]) -> None:
    seen: dict[OutcomeKey, int] = {}
    for quote in quotes:
        price = seen.get(quote.outcome_key)
        if price is None:
            seen[quote.outcome_key] = quote.price
        elif price == quote.price:
            quote.excluded = True

"""``odds status``: what is stored, how collection is going, what the quota says."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from oddscore.cli.common import JsonOption, console, handle_errors, print_json, print_table, run
from oddscore.cli.options import time_option

app = typer.Typer(help="Database, collection and quota status; upcoming events.")


def _size(n: int | None) -> str:
    if n is None:
        return "unknown"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _when(value: Any) -> str:
    return "never" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


@app.command("show")
@handle_errors
def show(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Add per-book and per-tier detail.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Judge the 7-day windows and the month as of this time (default now).",
            callback=time_option,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """The health dashboard: fetches per flow, quota and its month-end projection,
    validation warnings, row counts and database size, and the next scheduled runs (from
    Prefect when PREFECT_API_URL is set and answers).

    Example: odds status show --verbose
    """
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.logs import redact
    from oddscore.queries.overview import health_page
    from oddscore.queries.session import open_session, parse_when

    settings = get_settings()
    now = parse_when(at) or utcnow()

    async def go() -> Any:
        async with open_session(settings) as session:
            return await health_page(
                session,
                now,
                database=redact(settings.database.url),
                verbose=verbose,
                plan_quota=settings.api.quota,
            )

    overview, next_runs, chains = run(go())
    if json_output:
        from oddscore.queries.overview import overview_payload

        print_json(overview_payload(overview, next_runs, verbose=verbose, chains=chains))
        return
    quota, fetches, quality = overview.quota, overview.fetches, overview.quality
    findings = ", ".join(f"{n} {s}" for s, n in sorted(quality.findings.items())) or "none"
    print_table(
        [
            ("database", f"{overview.database} ({_size(overview.size_bytes)})"),
            *((f"{name} rows", f"{count:,}") for name, count in overview.rows.items()),
            ("last successful fetch", _when(fetches.last_success)),
            (
                "fetch success (7 days)",
                f"{_pct(fetches.success_rate)} of {fetches.requests} requests",
            ),
            ("last failure", f"{_when(fetches.last_failure)} {fetches.last_error or ''}".strip()),
            (
                "quota remaining / used",
                f"{quota.remaining if quota.remaining is not None else '?'} / "
                f"{quota.used if quota.used is not None else '?'}",
            ),
            ("credits this month", f"{quota.credits_this_month:,}"),
            _projection_row(overview.projection),
            ("invalid odds rows", f"{quality.invalid_rows:,} ({_pct(quality.invalid_rate)})"),
            _validation_row(overview.validation),
            ("quality findings", findings),
        ],
        ["", "value"],
        title="odds status",
    )
    print_table(
        [
            (
                f.flow,
                _when(f.last_success),
                _when(f.last_failure),
                f.requests,
                _pct(f.success_rate),
                f"{f.credits:,}",
            )
            for f in overview.flows
        ],
        ["flow", "last success", "last failure", "requests (7 d)", "success", "credits (7 d)"],
        title="fetches by flow",
    )
    _print_next_runs(next_runs)
    _print_chains(chains)
    if verbose:
        print_table(
            [
                (b.bookmaker_key, f"{b.rows:,}", b.events, _when(b.last_quote))
                for b in overview.books
            ],
            ["book", "odds rows", "events", "last quote"],
            title="by bookmaker",
        )
        print_table(
            [(t.tier, t.snapshots, t.events, _when(t.last_snapshot)) for t in overview.tiers],
            ["tier", "snapshots", "events", "last snapshot"],
            title="by fetch tier",
        )


@app.command("quota")
@handle_errors
def quota(json_output: JsonOption = False) -> None:
    """The provider's credit counters from the latest fetch, and this month's spend.

    Example: odds status quota --json
    """
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.queries.session import open_session
    from oddscore.queries.status import quota_status

    settings = get_settings()

    async def go() -> Any:
        async with open_session(settings) as session:
            return await quota_status(session, utcnow())

    status = run(go())
    data = {
        "remaining": status.remaining,
        "used": status.used,
        "last_cost": status.last_cost,
        "reported_at": status.reported_at,
        "credits_this_month": status.credits_this_month,
        "requests_this_month": status.requests_this_month,
        "plan_quota": settings.api.quota,
    }
    if json_output:
        print_json(data)
        return
    print_table([(k.replace("_", " "), v) for k, v in data.items()], ["", "value"], title="quota")
    if status.reported_at is None:
        console.print("no fetch has reported quota headers yet")


@app.command("events")
@handle_errors
def events(
    days: Annotated[
        int,
        typer.Option("--days", min=0, max=3660, help="Events from N days ago to N days ahead."),
    ] = 7,
    team: Annotated[
        str | None,
        typer.Option("--team", help="Team name, nickname or code (case-insensitive)."),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only this status: scheduled, live, final ... (repeatable)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Stored events around today, with scores and the fetch tiers that have a snapshot.

    Example: odds status events --days 3 --team lakers
    """
    from datetime import timedelta

    from oddscore.clock import utcnow
    from oddscore.queries.coverage import tier_coverage
    from oddscore.queries.events import list_events
    from oddscore.queries.session import open_session

    now = utcnow()

    async def go() -> Any:
        async with open_session() as session:
            found = await list_events(
                session,
                start=now - timedelta(days=days),
                end=now + timedelta(days=days),
                team=team,
                statuses=status or None,
            )
            coverage = await tier_coverage(session, event_ids=[e.id for e in found])
            return found, {c.event_id: c for c in coverage}

    found, coverage = run(go())
    if json_output:
        from dataclasses import asdict

        print_json(
            [
                {**asdict(e), "tiers": coverage[e.id].snapshots if e.id in coverage else {}}
                for e in found
            ]
        )
        return
    print_table(
        [
            (
                e.id[:12],
                f"{e.commence_time:%Y-%m-%d %H:%M}",
                f"{e.away_team} @ {e.home_team}",
                e.status,
                "" if e.home_score is None else f"{e.away_score}-{e.home_score}",
                ", ".join(sorted(coverage[e.id].snapshots)) if e.id in coverage else "",
            )
            for e in found
        ],
        ["id", "tip-off (UTC)", "game", "status", "score", "tiers"],
        title=f"events within {days} days" + (f" for {team!r}" if team else ""),
    )


def _projection_row(projection: Any) -> tuple[str, str]:
    if projection is None or projection.projected_month_end is None:
        return ("projected month-end use", "unknown (no fetch has reported credits yet)")
    return (
        "projected month-end use",
        f"{projection.projected_month_end:,} of {projection.plan:,} credits "
        f"({_pct(projection.projected_share)}); pacing {projection.pacing}, "
        f"resets {projection.reset_at:%Y-%m-%d}",
    )


def _validation_row(validation: Any) -> tuple[str, str]:
    if validation is None:
        return ("validation warnings (7 days)", "n/a")
    return (
        "validation warnings (7 days)",
        f"{_pct(validation.warning_rate)} of {validation.snapshots:,} snapshots "
        f"({validation.flagged:,} with a warning or worse)",
    )


def _print_next_runs(next_runs: Any) -> None:
    if not next_runs.reachable:
        console.print(f"next scheduled runs: unknown, {next_runs.problem}", highlight=False)
        return
    if not next_runs.runs:
        console.print(f"next scheduled runs: none waiting on {next_runs.api_url}")
        return
    print_table(
        [
            (_when(r.expected_start), r.flow, r.deployment or "-", r.name, r.state)
            for r in next_runs.runs
        ],
        ["expected start", "flow", "deployment", "run", "state"],
        title=f"next scheduled runs (Prefect at {next_runs.api_url})",
    )


def _print_chains(chains: Any) -> None:
    from oddscore.orchestration.chains import CHAIN_COLUMNS, chain_rows

    if not chains.reachable:
        console.print(f"chains: unknown, {chains.problem}", highlight=False)
        return
    if not chains.chains:
        console.print(f"chains: no self-scheduled deployment on {chains.api_url}")
        return
    print_table(chain_rows(chains), list(CHAIN_COLUMNS), title="self-scheduled chains")

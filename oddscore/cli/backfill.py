"""``odds backfill``: plan a historical backfill, run it once, and follow its progress."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    fail,
    handle_errors,
    parse_date,
    print_json,
    print_table,
    run,
)
from oddscore.cli.options import day_option, number_option

if TYPE_CHECKING:
    from oddscore.backfill.planner import BackfillPlan
    from oddscore.backfill.status import PlanProgress
    from oddscore.config import Settings

app = typer.Typer(
    help="Backfill historical odds: plan the cheapest calls, then pay for each exactly once.",
    no_args_is_help=True,
)


class Source(StrEnum):
    AUTO = "auto"
    STORED = "stored"
    ENDPOINT = "endpoint"


class Strategy(StrEnum):
    UNIFORM = "uniform"
    RANDOM = "random"
    WEIGHTED = "weighted"


def _configure_logging() -> None:
    # Log lines go to stderr, so that --json output on stdout stays parseable.
    from oddscore.config import get_settings
    from oddscore.logs import configure_logging

    configure_logging(get_settings().logging)


@app.command("plan")
@handle_errors
def plan(
    start: Annotated[
        str,
        typer.Option(help="First game date (local date), e.g. 2023-12-01.", callback=day_option),
    ],
    end: Annotated[
        str,
        typer.Option(help="Last game date (inclusive), e.g. 2023-12-31.", callback=day_option),
    ],
    output: Annotated[
        str,
        typer.Option(help="Where to write the plan (JSON): a file, or s3://bucket/key for ECS."),
    ],
    games: Annotated[
        int | None, typer.Option("--games", min=1, help="How many games to backfill.")
    ] = None,
    sample_rate: Annotated[
        float | None,
        typer.Option(
            help="Share of the games to backfill (default 0.2: every 5th game).",
            callback=number_option(low=0, high=1, low_open=True),
        ),
    ] = None,
    strategy: Annotated[Strategy, typer.Option(help="How games are picked.")] = Strategy.UNIFORM,
    seed: Annotated[int, typer.Option(help="Seed of the random and weighted strategies.")] = 0,
    source: Annotated[
        Source,
        typer.Option(
            help="Where candidate games come from: stored events, the historical events "
            "endpoint (1 credit per date), or auto (stored if any, else the endpoint)."
        ),
    ] = Source.AUTO,
    sport: Annotated[
        str | None, typer.Option(help="Sport key (default: the first of SPORTS).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Choose games in a date range and plan the historical calls, with their exact cost.

    Nothing but the historical events endpoint (when stored events are missing) is paid.

    Example: odds backfill plan --start 2023-12-01 --end 2023-12-31 --output plan.json
    """
    _configure_logging()
    if games is not None and sample_rate is not None:
        raise fail("give --games or --sample-rate, not both")
    if sample_rate is not None and not 0 < sample_rate <= 1:
        # Before any paid events call, not after it.
        raise fail(f"--sample-rate must lie in (0, 1], got {sample_rate}")
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise fail("--end is before --start")
    built = run(_plan(first, last, games, sample_rate, strategy.value, seed, source.value, sport))
    from oddscore.backfill.planner import write_plan

    write_plan(built, output)
    summary = _plan_summary(built)
    lacking = run(_lacking_results(built))
    summary["games_without_results"] = len(lacking)
    if json_output:
        print_json({**summary, "output": str(output)})
        return
    rows = [(key.replace("_", " "), value) for key, value in summary.items()]
    print_table(rows, ["", "value"], title=f"backfill plan {built.plan_id}")
    console.print(f"plan written to {output}", highlight=False)
    _print_results_hint(len(lacking), {m.remedy for m in lacking})


async def _lacking_results(built: BackfillPlan) -> list[Any]:
    """Stored games of the plan without a final score (games not stored yet are not known)."""
    from oddscore.backfill.status import games_without_results
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.storage.engine import Database

    async with Database.from_settings(get_settings().database) as db:
        return await games_without_results(db, {g.id for g in built.games}, now=utcnow())


def _print_results_hint(count: int, remedies: set[str]) -> None:
    if not count:
        return
    ways = [
        "`odds results import`"
        if remedy == "odds results import"
        else "the scores endpoint (finished within 3 days)"
        for remedy in sorted(remedies)
    ]
    console.print(
        f"{count} backfilled games have no final score yet: get them with " + " or ".join(ways),
        highlight=False,
    )


async def _plan(
    start: date,
    end: date,
    games: int | None,
    sample_rate: float | None,
    strategy: str,
    seed: int,
    source: str,
    sport: str | None,
) -> BackfillPlan:
    from oddscore.backfill.planner import PlanSettings, build_plan, default_slots
    from oddscore.backfill.selection import select_games
    from oddscore.backfill.sources import endpoint_games, stored_games
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.storage.engine import Database

    settings = get_settings()
    sport_key = sport or settings.collection.sports[0]
    async with Database.from_settings(settings.database) as db:
        pool = await stored_games(db, sport_key, start, end) if source != "endpoint" else []
    if source == "stored" and not pool:
        raise fail(f"no stored {sport_key} events between {start} and {end}")
    origin, credits = "stored", 0
    if not pool:
        from oddscore.provider.client import OddsApiClient

        async with OddsApiClient.from_settings(settings.api) as client:
            pool, credits, _ = await endpoint_games(client, sport_key, start, end)
        origin = "endpoint"
    chosen = select_games(pool, strategy=strategy, count=games, sample_rate=sample_rate, seed=seed)
    from datetime import timedelta

    plan_settings = PlanSettings(
        sport=sport_key,
        markets=list(settings.collection.markets),
        bookmakers=list(settings.collection.bookmakers),
        regions=[] if settings.collection.bookmakers else list(settings.collection.regions),
        start=start,
        end=end,
        strategy=strategy,  # type: ignore[arg-type]
        seed=seed,
        games=games,
        sample_rate=sample_rate,
        slots=list(default_slots(timedelta(minutes=settings.scheduler.closing_lead_minutes))),
    )
    return build_plan(
        chosen,
        plan_settings,
        now=utcnow(),
        selection_source=origin,
        selection_credits=credits,
    )


def _plan_summary(built: BackfillPlan) -> dict[str, Any]:
    costs = built.costs
    saved = 100 * costs.saved / costs.naive if costs.naive else 0.0
    return {
        "plan_id": built.plan_id,
        "sport": built.settings.sport,
        "dates": f"{built.settings.start} .. {built.settings.end}",
        "games": len(built.games),
        "source": built.selection_source,
        "calls": len(built.calls),
        "credits_per_call": costs.per_call,
        "credits_naive": costs.naive,
        "credits_grouped": costs.grouped,
        "saved_percent": round(saved, 1),
        "credits_spent_selecting": costs.selection,
        "slots_skipped_future": built.skipped_targets,
        "markets": ",".join(built.settings.markets),
        "bookmakers": ",".join(built.settings.bookmakers) or "-",
        "regions": ",".join(built.settings.regions) or "-",
    }


@app.command("execute")
@handle_errors
def execute(
    plan_file: Annotated[
        str,
        typer.Option(
            "--plan", help="The plan written by `odds backfill plan` (a file or s3://bucket/key)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check budget and quota, report, spend nothing.")
    ] = False,
    budget: Annotated[
        int | None,
        typer.Option(min=0, help="Refuse to start if the calls still to pay cost more."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=10, help="Requests in flight at once.")
    ] = 4,
    reclaim: Annotated[
        bool,
        typer.Option(
            "--reclaim",
            help="Take over calls a crashed run left claimed (only if no other run is active).",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run a plan: each call paid once, ingested, resumable; re-running pays nothing.

    Example: odds backfill execute --plan plan.json --budget 5000
    """
    from oddscore.backfill.planner import read_plan

    _configure_logging()
    built = read_plan(plan_file)
    report, progress = run(_execute(built, dry_run, budget, concurrency, reclaim, json_output))
    if json_output:
        print_json(
            {
                "plan_id": report.plan_id,
                "dry_run": report.dry_run,
                "calls": report.calls_total,
                "credits_planned": report.credits_planned,
                "credits_outstanding": report.credits_outstanding,
                "quota_remaining": report.quota_remaining,
                "calls_paid": report.calls_paid,
                "calls_served": report.calls_served,
                "credits_spent": report.credits_spent,
                "failed": [o.call_time for o in report.failures],
                "not_ingested": [o.call_time for o in report.not_ingested],
                "busy": [o.call_time for o in report.busy],
                "progress": _progress_dict(progress) if progress else None,
            }
        )
        return
    if report.dry_run:
        quota = "unknown" if report.quota_remaining is None else report.quota_remaining
        console.print(
            f"dry run of plan {report.plan_id}: {report.credits_outstanding} of "
            f"{report.credits_planned} credits still to pay (quota remaining: {quota}); "
            "nothing was spent",
            highlight=False,
        )
        return
    console.print(
        f"paid {report.calls_paid} calls, {report.credits_spent} credits this run",
        highlight=False,
    )
    if report.calls_served:
        console.print(
            f"{report.calls_served} calls not paid: other plans had already stored their games",
            highlight=False,
        )
    if report.failures:
        console.print(f"[red]{len(report.failures)} calls failed[/]; run execute again to retry")
    if report.not_ingested:
        console.print(
            f"[yellow]{len(report.not_ingested)} paid calls not ingested yet[/]; "
            "run execute again (they will not be paid twice)"
        )
    if report.busy:
        console.print(
            f"[yellow]{len(report.busy)} calls are claimed by another run[/] "
            "(or one that crashed: re-run later, or with --reclaim)"
        )
    if progress is not None:
        _print_progress(progress)


async def _execute(
    built: BackfillPlan,
    dry_run: bool,
    budget: int | None,
    concurrency: int,
    reclaim: bool,
    quiet: bool,
) -> tuple[Any, PlanProgress | None]:
    from datetime import timedelta

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from oddscore.backfill.executor import DEFAULT_STALE_CLAIM, Executor
    from oddscore.backfill.status import backfill_status
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.provider.client import OddsApiClient
    from oddscore.storage.engine import Database

    settings = get_settings()
    client = (
        OddsApiClient.from_settings(settings.api)
        if not dry_run or settings.api.key is not None
        else None
    )
    stale = timedelta(0) if reclaim else DEFAULT_STALE_CLAIM
    try:
        async with Database.from_settings(settings.database) as db:
            executor = Executor(db, client, built, stale_claim_after=stale)
            if dry_run:
                report = await executor.execute(budget=budget, dry_run=True)
                return report, None
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                disable=quiet,
                transient=False,
            ) as bar:
                task = bar.add_task("historical calls", total=len(built.calls))
                report = await executor.execute(
                    budget=budget,
                    concurrency=concurrency,
                    on_outcome=lambda _outcome: bar.advance(task),
                )
            [progress] = await backfill_status(db, now=utcnow(), plan_id=built.plan_id)
            return report, progress
    finally:
        if client is not None:
            await client.aclose()


@app.command("status")
@handle_errors
def status(
    plan_id: Annotated[
        str | None, typer.Option("--plan-id", help="Only this plan (default: every plan).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Progress of recorded backfills: calls, credits planned and spent, failures, results.

    Example: odds backfill status --json
    """
    _configure_logging()
    plans = run(_status(plan_id))
    if plan_id is not None and not plans:
        raise fail(f"no backfill plan {plan_id!r} has been executed")
    if json_output:
        print_json([_progress_dict(p) for p in plans])
        return
    if not plans:
        console.print("no backfill has been executed yet")
        return
    for progress in plans:
        _print_progress(progress)


async def _status(plan_id: str | None) -> list[PlanProgress]:
    from oddscore.backfill.status import backfill_status
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.storage.engine import Database

    settings: Settings = get_settings()
    async with Database.from_settings(settings.database) as db:
        return await backfill_status(db, now=utcnow(), plan_id=plan_id)


def _progress_dict(progress: PlanProgress) -> dict[str, Any]:
    return {
        "plan_id": progress.plan_id,
        "sport": progress.sport,
        "calls": progress.calls_total,
        "calls_done": progress.calls_done,
        "calls_served": progress.calls_served,
        "by_status": progress.by_status,
        "credits_planned": progress.credits_planned,
        "credits_spent": progress.credits_spent,
        "snapshots_stored": progress.snapshots_stored,
        "game_slots_not_listed": progress.game_slots_missing,
        "games": progress.games,
        "first_call": progress.first_call,
        "last_call": progress.last_call,
        "failures": [
            {"call_time": f.call_time, "status": f.status, "attempts": f.attempts, "error": f.error}
            for f in progress.failures
        ],
        "games_without_results": [
            {
                "event_id": m.event_id,
                "commence_time": m.commence_time,
                "home_team": m.home_team,
                "away_team": m.away_team,
                "remedy": m.remedy,
            }
            for m in progress.missing_results
        ],
    }


def _print_progress(progress: PlanProgress) -> None:
    state = "complete" if progress.complete else "in progress"
    print_table(
        [
            ("calls done", f"{progress.calls_done} / {progress.calls_total}"),
            ("by status", ", ".join(f"{k} {v}" for k, v in sorted(progress.by_status.items()))),
            ("credits planned", progress.credits_planned),
            ("credits spent", progress.credits_spent),
            ("calls other plans had fetched (not paid)", progress.calls_served),
            ("snapshots stored", progress.snapshots_stored),
            ("game slots not listed by the provider", progress.game_slots_missing),
            ("games", progress.games),
            ("games without results", len(progress.missing_results)),
        ],
        ["", "value"],
        title=f"backfill {progress.plan_id} ({progress.sport}, {state})",
    )
    if progress.failures:
        print_table(
            [(f.call_time, f.status, f.attempts, f.error) for f in progress.failures],
            ["call time", "status", "attempts", "error"],
            title="failures",
        )
    _print_results_hint(len(progress.missing_results), {m.remedy for m in progress.missing_results})

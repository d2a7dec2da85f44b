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
    from oddscore.backfill.executor import ExecutionReport, Executor
    from oddscore.backfill.gaps import GapPlan
    from oddscore.backfill.planner import BackfillPlan
    from oddscore.backfill.status import PlanProgress
    from oddscore.config import Settings

# Shared by `execute` and `gaps`, which both pay through the same executor.
ConcurrencyOption = Annotated[int, typer.Option(min=1, max=10, help="Requests in flight at once.")]
ReclaimOption = Annotated[
    bool,
    typer.Option(
        "--reclaim",
        help="Take over calls a crashed run left claimed (only if no other run is active).",
    ),
]

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
    from oddscore.scheduling.tiers import tiers_for
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
        slots=list(
            default_slots(
                timedelta(minutes=settings.scheduler.closing_lead_minutes), tiers_for(sport_key)
            )
        ),
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
    concurrency: ConcurrencyOption = 4,
    reclaim: ReclaimOption = False,
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
    _print_report(report, progress)


def _print_report(report: ExecutionReport, progress: PlanProgress | None) -> None:
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

    from oddscore.backfill.executor import DEFAULT_STALE_CLAIM
    from oddscore.backfill.gap_fill import executor_for
    from oddscore.config import get_settings
    from oddscore.provider.client import OddsApiClient
    from oddscore.scheduling.policy import SchedulePolicy
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
            executor = executor_for(
                db,
                client,
                built,
                closing_window=SchedulePolicy.from_settings(
                    settings.scheduler, settings.collection
                ).closing_window,
                stale_claim_after=stale,
            )
            if dry_run:
                report = await executor.execute(budget=budget, dry_run=True)
                return report, None
            return await _run_with_progress(executor, budget, concurrency, quiet)
    finally:
        if client is not None:
            await client.aclose()


async def _run_with_progress(
    executor: Executor, budget: int | None, concurrency: int, quiet: bool
) -> tuple[ExecutionReport, PlanProgress]:
    """Execute the executor's plan with a progress bar, then read the plan's progress."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from oddscore.backfill.status import backfill_status
    from oddscore.clock import utcnow

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("historical calls", total=len(executor.plan.calls))
        report = await executor.execute(
            budget=budget,
            concurrency=concurrency,
            on_outcome=lambda _outcome: bar.advance(task),
        )
    [progress] = await backfill_status(executor.db, now=utcnow(), plan_id=executor.plan.plan_id)
    return report, progress


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


@app.command("gaps")
@handle_errors
def gaps(
    start: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First game date (local date); default: the earliest stored game.",
            callback=day_option,
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="Last game date (inclusive); default: today.", callback=day_option
        ),
    ] = None,
    sport: Annotated[
        str | None, typer.Option(help="Sport key (default: the first of SPORTS).")
    ] = None,
    max_credits: Annotated[
        int | None,
        typer.Option(
            "--max-credits",
            min=0,
            help="Credit cap: the ranked calls (closing gaps first) are taken while they fit.",
        ),
    ] = None,
    execute_plan: Annotated[
        bool, typer.Option("--execute", help="Pay for the plan (default: print it, spend nothing).")
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(help="Also write the plan (within the cap) here, for `backfill execute`."),
    ] = None,
    concurrency: ConcurrencyOption = 4,
    reclaim: ReclaimOption = False,
    json_output: JsonOption = False,
) -> None:
    """Fill the tiers and closing captures stored games lack, closing first, within a cap.

    Reads the stored snapshots, groups the missing moments into the fewest historical calls,
    ranks them (closing, pregame, sharp, early, opening) and prints the plan and its credits;
    --execute pays for it, each call once, resumable (re-running plans only what is left).

    Example: odds backfill gaps --from 2023-12-01 --to 2023-12-31 --max-credits 600 --execute
    """
    _configure_logging()
    first = parse_date(start, "--from") if start is not None else None
    last = parse_date(end, "--to") if end is not None else None
    if first is not None and last is not None and last < first:
        raise fail("--to is before --from")
    found, report, progress = run(
        _gaps(
            first, last, sport, max_credits, execute_plan, concurrency, reclaim, json_output, output
        )
    )
    summary = _gaps_summary(found)
    if json_output:
        print_json(
            {
                **summary,
                "calls": [_call_dict(call) for call in found.plan.calls],
                "unfillable_gaps": [
                    {"event_id": gap.event_id, "tier": gap.tier.value} for gap in found.unfillable
                ],
                "executed": report is not None,
                "credits_spent": 0 if report is None else report.credits_spent,
                "calls_paid": 0 if report is None else report.calls_paid,
                "busy": [] if report is None else [o.call_time for o in report.busy],
                "failed": [] if report is None else [o.call_time for o in report.failures],
                "output": output,
            }
        )
        return
    rows = [(key.replace("_", " "), value) for key, value in summary.items()]
    print_table(rows, ["", "value"], title=f"gap backfill {found.plan.plan_id}")
    if found.plan.calls:
        print_table(
            [
                (i, call["time"], call["best"], call["gaps"], call["games"])
                for i, call in enumerate(map(_call_dict, found.plan.calls), start=1)
            ],
            ["#", "call time", "best gap", "gaps filled", "games"],
            title="calls, most valuable first",
        )
    if output is not None:
        console.print(f"plan written to {output}", highlight=False)
    if not found.plan.calls:
        console.print(
            f"no call fits --max-credits {found.max_credits}"
            if found.deferred
            else "no gaps the provider can fill",
            highlight=False,
        )
    elif report is None:
        console.print(
            f"nothing was spent: add --execute to pay {found.plan.costs.grouped} credits",
            highlight=False,
        )
    if report is not None:
        _print_report(report, progress)


def _call_dict(call: Any) -> dict[str, Any]:
    from oddscore.backfill.gaps import RANK

    best = min((target.tier for target in call.targets), key=RANK.index)
    return {
        "time": call.time.isoformat(),
        "credits": call.credits,
        "best": best.value,
        "gaps": len(call.targets),
        "games": len(call.event_ids),
        "targets": [{"event_id": t.event_id, "tier": t.tier.value} for t in call.targets],
    }


def _gaps_summary(found: GapPlan) -> dict[str, Any]:
    from collections import Counter

    from oddscore.backfill.gaps import RANK

    counts = Counter(gap.tier for gap in found.gaps)
    return {
        "plan_id": found.plan.plan_id,
        "sport": found.plan.settings.sport,
        "dates": f"{found.plan.settings.start} .. {found.plan.settings.end}",
        "games_checked": found.games_checked,
        "gaps": len(found.gaps),
        **{f"gaps_{tier.value}": counts[tier] for tier in RANK},
        "unfillable": len(found.unfillable),
        "credits_per_call": found.full.costs.per_call,
        "calls_all_gaps": len(found.full.calls),
        "credits_all_gaps": found.full.costs.grouped,
        "max_credits": "-" if found.max_credits is None else found.max_credits,
        "calls_planned": len(found.plan.calls),
        "credits_planned": found.plan.costs.grouped,
        "gaps_planned": len(found.planned),
        "gaps_left_by_the_cap": len(found.deferred),
    }


async def _gaps(
    start: date | None,
    end: date | None,
    sport: str | None,
    max_credits: int | None,
    execute: bool,
    concurrency: int,
    reclaim: bool,
    quiet: bool,
    output: str | None,
) -> tuple[GapPlan, ExecutionReport | None, PlanProgress | None]:
    from datetime import timedelta

    from oddscore.backfill.executor import DEFAULT_STALE_CLAIM
    from oddscore.backfill.gap_fill import GapExecutor, default_settings, plan_gaps
    from oddscore.backfill.planner import write_plan
    from oddscore.backfill.sources import first_stored_slate
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.provider.client import OddsApiClient
    from oddscore.scheduling.policy import SchedulePolicy
    from oddscore.storage.engine import Database

    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    sport_key = sport or settings.collection.sports[0]
    now = utcnow()
    last = end or now.date()
    stale = timedelta(0) if reclaim else DEFAULT_STALE_CLAIM
    async with Database.from_settings(settings.database) as db:
        first = start or await first_stored_slate(db, sport_key)
        if first is None:
            raise fail(f"no stored {sport_key} games: nothing to check for gaps")
        if last < first:
            raise fail(f"--to {last} is before the first stored {sport_key} game ({first})")
        plan_settings = default_settings(
            sport_key,
            first,
            last,
            markets=settings.collection.markets,
            bookmakers=settings.collection.bookmakers,
            regions=settings.collection.regions,
            closing_lead=policy.closing_lead,
        )

        async def plan() -> GapPlan:
            found = await plan_gaps(
                db,
                plan_settings,
                closing_window=policy.closing_window,
                now=now,
                max_credits=max_credits,
            )
            if output is not None:  # before paying: a bad path must not cost anything
                write_plan(found.plan, output)
            return found

        found = await plan()
        if not execute or not found.plan.calls:
            return found, None, None
        async with OddsApiClient.from_settings(settings.api) as client:

            def executor(target: GapPlan) -> GapExecutor:
                return GapExecutor(
                    db,
                    client,
                    target.plan,
                    closing_window=policy.closing_window,
                    stale_claim_after=stale,
                )

            # Calls a crashed run paid for but never stored: stored now, then planned around.
            if await executor(found).finish_fetched():
                found = await plan()
                if not found.plan.calls:
                    return found, None, None
            report, progress = await _run_with_progress(
                executor(found), max_credits, concurrency, quiet
            )
        return found, report, progress

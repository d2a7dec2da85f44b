"""``odds schedule``: what the scheduling intelligence would do, now or over a past season."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from oddscore.cli.common import (
    JsonOption,
    console,
    handle_errors,
    print_json,
    print_table,
    run,
    working,
)
from oddscore.cli.options import time_option

app = typer.Typer(
    help="Plan collection: the next runs now, or a replay of a real season's schedule.",
    no_args_is_help=True,
)


def _when(value: str | None) -> datetime | None:
    """``2023-11-20`` or an ISO time; without a zone it is UTC (the help says so)."""
    if value is None:
        return None
    import re

    from oddscore.clock import parse_timestamp
    from oddscore.exceptions import ConfigurationError

    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00"
    if not re.search(r"([Zz]|[+-]\d\d:?\d\d)$", text[10:]):
        text += "+00:00"
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise ConfigurationError(f"not a date or time: {value!r}") from exc


@app.command("replay")
@handle_errors
def replay(
    events: Annotated[
        Path,
        typer.Option(
            "--events",
            help="An events file or a season's folder of daily events files (*.json / *.json.gz).",
        ),
    ],
    start: Annotated[
        str | None,
        typer.Option(
            help="Replay from this UTC date/time (default: first listing).", callback=time_option
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="Replay until this UTC date/time (default: last tip).", callback=time_option
        ),
    ] = None,
    quota: Annotated[
        int | None,
        typer.Option(help="Monthly credits to pace against (default: unlimited).", min=0),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Replay a season's schedule through the covering planner, the cadence planner, fixed
    30-minute polling and the nearest-game cadence; compare calls, credits and coverage.

    Example: odds schedule replay --events events/2023-2024 --start 2023-11-01 --end 2023-12-01
    """
    from oddscore.config import get_settings
    from oddscore.scheduling.policy import SchedulePolicy
    from oddscore.scheduling.replay import STRATEGIES, load_schedule, replay_all

    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    with working(f"replaying the schedule through {len(STRATEGIES)} collection strategies"):
        games = load_schedule(events)
        replayed = replay_all(games, start=_when(start), end=_when(end), policy=policy, quota=quota)
    if json_output:
        print_json(
            {
                "credits_per_fetch": policy.odds_fetch_cost,
                "planner": policy.planner.value,
                "strategies": [r.as_dict() for r in replayed],
            }
        )
        return
    cadence = next((r.requests for r in replayed if r.name == "cadence"), 0)
    rows = [
        {
            "strategy": r.name + (" *" if r.name == policy.planner.value else ""),
            "requests": r.requests,
            "vs cadence": f"{r.requests / cadence:.2f}x" if cadence else "-",
            "credits": r.credits,
            "month max": r.max_month_credits,
            "runs": r.runs,
            "games": r.games,
            "all tiers": f"{r.tier_share:.1%}",
            "closing": f"{r.closing_share:.1%}",
        }
        for r in replayed
    ]
    columns = list(rows[0])
    print_table(rows, columns, title=f"{events.name}: {policy.odds_fetch_cost} credits per fetch")
    console.print(
        "* the planner in use (SCHEDULER_PLANNER). requests: paid /odds calls. tier coverage: "
        "games with a snapshot in every tier they were listed in for 30+ min; closing: a "
        f"snapshot within {int(policy.closing_window.total_seconds() // 60)} min of tip. runs "
        "include free /events discovery checks."
    )


# The command's first name, kept working.
app.command("simulate", hidden=True)(replay)


@app.command("next")
@handle_errors
def next_runs(json_output: JsonOption = False) -> None:
    """Show when fetch-odds, fetch-scores and update-status would run next, and why.

    Example: odds schedule next --json
    """
    decisions = run(_next_decisions())
    if json_output:
        print_json(decisions)
        return
    print_table(
        [{"flow": name, **d} for name, d in decisions.items()],
        ["flow", "at", "action", "estimated_credits", "mode", "reason"],
    )


async def _next_decisions() -> dict[str, dict[str, object]]:
    from oddscore.clock import utcnow
    from oddscore.config import get_settings
    from oddscore.scheduling.planner import decide_odds
    from oddscore.scheduling.policy import SchedulePolicy
    from oddscore.scheduling.results import decide_scores, decide_status
    from oddscore.scheduling.state import last_fetch_time, load_games, load_quota
    from oddscore.storage.engine import Database

    settings = get_settings()
    policy = SchedulePolicy.from_settings(settings.scheduler, settings.collection)
    now = utcnow()
    out: dict[str, dict[str, object]] = {}
    async with Database.from_settings(settings.database) as db, db.session() as session:
        quota = await load_quota(session, now=now)
        scores_at = await last_fetch_time(session, endpoint_suffix="/scores", now=now)
        games = []
        for sport in settings.collection.sports:
            games += await load_games(session, sport_key=sport, now=now, past=policy.season_gap)
    out["fetch-odds"] = decide_odds(games, now, policy, quota).summary()
    out["fetch-scores"] = decide_scores(games, now, policy, last_checked=scores_at).summary()
    out["update-status"] = decide_status(games, now, policy).summary()
    return out

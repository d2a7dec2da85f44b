"""Scheduling: paid calls and coverage of a season's schedule, every strategy in one run.

Replays real seasons' daily ``/events`` listings (``oddscore.scheduling.replay``, a simulated
clock; the runs take seconds, not the season) through the covering planner (the default),
the cadence planner it replaced, fixed 30-minute polling and the nearest-game cadence, and
prints for each: paid ``/odds`` calls, credits, the busiest month, tier coverage (a capture
in every tier a game was listed in for 30+ minutes), closing coverage (a capture within 10
minutes of tip), and its calls as a ratio to the cadence planner's. The floor is the fewest
calls that could make every closing capture alone (one per cluster of tips 10 minutes apart).

Goal (issue 19), on the real 2023-24 schedule: the covering planner with 100 % of games in
every tier and 100 % with a closing capture, in at most 1,400 paid calls.

Run: ``uv run python -m benchmarks.schedule [--events DIR ...] [--quota CREDITS]``. Default:
every season folder of ``shared/data/real_nba_odds/the_odds_api_snapshots/events``.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from oddscore.scheduling.policy import SchedulePolicy
from oddscore.scheduling.replay import StrategyResult, load_schedule, replay_all

EVENTS = (
    Path(__file__).resolve().parents[2] / "shared/data/real_nba_odds/the_odds_api_snapshots/events"
)
GOAL_SEASON = "2023-2024"
GOAL_CALLS = 1400


def closing_floor(tips: list[datetime], window: timedelta) -> int:
    """Fewest moments with one in ``[tip - window, tip)`` of every tip (interval stabbing)."""
    calls = 0
    last: datetime | None = None
    for tip in sorted(tips):
        if last is None or last < tip - window:
            last = tip - timedelta(seconds=1)
            calls += 1
    return calls


def season(path: Path, policy: SchedulePolicy, quota: int | None) -> list[StrategyResult]:
    games = load_schedule(path)
    results = replay_all(games, policy=policy, quota=quota)
    tips = sorted({g.commence_time for g in games if g.scored})
    cadence = next(r for r in results if r.name == "cadence")
    cost = policy.odds_fetch_cost
    print(
        f"\n{path.name}: {results[0].games} games, {len(tips)} distinct tip times, "
        f"closing floor {closing_floor(tips, policy.closing_window)} calls, "
        f"{cost} credits per call" + (f", {quota} credits a month" if quota else "")
    )
    print(
        f"  {'strategy':<13} {'paid calls':>10} {'vs cadence':>10} {'credits':>8} "
        f"{'month max':>9} {'all tiers':>9} {'closing':>8}"
    )
    for r in results:
        paid = r.credits // cost
        print(
            f"  {r.name:<13} {paid:>10,} {paid / (cadence.credits // cost):>9.2f}x "
            f"{r.credits:>8,} {r.max_month_credits:>9,} {r.tier_share:>9.1%} "
            f"{r.closing_share:>8.1%}"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=Path, nargs="*", help="season folders of events files")
    parser.add_argument("--quota", type=int, default=None, help="monthly credits to pace against")
    args = parser.parse_args()
    folders = args.events or sorted(p for p in EVENTS.glob("*") if p.is_dir())
    if not folders:
        raise SystemExit(f"no season folders under {EVENTS} (pass --events DIR)")
    policy = SchedulePolicy()
    for folder in folders:
        results = season(folder, policy, args.quota)
        if folder.name == GOAL_SEASON and args.quota is None:
            covering = next(r for r in results if r.name == "covering")
            met = (
                covering.tier_share == covering.closing_share == 1.0
                and covering.credits // policy.odds_fetch_cost <= GOAL_CALLS
            )
            print(
                f"  goal (100 % / 100 % in <= {GOAL_CALLS:,} paid calls): "
                f"{'met' if met else 'NOT met'}"
            )


if __name__ == "__main__":
    main()

"""The knobs of the scheduling intelligence, in one frozen value built from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum

from oddscore.config import CollectionSettings, SchedulerSettings
from oddscore.scheduling.tiers import FetchTier
from oddscore.sports import profile_for

__all__ = ["PlannerKind", "SchedulePolicy"]


class PlannerKind(StrEnum):
    """Which planner places the paid ``/odds`` calls (``planner.decide_odds`` dispatches)."""

    # Calls placed to cover every game's tier windows together (``covering.py``).
    COVERING = "covering"
    # The original planner: each game's tier cadence (48 h ... 30 min) from its last capture.
    CADENCE = "cadence"


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    """How the planner trades coverage against credits.

    Example::

        policy = SchedulePolicy.from_settings(get_settings().scheduler, get_settings().collection)
        SchedulePolicy(closing_lead=timedelta(minutes=5), markets=("h2h",))
    """

    planner: PlannerKind = PlannerKind.COVERING
    # The covering planner's minimum cadence inside a tier, for line movement: no stretch of
    # this long inside the tier without a capture (none by default: one capture per tier).
    min_cadence: tuple[tuple[FetchTier, timedelta], ...] = ()
    lookahead: timedelta = timedelta(days=7)
    # The guaranteed closing capture happens this long before each distinct tip time ...
    closing_lead: timedelta = timedelta(minutes=5)
    # ... and any capture at least this close to tip already counts as the closing one.
    closing_window: timedelta = timedelta(minutes=10)
    # A game entering a new tier gets its first capture there at the latest this long before
    # the tier ends (only binds when quota stretching makes the cadence longer than the tier).
    tier_margin: timedelta = timedelta(minutes=15)
    # The covering planner captures a game in each tier at the latest this long before the
    # tier ends: room for a late start and for a failed run's retry (fetch-odds retries 15
    # minutes later), at almost no cost (2023-24: 1,269 calls at 15 min, 1,278 at 45).
    cover_margin: timedelta = timedelta(minutes=45)
    # Free /events discovery: how often in season (new games posted) and off-season.
    discovery_interval: timedelta = timedelta(minutes=30)
    offseason_check: timedelta = timedelta(hours=24)
    # No game within this long before now and none upcoming: off-season (longer than the
    # All-Star break, which is free to watch through: discovery costs nothing).
    season_gap: timedelta = timedelta(days=8)
    game_duration: timedelta = timedelta(hours=2.5)
    # Set by SCHEDULER_GAME_DURATION_HOURS: every sport's games last game_duration; otherwise
    # for_sport() takes each sport's from its profile.
    fixed_game_duration: bool = False
    # Scores: settle games whose expected ends fall within this window in one call; games
    # still running at their expected end are polled again after `scores_recheck`.
    scores_batch_window: timedelta = timedelta(minutes=60)
    scores_recheck: timedelta = timedelta(minutes=30)
    # The provider keeps completed games in /scores for at most 3 days (daysFrom 1..3).
    scores_max_days: int = 3
    # Never schedule closer than this to "now" (a run that just finished must not loop).
    min_gap: timedelta = timedelta(minutes=1)
    # A run that starts this late (worker polling, container start) still does its job.
    due_tolerance: timedelta = timedelta(minutes=2)
    # Quota: the burn rate is measured over at least this long, so a busy first hour of the
    # month does not read as a catastrophe ...
    min_burn_window: timedelta = timedelta(hours=24)
    # ... intervals stretch by at most this factor; beyond it only closing captures remain.
    max_stretch: float = 4.0
    markets: tuple[str, ...] = ("h2h", "spreads", "totals")
    bookmakers: tuple[str, ...] = field(default_factory=tuple)
    regions: tuple[str, ...] = ("us",)

    @classmethod
    def from_settings(
        cls, scheduler: SchedulerSettings, collection: CollectionSettings
    ) -> SchedulePolicy:
        return cls(
            planner=PlannerKind(scheduler.planner),
            min_cadence=tuple(
                (FetchTier(tier), timedelta(minutes=minutes))
                for tier, minutes in scheduler.min_cadence.items()
            ),
            lookahead=timedelta(days=scheduler.lookahead_days),
            closing_lead=timedelta(minutes=scheduler.closing_lead_minutes),
            closing_window=timedelta(minutes=max(10, 2 * scheduler.closing_lead_minutes)),
            offseason_check=timedelta(hours=scheduler.offseason_check_hours),
            game_duration=timedelta(hours=scheduler.game_duration_hours or 2.5),
            fixed_game_duration=scheduler.game_duration_hours is not None,
            markets=tuple(collection.markets),
            bookmakers=tuple(collection.bookmakers),
            regions=tuple(collection.regions),
        )

    def for_sport(self, sport_key: str) -> SchedulePolicy:
        """This policy for one sport: its game length from the sport profile, unless the
        setting fixes it for every sport."""
        if self.fixed_game_duration:
            return self
        return replace(self, game_duration=profile_for(sport_key).game_length)

    def cadence(self, tier: FetchTier) -> timedelta | None:
        """The covering planner's minimum cadence inside ``tier``, if the policy asks one."""
        return next((every for name, every in self.min_cadence if name is tier), None)

    @property
    def odds_fetch_cost(self) -> int:
        """Credits of one ``/odds`` call for every upcoming game (billed per call, not game)."""
        from oddscore.provider.costs import odds_cost

        return odds_cost(
            markets=list(self.markets),
            regions=list(self.regions) or None,
            bookmakers=list(self.bookmakers) or None,
        )

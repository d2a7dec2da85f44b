"""Grading a bet from the final score, always from the bet side's own point.

* ``h2h``: the named team wins outright. A tie is a push in a two-way moneyline (impossible
  in the NBA, whose results include overtime) and a loss in a three-way one (soccer), where
  ``Draw`` is the outcome that wins on a tie. Soccer settles on the regulation-time score
  (the sport profile's ``settlement``), which is the score stored for a league game.
* ``spreads``: the named team's own margin plus its own point: ``> 0`` wins, ``= 0`` pushes.
  Home -4.5 needs a home win by 5+; away +4.5 wins unless the home team wins by 5+.
* ``totals``: ``Over`` wins when the total points exceed the point, ``Under`` when below;
  equal is a push.

A push refunds the stake (profit 0). A quarter line (an Asian handicap of -0.25 or -0.75, a
soccer total of 2.25) is two half-stakes on the lines either side: -0.25 is half on 0 and half
on -0.5, so a draw returns half the stake (``half_loss``) and a one-goal win is a ``win``;
a half that wins beside one that pushes is a ``half_win``.
"""

from __future__ import annotations

from enum import StrEnum

from oddscore.exceptions import BacktestError

__all__ = ["DRAW", "BetResult", "grade", "settle_profit"]

DRAW = "Draw"  # the provider's name of the third moneyline outcome


class BetResult(StrEnum):
    WIN = "win"
    LOSS = "loss"
    PUSH = "push"
    VOID = "void"  # no result was ever recorded for the game; the stake is refunded
    HALF_WIN = "half_win"  # a quarter line: one half won, the other pushed
    HALF_LOSS = "half_loss"  # a quarter line: one half lost, the other pushed


def _sign(value: float) -> BetResult:
    if value > 0:
        return BetResult.WIN
    if value < 0:
        return BetResult.LOSS
    return BetResult.PUSH


def _is_quarter(point: float) -> bool:
    return abs(point * 4.0 - round(point * 4.0)) < 1e-9 and round(point * 4.0) % 2 != 0


def _halves(first: BetResult, second: BetResult) -> BetResult:
    """One result of a quarter line's two half-stakes (adjacent lines: never win and loss)."""
    if first is second:
        return first
    return BetResult.HALF_WIN if BetResult.WIN in (first, second) else BetResult.HALF_LOSS


def _graded_line(margin: float, point: float) -> BetResult:
    """``margin + point`` decides; a quarter line is half at each neighbouring line."""
    if _is_quarter(point):
        return _halves(_sign(margin + point - 0.25), _sign(margin + point + 0.25))
    return _sign(margin + point)


def grade(
    market: str,
    outcome: str,
    point: float | None,
    *,
    home_team: str,
    away_team: str,
    home_score: int,
    away_score: int,
    three_way: bool = False,
) -> BetResult:
    """The result of one bet (win, loss or push); ``three_way``: the moneyline has a draw."""
    if market == "h2h" and outcome == DRAW:
        return BetResult.WIN if home_score == away_score else BetResult.LOSS
    if market in ("h2h", "spreads"):
        if outcome == home_team:
            margin = home_score - away_score
        elif outcome == away_team:
            margin = away_score - home_score
        else:
            raise BacktestError(f"outcome {outcome!r} is neither {home_team!r} nor {away_team!r}")
        if market == "h2h":
            if margin == 0 and three_way:
                return BetResult.LOSS  # the draw won
            return _sign(margin)
        if point is None:
            raise BacktestError("a spread bet needs its point")
        return _graded_line(margin, point)
    if market == "totals":
        if point is None:
            raise BacktestError("a totals bet needs its point")
        total = home_score + away_score
        if outcome.lower() == "over":
            return _graded_line(total, -point)
        if outcome.lower() == "under":
            return _graded_line(-total, point)
        raise BacktestError(f"totals outcome must be Over or Under, got {outcome!r}")
    raise BacktestError(f"cannot grade market {market!r}")


def settle_profit(result: BetResult, stake: float, decimal: float) -> float:
    """Net profit: ``stake (d - 1)`` on a win, ``-stake`` on a loss, 0 on a push or void; half
    of the win or of the loss on a quarter line's half result."""
    if result is BetResult.WIN:
        return stake * (decimal - 1.0)
    if result is BetResult.LOSS:
        return -stake
    if result is BetResult.HALF_WIN:
        return stake * (decimal - 1.0) / 2.0
    if result is BetResult.HALF_LOSS:
        return -stake / 2.0
    return 0.0

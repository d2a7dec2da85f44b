"""Sweeps share one load of the range and one board per event, with each run's own results."""

from __future__ import annotations

from typing import Any

import pytest

from oddscore.backtest.engine import load_scope, run_backtest
from oddscore.backtest.strategies.registry import create_strategy
from oddscore.backtest.sweep import expand_grid, run_sweep
from oddscore.storage import Database
from tests.backtest.test_engine import config, seeded  # noqa: F401  (the fixture)

SHARP: dict[str, Any] = {"sharp_books": ["pinnacle"], "markets": ["h2h", "spreads"]}


@pytest.mark.parametrize(
    ("strategy", "base", "grid", "overrides"),
    [
        ("basic_ev", SHARP, {"min_ev": [0.0, 0.02, 0.5], "max_bets_per_event": [1, 2]}, {}),
        ("basic_ev", SHARP, {"min_ev": [0.0, 0.5]}, {"sizing": "kelly"}),
        ("flat", {}, {"book": ["draftkings", "fanduel"], "outcome": ["home", "away"]}, {}),
        ("flat", {"market": "spreads"}, {"outcome": ["favorite", "underdog"]}, {}),
    ],
)
async def test_each_sweep_run_equals_its_own_backtest(
    seeded: Database,  # noqa: F811
    strategy: str,
    base: dict[str, Any],
    grid: dict[str, list[Any]],
    overrides: dict[str, Any],
) -> None:
    cfg = config(**overrides)
    combinations = expand_grid(base, grid)
    swept = await run_sweep(seeded, strategy, cfg, combinations)
    alone = [await run_backtest(seeded, strategy, cfg, params) for params in combinations]
    assert swept == alone
    assert len({(r.summary.total_bets, r.summary.profit) for r in swept}) > 1  # they differ


def test_load_scope_is_the_union_of_what_the_runs_read_plus_the_clv_books() -> None:
    flats = [create_strategy("flat", {"book": b}) for b in ("fanduel", "draftkings")]
    assert load_scope(config(clv_books=["pinnacle"]), flats) == (
        ["draftkings", "fanduel", "pinnacle"],
        ["h2h"],
    )
    # The configuration's own limits still apply; a board-wide strategy loads everything.
    assert load_scope(config(bookmakers=["fanduel"]), flats) == (["fanduel"], ["h2h"])
    every = create_strategy("basic_ev", {"markets": ["totals"]})
    assert load_scope(config(), [*flats, every]) == (None, ["h2h", "totals"])
    assert load_scope(config(), []) == (None, None)

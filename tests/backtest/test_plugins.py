"""An out-of-tree strategy: a distribution on the path adds one through the
``oddscore.strategies`` entry points, and ``odds backtest`` lists and runs it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.backtest.results import BacktestResult
from oddscore.backtest.strategies import get_strategy, strategy_table
from oddscore.cli.app import app
from oddscore.exceptions import BacktestError
from oddscore.storage import Database
from tests.backtest.conftest import seed
from tests.backtest.test_engine import GAMES, board

runner = CliRunner()

# The plugin bets the home side of the moneyline at one book: the same bets as the built-in
# `flat` with its defaults, so the run's outcome is known (4 bets, +57.5758 on this season).
PLUGIN = """
from oddscore.backtest.strategies import BetIntent, BettingStrategy, StrategyParams


class HomeParams(StrategyParams):
    book: str = "draftkings"


class HomeStrategy(BettingStrategy[HomeParams]):
    name = "home_ml"
    description = "Home moneyline at one book (an installed plugin)."
    Params = HomeParams

    def decide(self, view):
        quotes = view.outcome_set(self.params.book, "h2h") or []
        return [BetIntent(q) for q in quotes if q.outcome == view.event.home_team]


class NotAStrategy:
    name = "broken"
"""


def install_distribution(root: Path, name: str, entry_points: dict[str, str], code: str) -> None:
    """A minimal installed distribution (a package and its dist-info), as pip would leave it."""
    package = name.replace("-", "_")
    (root / package).mkdir(parents=True)
    (root / package / "__init__.py").write_text(textwrap.dedent(code))
    info = root / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[oddscore.strategies]\n{lines}")


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    install_distribution(
        root, "odds-home-plugin", {"home_ml": "odds_home_plugin:HomeStrategy"}, PLUGIN
    )
    monkeypatch.syspath_prepend(str(root))
    return root


@pytest.fixture
async def seeded_url(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    await seed(db, GAMES, board())
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def test_an_installed_strategy_is_listed_and_runs(
    plugin: Path, seeded_url: str, tmp_path: Path
) -> None:
    listed = runner.invoke(app, ["backtest", "list-strategies", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.output)}
    assert rows["home_ml"]["source"] == "odds-home-plugin 0.1"
    assert rows["home_ml"]["params"] == {"book": "draftkings"}
    assert rows["flat"]["source"] == "built-in"
    table = runner.invoke(app, ["backtest", "list-strategies"])
    assert table.exit_code == 0 and "home_ml" in table.output and "built-in" in table.output

    out = tmp_path / "home.json"
    args = ["backtest", "run", "--start", "2024-01-09", "--end", "2024-01-12"]
    done = runner.invoke(
        app, [*args, "-s", "home_ml", "-p", "book=draftkings", "--output-json", str(out)]
    )
    assert done.exit_code == 0, done.output
    result = BacktestResult.load(out)
    assert result.summary.total_bets == 4
    assert result.summary.profit == pytest.approx(57.5758, abs=1e-3)


def test_without_the_distribution_the_strategy_is_unknown() -> None:
    with pytest.raises(BacktestError, match="unknown strategy 'home_ml'; known: arbitrage"):
        get_strategy("home_ml")
    assert "home_ml" not in {row["name"] for row in strategy_table()}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"broken": "odds_bad_plugin:NotAStrategy"}, "is not a BettingStrategy subclass"),
        ({"broken": "odds_bad_plugin:Missing"}, "failed to load: AttributeError"),
        ({"other": "odds_bad_plugin:HomeStrategy"}, "names a strategy called 'home_ml'"),
        ({"flat": "odds_bad_plugin:HomeStrategy"}, "reuses the name of the built-in strategy"),
    ],
)
def test_a_bad_entry_point_is_a_clear_error(
    entry: dict[str, str], problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path, "odds-bad-plugin", entry, PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BacktestError, match=problem) as caught:
        strategy_table()
    assert "odds-bad-plugin 0.1" in str(caught.value)
    # The built-ins still run: only the broken entry point's name fails.
    assert get_strategy("flat").name == "flat"
    done = runner.invoke(app, ["backtest", "list-strategies"])
    assert done.exit_code == 1 and problem in done.output and "Traceback" not in done.output

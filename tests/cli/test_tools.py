"""The bettor's tools on the command line: `odds hedge`, its JSON; none imports Prefect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app

runner = CliRunner()


def test_hedge_table_and_json() -> None:
    # The README's worked example: Spurs +455 at DraftKings on 2023-11-23, Warriors -175 at
    # BetMGM the next morning (real 2023-24 archive).
    table = runner.invoke(
        app, ["hedge", "--stake", "100", "--odds", "+455", "--hedge-odds", "-175"]
    )
    assert table.exit_code == 0, table.output
    assert "353.18" in table.output and "+101.82" in table.output
    done = runner.invoke(
        app,
        [
            "hedge",
            "--stake",
            "100",
            "--odds",
            "5.55",
            "--hedge-odds",
            "-175",
            "--lock",
            "50",
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["mode"] == "lock"
    assert data["hedge_stake"] == pytest.approx(262.5)
    assert data["guaranteed"] == pytest.approx(50.0)


def test_hedge_charges_the_exchange_commission(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_COMMISSION", "betfair_ex_uk=0.05")
    args = ["hedge", "--stake", "100", "--odds", "3.0", "--hedge-odds", "2.0", "--json"]
    done = runner.invoke(app, [*args, "--hedge-book", "betfair_ex_uk"])
    data = json.loads(done.stdout)
    assert data["hedge_effective_decimal"] == pytest.approx(1.95)
    assert data["hedge_stake"] == pytest.approx(300 / 1.95)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--odds", "+200", "--hedge-odds", "-110", "--lock", "500"], "at most 42.86"),
        (["--odds", "+50", "--hedge-odds", "-110"], "American odds must be"),
        (["--odds", "0.9", "--hedge-odds", "-110"], "must be > 1"),
        (["--odds", "two", "--hedge-odds", "-110"], "American (+150, -120) or decimal"),
    ],
)
def test_hedge_bad_input_is_one_line(args: list[str], message: str) -> None:
    done = runner.invoke(app, ["hedge", "--stake", "100", *args])
    assert done.exit_code == 1
    assert message in done.output
    assert "Traceback" not in done.output


def test_the_tools_never_import_prefect(tmp_path: Path) -> None:
    probe = (
        "import sys; from typer.testing import CliRunner; from oddscore.cli.app import app;"
        "r=CliRunner().invoke(app, ['hedge','--stake','1','--odds','2','--hedge-odds','2']);"
        "assert r.exit_code == 0, r.output;"
        "r=CliRunner().invoke(app, ['kelly','--bet','0.55@2.0','--bet','0.55@2.0']);"
        "assert r.exit_code == 0, r.output;"
        "r=CliRunner().invoke(app, ['screen','lowhold','--at','2024-03-01T12:00Z','--json']);"
        "assert r.exit_code == 0, r.output;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_kelly_side_by_side_table_and_json() -> None:
    args = ["kelly", "--bet", "0.55@2.0", "--bet", "0.55@+100", "--drawdown", "0.5"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "full against fractional" in table.output
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    full, half, quarter = data["plans"]
    # Two identical even-money bets at 55%: the closed form s = (p^2 - q^2)/(2(p^2 + q^2)).
    s = (0.55**2 - 0.45**2) / (2 * (0.55**2 + 0.45**2))
    assert full["stakes"] == pytest.approx([s, s], abs=1e-9)
    assert half["stakes"] == pytest.approx([s / 2, s / 2], abs=1e-9)
    assert full["growth"] > half["growth"] > quarter["growth"] > 0
    assert full["drawdown_probability"] > half["drawdown_probability"]


@pytest.mark.parametrize("bet", ["0.55", "1.2@2.0", "x@2.0", "0.5@1.0"])
def test_kelly_bad_bet_is_one_line(bet: str) -> None:
    done = runner.invoke(app, ["kelly", "--bet", bet])
    assert done.exit_code == 1
    assert "--bet" in done.output or "decimal odds" in done.output

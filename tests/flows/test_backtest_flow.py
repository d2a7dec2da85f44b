"""The backtest flow: parameters, a sweep over one load of the range, and its artifacts.

The Prefect test server is the session harness of tests/flows/conftest.py.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.backtest import BacktestFlowParameters, backtest, run_all
from oddscore.backtest.results import BacktestResult
from oddscore.backtest.sweep import expand_grid
from oddscore.exceptions import BacktestError
from oddscore.storage import Database
from tests.backtest.conftest import seed
from tests.backtest.test_engine import GAMES, board


@pytest.fixture
async def seeded_sqlite(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    path = tmp_path / "odds.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    async with Database.from_url(url) as db:
        await seed(db, GAMES, board())
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def parameters(**kw: object) -> BacktestFlowParameters:
    return BacktestFlowParameters.model_validate(
        {"strategy": "flat", "start": date(2024, 1, 9), "end": date(2024, 1, 12), **kw}
    )


def test_parameters_are_validated() -> None:
    assert parameters().config().end.isoformat() == "2024-01-13T00:00:00+00:00"
    with pytest.raises(BacktestError):
        parameters(strategy="nope")
    with pytest.raises(ValidationError):
        parameters(end=date(2024, 1, 1))
    grid = expand_grid({"book": "draftkings"}, {"outcome": ["home", "away"], "market": ["h2h"]})
    assert grid == [
        {"book": "draftkings", "market": "h2h", "outcome": "home"},
        {"book": "draftkings", "market": "h2h", "outcome": "away"},
    ]


async def test_task_wraps_the_library(seeded_sqlite: str) -> None:
    texts = await run_all.fn("flat", parameters().config().model_dump_json(), [{}])
    (result,) = [BacktestResult.from_json(text) for text in texts]
    assert result.summary.total_bets == 4
    assert result.summary.profit == pytest.approx(100 * 100 / 150 - 100 + 100 * 100 / 110)


def test_sweep_runs_over_one_load(seeded_sqlite: str, tmp_path: Path) -> None:
    # The Prefect server is tests/flows/conftest.py's session harness (autouse).
    rows = backtest(
        parameters(sweep={"outcome": ["home", "away"]}, output_dir=str(tmp_path / "out"))
    )
    assert [r["params"] for r in rows] == [
        "book=draftkings, market=h2h, outcome=home",
        "book=draftkings, market=h2h, outcome=away",
    ]
    home, away = rows
    assert home["total_bets"] == away["total_bets"] == 4
    assert home["profit"] == pytest.approx(57.575758, abs=1e-4)
    assert (tmp_path / "out" / "backtest-flat.png").read_bytes()[:4] == b"\x89PNG"


def test_outputs_go_to_an_s3_prefix_and_the_artifacts_link_there(
    seeded_sqlite: str, s3_bucket: str
) -> None:
    """On ECS the container's disk is lost: the result and its pictures go to the bucket."""
    import boto3
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    prefix = f"s3://{s3_bucket}/backtests/run-1"
    rows = backtest(parameters(output_dir=prefix))
    s3 = boto3.client("s3")
    stored = {
        o["Key"]: s3.get_object(Bucket=s3_bucket, Key=o["Key"])["Body"].read()
        for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]
    }
    assert sorted(stored) == [
        "backtests/run-1/backtest-flat-clv.png",
        "backtests/run-1/backtest-flat.json",
        "backtests/run-1/backtest-flat.png",
    ]
    result = BacktestResult.from_json(stored["backtests/run-1/backtest-flat.json"].decode())
    assert result.summary.total_bets == rows[0]["total_bets"] == 4
    assert stored["backtests/run-1/backtest-flat.png"][:4] == b"\x89PNG"

    with get_client(sync_client=True) as client:
        newest_first = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(
                    any_=["backtest-equity-plot-flat", "backtest-equity-png-flat"]
                )
            ),
            sort="CREATED_DESC",
        )
    latest: dict[str, str] = {}
    for artifact in newest_first:
        latest.setdefault(str(artifact.key), str(artifact.data))
    assert "file://" not in latest["backtest-equity-plot-flat"]
    assert (
        f"s3.console.aws.amazon.com/s3/object/{s3_bucket}?prefix=backtests/run-1/"
        in (latest["backtest-equity-plot-flat"])
    )
    assert f"`{prefix}/backtest-flat.png`" in latest["backtest-equity-png-flat"]

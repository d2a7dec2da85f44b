"""``odds deploy ecs`` refuses plainly what it cannot do (moto's in-process AWS)."""

from __future__ import annotations

import boto3
import pytest
from typer.testing import CliRunner

from oddscore.cli.app import app

DATABASE_URL = "postgresql://odds:canary-pass-4411@db.internal/odds"
ARGS = ["deploy", "ecs", "--bucket", "oddscore-test", "--region", "us-east-1"]


def test_a_missing_secret_is_named_with_the_way_out(
    s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    del s3_bucket  # moto is on
    monkeypatch.delenv("ODDS_API_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", DATABASE_URL)
    result = CliRunner().invoke(app, [*ARGS, "--subnet", "subnet-1"])
    assert result.exit_code == 1
    assert "ODDS_API_KEY is not set and the secret 'oddscore/ODDS_API_KEY' does not exist" in (
        result.output
    )
    assert "--api-key-secret-arn" in result.output
    assert "canary-pass-4411" not in result.output
    # nothing was stored under the missing name; a re-run with the key set finishes the job
    names = [s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]]
    assert "oddscore/ODDS_API_KEY" not in names


def test_a_subnet_is_required() -> None:
    result = CliRunner().invoke(app, ARGS)
    assert result.exit_code == 2
    assert "--subnet" in result.output

"""The API key never leaks: one scenario walks every error path (bad key, quota exhausted,
422, 429, 5xx, timeout, dropped connection, malformed JSON, database errors) through the
client, the CLI and flow runs, with a distinctive key, then scans every log line (formatted
with tracebacks), every exception text and chain, the CLI's output, every row of every table,
and the Prefect run logs and artifacts read back through the Prefect API."""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel
from typer.testing import CliRunner

from oddscore.clock import SystemClock
from oddscore.config import get_settings
from oddscore.exceptions import (
    AuthenticationError,
    InvalidRequestError,
    MalformedResponseError,
    OddscoreError,
    ProviderTimeout,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
    StorageError,
    TransportError,
)
from oddscore.ingestion.fetch import fetch_current
from oddscore.simulator import Fault, FaultPlan
from oddscore.storage.engine import Database
from tests.reliability.conftest import API_KEY, SPORT, fault_app, make_client, serve_in_thread

MARKETS = ["h2h"]
BOOKS = ["pinnacle"]
# The key, and a distinctive part of it (a leak may be cut or re-encoded around it).
NEEDLES = (API_KEY, API_KEY[-16:])
CLOSED_DB = "postgresql+asyncpg://postgres@127.0.0.1:1/odds"


class _Everything(logging.Handler):
    """Every record of every logger, formatted as an operator would see it (tracebacks too)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _exception_text(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


async def _client_paths(url: str, wrong_url: str, faults: FaultPlan) -> dict[str, str]:
    """Each error path through the client: the exception class name -> its full text."""
    seen: dict[str, str] = {}

    async def attempt(
        name: str, expected: type[OddscoreError], *, base: str = url, timeout: float = 5
    ) -> None:
        client, _ = make_client(base_url=base, max_retries=1, timeout=timeout)
        async with client:
            try:
                if name == "422":
                    await client.odds(SPORT, markets=["no_such_market"], bookmakers=BOOKS)
                else:
                    await client.odds(SPORT, markets=MARKETS, bookmakers=BOOKS)
            except expected as exc:
                seen[name] = _exception_text(exc)
            else:
                pytest.fail(f"{name}: no {expected.__name__}")

    await attempt("bad key", AuthenticationError, base=wrong_url)
    await attempt("422", InvalidRequestError)
    for name, fault, expected, timeout in [
        ("429", Fault("rate_limit", times=None, retry_after=0.01), RateLimitError, 5.0),
        ("5xx", Fault("status", times=None, status=502), ServerError, 5.0),
        ("timeout", Fault("slow", times=None, delay=0.4), ProviderTimeout, 0.1),
        ("reset", Fault("reset", times=None), TransportError, 5.0),
        ("malformed", Fault("malformed", times=None), MalformedResponseError, 5.0),
        ("truncated", Fault("truncated", times=None), MalformedResponseError, 5.0),
    ]:
        faults.clear()
        faults.add(fault)
        await attempt(name, expected, timeout=timeout)
    faults.clear()
    faults.exhaust_after(0)
    await attempt("quota", QuotaExhaustedError)
    faults.restore_quota(100_000)
    # A database error while storing what the client fetched.
    client, _ = make_client(base_url=url)
    broken = Database.from_url(CLOSED_DB)
    try:
        async with client:
            await fetch_current(broken, client, sport=SPORT, flow_name="leak-test")
    except StorageError as exc:
        seen["database"] = _exception_text(exc)
    finally:
        await broken.dispose()
    return seen


def _cli_paths(url: str, wrong_url: str, db_url: str, faults: FaultPlan) -> list[str]:
    from oddscore.cli.app import app

    runner = CliRunner()
    outputs: list[str] = []
    env = {
        "ODDS_API_KEY": API_KEY,
        "ODDS_API_BASE_URL": url,
        "ODDS_API_MAX_RETRIES": "0",
        "DATABASE_URL": db_url,
    }
    scenarios: list[tuple[list[str], dict[str, str], Any]] = [
        (["fetch", "current"], {}, Fault("status", times=None, status=503)),
        (["fetch", "current", "--json"], {}, Fault("malformed", times=None)),
        (["fetch", "scores", "--days", "3"], {}, Fault("rate_limit", times=None)),
        (["fetch", "current"], {"ODDS_API_BASE_URL": wrong_url}, None),
        (["fetch", "current"], {}, "quota"),
        (["fetch", "current"], {"DATABASE_URL": CLOSED_DB}, None),
        (["status", "show", "--json"], {"DATABASE_URL": CLOSED_DB}, None),
    ]
    for args, extra, fault in scenarios:
        faults.clear()
        faults.restore_quota(100_000)
        if fault == "quota":
            faults.exhaust_after(0)
        elif fault is not None:
            faults.add(fault)
        get_settings.cache_clear()
        result = runner.invoke(app, args, env={**env, **extra})
        outputs.append(f"{args} exit={result.exit_code}\n{result.output}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            outputs.append(_exception_text(result.exception))
        assert result.exit_code == 1, outputs[-1]  # each one an error ...
        assert "error:" in result.output  # ... reported as a red line
    faults.clear()
    faults.restore_quota(100_000)
    get_settings.cache_clear()
    return outputs


async def _flow_paths(
    url: str, wrong_url: str, faults: FaultPlan, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Failed flow runs (quota, bad key, database down): their logs and artifacts."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.logging.handlers import APILogHandler

    from flows.fetch_odds import FetchOddsParams, fetch_odds_flow

    run_ids = []
    for base, database, dry in [
        (url, None, True),
        (wrong_url, None, False),
        (url, CLOSED_DB, False),
    ]:
        faults.clear()
        faults.restore_quota(100_000)
        if dry:
            faults.exhaust_after(0)
        monkeypatch.setenv("ODDS_API_BASE_URL", base)
        if database is not None:
            monkeypatch.setenv("DATABASE_URL", database)
        get_settings.cache_clear()
        state = await fetch_odds_flow.with_options(retries=0)(
            FetchOddsParams(reschedule=False, force=True), return_state=True
        )
        assert state.is_failed()
        run_ids.append(state.state_details.flow_run_id)
    monkeypatch.delenv("DATABASE_URL")
    await APILogHandler.aflush()
    texts: list[str] = []
    async with get_client() as client:
        for _ in range(20):
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
            if sum("Finished in state Failed" in log.message for log in logs) >= 3:
                break
            await asyncio.sleep(0.3)
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=run_ids))
        )
    texts += [f"{log.name} {log.message}" for log in logs]
    texts += [f"{a.key} {a.description} {a.data}" for a in artifacts]
    joined = "\n".join(texts)
    for expected in ("OUT_OF_USAGE_CREDITS", "INVALID_KEY", "StorageError"):
        assert expected in joined, f"the run logs do not show the {expected} path"
    assert len(artifacts) >= 3  # a summary of each failed run
    return texts


async def _all_rows(db_url: str) -> list[str]:
    rows: list[str] = []
    async with Database.from_url(db_url) as db, db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in await conn.execute(select(table)):
                rows.append(f"{table.name}: {tuple(row)!r}")
    return rows


async def test_the_api_key_appears_nowhere_after_every_error_path(
    prefect_harness: None,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    everything = _Everything()
    loggers = [logging.getLogger(name) for name in ("", "prefect", "oddscore", "httpx")]
    for logger in loggers:
        logger.addHandler(everything)
    monkeypatch.setenv("ODDS_API_KEY", API_KEY)
    monkeypatch.setenv("ODDS_API_MAX_RETRIES", "0")
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    faults = FaultPlan()
    app = fault_app(faults, clock=SystemClock())
    wrong = fault_app(clock=SystemClock(), api_key="the-account-of-someone-else")
    try:
        with serve_in_thread(app) as url, serve_in_thread(wrong) as wrong_url:
            client_texts = await _client_paths(url, wrong_url, faults)
            cli_texts = await asyncio.to_thread(_cli_paths, url, wrong_url, db_url, faults)
            flow_texts = await _flow_paths(url, wrong_url, faults, monkeypatch)
    finally:
        for logger in loggers:
            logger.removeHandler(everything)
    assert set(client_texts) == {
        "bad key",
        "422",
        "429",
        "5xx",
        "timeout",
        "reset",
        "malformed",
        "truncated",
        "quota",
        "database",
    }
    rows = await _all_rows(db_url)
    assert any("fetch_logs" in row and "OUT_OF_USAGE_CREDITS" in row for row in rows)
    captured = capsys.readouterr()
    haystacks = {
        "log records": "\n".join(everything.lines),
        "caplog": caplog.text,
        "stdout/stderr": captured.out + captured.err,
        "exceptions": "\n".join(client_texts.values()),
        "cli": "\n".join(cli_texts),
        "prefect logs and artifacts": "\n".join(flow_texts),
        "database rows": "\n".join(rows),
    }
    assert len(everything.lines) > 50 and rows  # the scan has something to scan
    for where, text in haystacks.items():
        for needle in NEEDLES:
            assert needle not in text, f"the API key leaked into the {where}"

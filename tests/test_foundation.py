"""Package shape: the public surface, the exception tree, logging redaction, the CLI entry."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time

import pytest

import oddscore
from oddscore import exceptions
from oddscore.logs import configure_logging, get_logger, redact, register_secret


def test_public_surface_is_sorted_and_resolvable() -> None:
    assert oddscore.__all__ == sorted(oddscore.__all__)
    for name in oddscore.__all__:
        assert getattr(oddscore, name) is not None
    with pytest.raises(AttributeError):
        oddscore.nothing_here  # noqa: B018


def test_every_exception_derives_from_the_one_root() -> None:
    classes = [getattr(exceptions, n) for n in exceptions.__all__ if n != "TRANSIENT_ERRORS"]
    assert all(issubclass(cls, exceptions.OddscoreError) for cls in classes)
    assert exceptions.AuthenticationError.__mro__[1] is exceptions.ProviderStatusError
    err = exceptions.RateLimitError("slow down", retry_after=2.0, endpoint="/v4/sports")
    assert (err.status_code, err.retry_after, err.endpoint) == (429, 2.0, "/v4/sports")
    assert not issubclass(exceptions.InvalidRequestError, exceptions.TRANSIENT_ERRORS)
    assert issubclass(exceptions.ProviderTimeout, exceptions.TRANSIENT_ERRORS)


def test_redaction_masks_keys_in_urls_and_registered_secrets() -> None:
    assert redact("GET /v4/sports?apiKey=abc123&x=1") == "GET /v4/sports?apiKey=***&x=1"
    assert redact("api_key=zz") == "api_key=***"
    assert redact("postgresql://u:hunter2@db/x") == "postgresql://u:***@db/x"
    register_secret("s3cr3t-value")
    assert "s3cr3t-value" not in redact("token s3cr3t-value leaked")


def test_structlog_lines_go_through_stdlib_and_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from oddscore.config import LoggingSettings

    configure_logging(LoggingSettings(format="json"), force=True)
    with caplog.at_level(logging.INFO, logger="oddscore"):
        get_logger("provider").info("fetched", url="https://x/v4/sports?apiKey=KEY999")
    record = next(r for r in caplog.records if r.name == "oddscore.provider")
    line = json.loads(record.getMessage())
    assert line["event"] == "fetched"
    assert "KEY999" not in record.getMessage()


def test_cli_help_is_fast_and_never_imports_prefect() -> None:
    probe = (
        "import sys, time; t=time.perf_counter();"
        "from typer.testing import CliRunner; from oddscore.cli.app import app;"
        "r=CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'));"
        "print(time.perf_counter()-t)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    prefect_modules, _elapsed = done.stdout.strip().splitlines()
    assert prefect_modules == "[]"
    # Not a timing assertion: the figure is for the reader of a failing run.
    print(f"odds --help took {time.perf_counter() - started:.2f}s")


def test_python_dash_m_oddscore_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "oddscore", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("odds ")


def test_console_handler_follows_the_current_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from oddscore.config import LoggingSettings
    from oddscore.logs import LOGGER_NAME

    logger = logging.getLogger(LOGGER_NAME)
    saved = logger.handlers[:]
    logger.handlers.clear()
    root_handlers = logging.getLogger().handlers[:]
    logging.getLogger().handlers.clear()
    old = sys.stderr
    try:
        sys.stderr = io.StringIO()
        configure_logging(LoggingSettings(format="json", level="INFO"), force=True)
        sys.stderr.close()  # as a test runner closes a captured stream
        sys.stderr = fresh = io.StringIO()
        get_logger("x").warning("after the swap")
        written = fresh.getvalue()
        assert "Logging error" not in written
        assert json.loads(written.strip().splitlines()[-1])["event"] == "after the swap"
    finally:
        sys.stderr = old
        logger.handlers[:] = saved
        logging.getLogger().handlers[:] = root_handlers


def test_the_layer_contract_is_the_issues_order_without_exceptions() -> None:
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    assert {c["type"] for c in contracts} == {"acyclic_siblings", "layers"}
    assert all("ignore_imports" not in c for c in contracts)
    (layers,) = (c["layers"] for c in contracts if c["type"] == "layers")
    level = {name.strip(): depth for depth, layer in enumerate(layers) for name in layer.split("|")}
    # Lower depth is higher up: the entry points on top, the data below the betting maths.
    assert level["flows"] == level["oddscore.cli"] == 0
    for below in ("provider", "ingestion", "storage", "queries"):
        for above in ("analytics", "backtest"):
            assert level[f"oddscore.{below}"] > level[f"oddscore.{above}"], (below, above)
    assert level["oddscore.prices"] > level["oddscore.config"]


def test_the_documented_import_paths_keep_working_after_the_moves() -> None:
    from oddscore.analytics import market, odds
    from oddscore.backtest.market import MarketQuote, MarketView
    from oddscore.prices import odds as prices_odds

    assert (MarketView, MarketQuote) == (market.MarketView, market.MarketQuote)
    assert odds.__all__ == prices_odds.__all__
    assert all(getattr(odds, name) is getattr(prices_odds, name) for name in odds.__all__)
    assert odds.american_to_decimal(-110) == prices_odds.american_to_decimal(-110) > 1.9

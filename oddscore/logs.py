"""Logging: structlog over stdlib ``logging``, configured once, with secrets redacted.

structlog goes through stdlib logging so that Prefect can ship the lines to the run logs
(``PREFECT_LOGGING_EXTRA_LOGGERS=oddscore``). Every provider URL carries the API key as a
query parameter, so every rendered line passes through :func:`redact` first.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

from oddscore.config import LoggingSettings

__all__ = ["configure_logging", "get_logger", "guard_loggers", "redact", "register_secret"]

LOGGER_NAME = "oddscore"

# Query parameters and header-like pairs that carry a credential.
_SECRET_PARAM = re.compile(r"(?i)\b(api_?key|apikey|token|secret|password)=([^&\s\"'<>]+)")
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/\s]+:)([^@/\s]+)(@)")
_secrets: set[str] = set()
_configured = False
# The renderer ("json" or "console") structlog is still to be configured with: importing
# structlog is a tenth of a query command's cold start, and such a command rarely logs, so
# it is configured when the first logger is asked for (every oddscore logger comes from
# get_logger), or at once when something has imported structlog already.
_structlog_pending: str | None = None


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is masked wherever it shows up in output."""
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    """Mask credentials in ``text``: ``apiKey=...`` parameters, URL passwords, known secrets."""
    text = _SECRET_PARAM.sub(r"\1=***", text)
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _redact_event(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str):
            event_dict[key] = redact(value)
        elif not isinstance(value, int | float | bool | type(None)):
            event_dict[key] = redact(str(value))
    return event_dict


class _RedactingFilter(logging.Filter):
    """Masks secrets in stdlib records too (httpx, prefect and friends log URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the moment of logging.

    A handler that kept the stream it was built with would go on writing to a stream that test
    runners and ``CliRunner`` have since closed ("I/O operation on closed file").
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        return


def guard_loggers(*names: str) -> None:
    """Mask secrets in what these stdlib loggers emit, whether or not logging is configured.

    httpx logs every request URL (the API key included) at INFO.
    """
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
            logger.addFilter(_RedactingFilter())


def configure_logging(settings: LoggingSettings | None = None, *, force: bool = False) -> None:
    """Configure structlog and the ``oddscore`` stdlib logger once per process."""
    global _configured
    if _configured and not force:
        return
    global _structlog_pending
    settings = settings or LoggingSettings()
    fmt = settings.format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    if "structlog" in sys.modules:
        _configure_structlog(fmt)
    else:
        _structlog_pending = fmt
    logger = logging.getLogger(LOGGER_NAME)
    # Prefect's root logger is WARNING; without an explicit level INFO lines never reach it.
    logger.setLevel(settings.level)
    guard_loggers(LOGGER_NAME, "httpx", "httpcore")
    redacting = _RedactingFilter()
    handlers: list[logging.Handler] = []
    if not logging.getLogger().handlers and not logger.handlers:
        handlers.append(_StderrHandler())
    if settings.file is not None:
        settings.file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(settings.file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.addFilter(redacting)
        logger.addHandler(handler)
    _configured = True


def _configure_structlog(fmt: str) -> None:
    global _structlog_pending
    import structlog

    _structlog_pending = None
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact_event,
            renderer,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def get_logger(name: str = LOGGER_NAME) -> Any:
    """A structlog logger under the ``oddscore`` stdlib namespace."""
    import structlog

    if _structlog_pending is not None:
        _configure_structlog(_structlog_pending)
    if not name.startswith(LOGGER_NAME):
        name = f"{LOGGER_NAME}.{name}"
    return structlog.stdlib.get_logger(name)

"""A database failure as one line a user can read, without SQLAlchemy.

Apart from the engine so that the query commands, which read on the bare drivers
(:mod:`oddscore.storage.reader`), report failures the same way without importing SQLAlchemy.
"""

from __future__ import annotations

import re

from oddscore.exceptions import StorageError
from oddscore.logs import redact

__all__ = ["database_error_line", "storage_error"]


_WRAPPER = re.compile(r"^\((?:[\w.]+)\)\s*|^<class '[\w.]+'>:\s*")


def database_error_line(exc: BaseException) -> str:
    """The driver's own message in one line (``value too long for type character
    varying(100)``), without SQLAlchemy's statement, parameters and links: those go to the
    debug log, never to a user."""
    from oddscore.logs import get_logger

    get_logger(__name__).debug("database error", error=redact(str(exc)), kind=type(exc).__name__)
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    while True:
        stripped = _WRAPPER.sub("", first, count=1)
        if stripped == first:
            break
        first = stripped
    return redact(first or type(exc).__name__)


def storage_error(url: str, exc: BaseException) -> StorageError:
    text = str(exc)
    # A table or column missing: no schema, or one older than this release's migrations.
    missing = "no such table" in text or "no such column" in text
    missing |= ("relation" in text or "column" in text) and "does not exist" in text
    if missing:
        return StorageError(
            f"the database at {url} has no schema yet (or an old one): run `odds db upgrade`"
        )
    return StorageError(f"database error on {url}: {database_error_line(exc)}")

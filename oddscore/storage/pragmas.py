"""The settings every SQLite connection of ours starts with, whichever layer opens it."""

from __future__ import annotations

__all__ = ["sqlite_pragmas"]


def sqlite_pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    """The ``PRAGMA`` statements to run, in order, on a new SQLite connection."""
    return (
        # Concurrent writers wait for the lock instead of failing at once. Set first: the
        # switch to WAL below takes a lock of its own, which must wait too.
        f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
        # WAL lets readers (CLI queries, backtests) run while a flow writes.
        "PRAGMA journal_mode=WAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA synchronous=NORMAL",
    )

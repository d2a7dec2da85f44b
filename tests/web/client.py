"""Starlette's TestClient, imported without its advice to install ``httpx2``: the project's
httpx is the one it falls back to, and the warning would fail the run (warnings are errors)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

__all__ = ["TestClient"]

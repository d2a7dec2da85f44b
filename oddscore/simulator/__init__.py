"""A faithful local simulator of The Odds API v4, for development and tests without a key.

``create_app`` builds the ASGI app (use it in-process with ``httpx.ASGITransport`` or serve
it with ``odds simulator serve``). Its data comes from a synthetic NBA market whose hidden
truth is known (``SyntheticMarket``), or, for the historical endpoints, from a recorded
archive (``ReplayArchive``).
"""

from __future__ import annotations

from oddscore.simulator.app import DEMO_API_KEY, create_app, resolve_api_key, simulator_of
from oddscore.simulator.books import DEFAULT_BOOK_PROFILES, BookProfile
from oddscore.simulator.faults import Fault, FaultPlan, parse_fault
from oddscore.simulator.market import SyntheticMarket, Truth
from oddscore.simulator.replay import ReplayArchive

__all__ = [
    "DEFAULT_BOOK_PROFILES",
    "DEMO_API_KEY",
    "BookProfile",
    "Fault",
    "FaultPlan",
    "ReplayArchive",
    "SyntheticMarket",
    "Truth",
    "create_app",
    "parse_fault",
    "resolve_api_key",
    "simulator_of",
]

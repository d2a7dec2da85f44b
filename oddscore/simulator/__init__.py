"""A faithful local simulator of The Odds API v4, for development and tests without a key.

``create_app`` builds the ASGI app (use it in-process with ``httpx.ASGITransport`` or serve
it with ``odds simulator serve``). Its data comes from synthetic markets whose hidden truth
is known (the NBA's ``SyntheticMarket``; ``SoccerMarket`` for soccer_epl, ``BaseballMarket``
for baseball_mlb), or, for the historical endpoints, from a recorded archive
(``ReplayArchive``).
"""

from __future__ import annotations

from oddscore.simulator.app import DEMO_API_KEY, create_app, resolve_api_key, simulator_of
from oddscore.simulator.baseball import BaseballMarket
from oddscore.simulator.books import DEFAULT_BOOK_PROFILES, BookProfile
from oddscore.simulator.faults import Fault, FaultPlan, parse_fault
from oddscore.simulator.market import SyntheticMarket, Truth
from oddscore.simulator.replay import ReplayArchive
from oddscore.simulator.soccer import SoccerMarket

__all__ = [
    "DEFAULT_BOOK_PROFILES",
    "DEMO_API_KEY",
    "BaseballMarket",
    "BookProfile",
    "Fault",
    "FaultPlan",
    "ReplayArchive",
    "SoccerMarket",
    "SyntheticMarket",
    "Truth",
    "create_app",
    "parse_fault",
    "resolve_api_key",
    "simulator_of",
]

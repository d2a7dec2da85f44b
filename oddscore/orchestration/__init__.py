"""What the orchestrator (Prefect) says, read over its REST API with httpx.

``oddscore`` never imports Prefect; the status dashboard still wants the next scheduled
runs, so it asks the server the way any HTTP client would.
"""

from __future__ import annotations

__all__: list[str] = []

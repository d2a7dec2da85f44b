"""Setting up where the flows run: the AWS side of ECS and the Prefect objects that name it.

The only place in ``oddscore`` that talks to Prefect's and AWS's APIs on purpose. Both are
imported inside the functions that need them, so ``odds --help`` and the query commands
stay free of them.
"""

from __future__ import annotations

__all__: list[str] = []
